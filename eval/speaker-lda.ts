/**
 * `npx tsx eval/speaker-lda.ts [--dir DIR]`: an experiment, not part of `npm run eval`. Can a linear discriminant
 * (LDA) of MFCC means, learnt from many voices, tell a short turn of another voice from one person's own
 * variation, where the plain MFCC statistics cannot (docs/analysis.md, Speakers)?
 *
 * 1. Utterances of 39 voices none of the held-out speaker sets uses: MBROLA voices of many languages (real
 *    speakers' diphones) and the tuning voices, each reading fortune sentences and short answers at varied rate and
 *    pitch, some raised by 6 semitones (exclamations).
 * 2. Per utterance the mean of its MFCCs (the speaker engine's front end: 16 coefficients from 300 Hz, frames within
 *    15 dB of the loud speech); LDA: within-speaker scatter whitened, then the directions of most between-speaker
 *    scatter (ml-matrix).
 * 3. On the speaker eval's own cases (tuning, held-out, mbrola sets): per speech segment, the distance in the LDA
 *    space from its mean to the mean of the rest of the clip's speech; per case the largest. Prints them for the
 *    one-voice and the interjection cases, which is what a short-turn rule would have to separate.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { createSileroVad, decodeToPcm, type SpeechSegment } from '@earshot/audio';
import { computeMfcc, frameEnergiesDb } from '../libs/audio/src/speakers/mfcc.features';
import { medianSemitones, trackPitch } from '../libs/audio/src/speakers/pitch';
import { trimmedSpeech } from '../libs/audio/test/audio-fixtures';
import { ensureDebianPackages, ensureEvalTools, missingMbrolaPackages } from './debian-packages';
import { realSpeechGroups } from './wake-model/real-speech';
import { fortuneSentences, seededRandom } from './wake-model/training-data';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: path.join(tmpdir(), 'earshot-speaker-lda') },
    cases: { type: 'string', default: path.join(tmpdir(), 'earshot-speaker-cases') },
    dims: { type: 'string', default: '12' },
    real: { type: 'boolean', default: false },
  },
});

const MBROLA_TRAINING = [
  ...['de3-en', 'de2-en', 'de4-en', 'de6-en', 'fr1-en', 'gr2-en', 'hu1-en', 'nl2-en', 'ro1-en', 'sw1-en', 'af1-en'],
  ...['es1', 'es3', 'it3', 'it4', 'nl3', 'br2', 'br4', 'cz1', 'hb2', 'tr2', 'fr2', 'de7', 'in2', 'ma1', 'ee1', 'lt1'],
  ...['mx1', 'ca1', 'cr1', 'id1', 'ir1'],
].map((name) => `mbrola:${name}`);
const TUNING = ['en-us', 'en+f3', 'en-gb+m3', 'en+f4', 'flite:rms', 'flite:slt', 'flite:kal16'];
const SHORT_ANSWERS = [
  'Sure.',
  'Nope.',
  'Exactly.',
  'Maybe later.',
  'Got it.',
  'Wait.',
  'Hmm, fine.',
  'Go ahead.',
  'Three.',
  'Not that one.',
  'Of course.',
  'I think so.',
];

const MFCC = { coefficients: 16, windowSamples: 256, hopSamples: 160, lowHz: 300, highHz: 7800, rangeDb: 15 };

/** Mean MFCC vector over frames within `rangeDb` of the loud speech (floor given, or the span's own). */
function meanMfcc(pcm: Float32Array, floorDb?: number): { mean: number[]; frames: number } {
  const floor = floorDb ?? floorOf([pcm]);
  const mfcc = computeMfcc(pcm, {
    sampleRate: 16_000,
    windowSamples: MFCC.windowSamples,
    hopSamples: MFCC.hopSamples,
    coefficients: MFCC.coefficients,
    lowHz: MFCC.lowHz,
    highHz: MFCC.highHz,
    minEnergyDb: floor,
  });
  const mean = new Array<number>(MFCC.coefficients).fill(0);
  let frames = 0;
  for (let f = 0; f < mfcc.frameCount; f++) {
    if (mfcc.energyDb[f]! < floor) continue;
    frames++;
    for (let k = 0; k < MFCC.coefficients; k++) mean[k]! += mfcc.features[f * MFCC.coefficients + k]!;
  }
  return { mean: mean.map((v) => v / Math.max(1, frames)), frames };
}

function floorOf(spans: Float32Array[]): number {
  const all = spans.flatMap((s) => [...frameEnergiesDb(s, MFCC.windowSamples, MFCC.hopSamples)]).sort((a, b) => a - b);
  return all.length ? all[Math.floor(all.length * 0.95)]! - MFCC.rangeDb : Infinity;
}

function say(out: string, text: string, voice: string, rate: number, pitch: number): void {
  if (voice.startsWith('flite:')) {
    const f0 = Math.round((voice.endsWith('slt') ? 170 : 105) * pitch);
    execFileSync('flite', [
      '-voice',
      voice.slice(6),
      '-t',
      text,
      '-o',
      out,
      '--setf',
      `duration_stretch=${(1 / rate).toFixed(3)}`,
      '--setf',
      `int_f0_target_mean=${f0}`,
    ]);
  } else {
    const name = voice.startsWith('mbrola:') ? `mb-${voice.slice(7)}` : voice;
    // espeak-ng -p: about 6 units per semitone around 50
    const p = Math.max(0, Math.min(99, Math.round(50 + 6 * 12 * Math.log2(pitch))));
    execFileSync('espeak-ng', ['-v', name, '-s', String(Math.round(155 * rate)), '-p', String(p), '-w', out, text], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
  }
}

async function trainingVectors(dir: string): Promise<Array<{ voice: string; mean: number[] }>> {
  const cache = path.join(dir, values.real ? 'vectors-real.json' : 'vectors.json');
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Array<{ voice: string; mean: number[] }>;
  mkdirSync(dir, { recursive: true });
  const sentences = fortuneSentences();
  const vectors: Array<{ voice: string; mean: number[] }> = [];
  for (const [v, voice] of [...MBROLA_TRAINING, ...TUNING].entries()) {
    const random = seededRandom(9000 + v);
    const texts = [
      ...Array.from({ length: 12 }, () => sentences[Math.floor(random() * sentences.length)]!),
      ...SHORT_ANSWERS,
    ];
    for (const [t, text] of texts.entries()) {
      const rate = 0.85 + random() * 0.35;
      const pitch = t % 6 === 5 ? 2 ** (6 / 12) : 0.85 + random() * 0.35;
      const raw = path.join(dir, `${v}-${t}.raw.wav`);
      say(raw, text, voice, rate, pitch);
      const trimmed = trimmedSpeech(raw, path.join(dir, `${v}-${t}.wav`));
      const { mean, frames } = meanMfcc(await decodeToPcm(trimmed));
      if (frames >= 20) vectors.push({ voice, mean });
    }
    process.stderr.write(`  ${voice}\n`);
  }
  // Real people: KTuberling's words, one reader per language (not an eval set; hedgewars is the acted set).
  for (const group of realSpeechGroups().filter((g) => g.name.startsWith('ktuberling-') && values.real)) {
    for (const file of group.files.slice(0, 40)) {
      const { mean, frames } = meanMfcc(trimPcm(await decodeToPcm(file)));
      if (frames >= 20) vectors.push({ voice: group.name, mean });
    }
    process.stderr.write(`  ${group.name}\n`);
  }
  writeFileSync(cache, JSON.stringify(vectors));
  return vectors;
}

/** The stretch between the first and last sample above 1 % of full scale. */
function trimPcm(pcm: Float32Array): Float32Array {
  let start = 0;
  let end = pcm.length;
  while (start < end && Math.abs(pcm[start]!) < 0.01) start++;
  while (end > start && Math.abs(pcm[end - 1]!) < 0.01) end--;
  return pcm.subarray(start, end);
}

/** LDA: rows of the returned matrix project a mean MFCC vector into within-speaker-whitened discriminant axes. */
function lda(vectors: Array<{ voice: string; mean: number[] }>, dims: number): Matrix {
  const d = MFCC.coefficients;
  const byVoice = new Map<string, number[][]>();
  for (const { voice, mean } of vectors) byVoice.set(voice, [...(byVoice.get(voice) ?? []), mean]);
  const grand = new Array<number>(d).fill(0);
  vectors.forEach(({ mean }) => mean.forEach((x, k) => (grand[k]! += x / vectors.length)));
  const sw = Matrix.zeros(d, d);
  const sb = Matrix.zeros(d, d);
  for (const means of byVoice.values()) {
    const centre = new Array<number>(d).fill(0);
    means.forEach((m) => m.forEach((x, k) => (centre[k]! += x / means.length)));
    for (const m of means) {
      const diff = Matrix.columnVector(m.map((x, k) => x - centre[k]!));
      sw.add(diff.mmul(diff.transpose()));
    }
    const between = Matrix.columnVector(centre.map((x, k) => x - grand[k]!));
    sb.add(between.mmul(between.transpose()).mul(means.length));
  }
  sw.div(vectors.length - byVoice.size);
  sb.div(vectors.length);
  const swEig = new EigenvalueDecomposition(sw, { assumeSymmetric: true });
  const floor = Math.max(...swEig.realEigenvalues) * 1e-4;
  const inverseRoot = swEig.eigenvectorMatrix
    .mmul(Matrix.diag(swEig.realEigenvalues.map((l) => 1 / Math.sqrt(Math.max(l, floor)))))
    .mmul(swEig.eigenvectorMatrix.transpose());
  const m = inverseRoot.mmul(sb).mmul(inverseRoot);
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((l, i) => [l, i] as const).sort((a, b) => b[0] - a[0]);
  process.stderr.write(`LDA eigenvalues: ${order.map(([l]) => l.toFixed(2)).join(' ')}\n`);
  const rows = order.slice(0, dims).map(([, i]) => eig.eigenvectorMatrix.getColumn(i));
  return new Matrix(rows).mmul(inverseRoot);
}

interface EvalCase {
  id: string;
  file: string;
  set: string;
  kind: string;
  numSpeakers: number;
}

async function main(): Promise<void> {
  ensureEvalTools('speaker-lda');
  ensureDebianPackages(missingMbrolaPackages(MBROLA_TRAINING), 'speaker-lda');
  const vectors = await trainingVectors(values.dir);
  const projection = lda(vectors, Number(values.dims));
  const project = (v: number[]): number[] => projection.mmul(Matrix.columnVector(v)).getColumn(0);
  const cases = [
    ...(JSON.parse(readFileSync(path.join(values.cases, 'cases.json'), 'utf8')) as EvalCase[]),
    ...(JSON.parse(readFileSync(path.join(values.cases, 'mbrola-cases.json'), 'utf8')) as EvalCase[]),
    ...(JSON.parse(readFileSync(path.join(values.cases, 'acted', 'clips.json'), 'utf8')) as EvalCase[]),
  ].filter((c) => ['tuning', 'heldout', 'mbrola', 'generated', 'acted'].includes(c.set));
  const evaldata = path.resolve(__dirname, '../../shared/evaldata');
  const manifest = JSON.parse(readFileSync(path.join(evaldata, 'manifest.json'), 'utf8')) as {
    clips: Array<{ id: string; file: string; ground_truth: { num_speakers?: number } }>;
  };
  for (const clip of manifest.clips)
    if ((clip.ground_truth.num_speakers ?? 0) > 0)
      cases.push({
        id: clip.id,
        file: path.join(evaldata, clip.file),
        set: 'real',
        kind: 'real',
        numSpeakers: clip.ground_truth.num_speakers!,
      });
  const segmentsOf: Record<string, Array<{ score: number; sec: number; semitones: number }>> = {};
  const vad = await createSileroVad();
  const rows: Array<{ c: EvalCase; score: number; sec: number; semitones: number }> = [];
  for (const c of cases) {
    const pcm = await decodeToPcm(c.file);
    const { segments } = await vad.detect(pcm);
    const spans = segments.map((s: SpeechSegment) =>
      pcm.subarray(Math.floor(s.startSec * 16000), Math.ceil(s.endSec * 16000)),
    );
    const floor = floorOf(spans);
    const parts = spans.map((span) => meanMfcc(span, floor));
    const pitches = spans.map((span) => [...trackPitch(span).pitchHz].filter((hz) => hz > 0));
    let best = { score: 0, sec: 0, semitones: 0 };
    parts.forEach((part, s) => {
      if (part.frames < 20) return;
      const restFrames = parts.reduce((n, p, r) => (r === s ? n : n + p.frames), 0);
      if (restFrames < 100) return;
      const rest = new Array<number>(MFCC.coefficients).fill(0);
      parts.forEach((p, r) => {
        if (r !== s) p.mean.forEach((x, k) => (rest[k]! += (x * p.frames) / restFrames));
      });
      const a = project(part.mean);
      const b = project(rest);
      const score = Math.sqrt(a.reduce((sum, x, k) => sum + (x - b[k]!) ** 2, 0));
      const own = medianSemitones(pitches[s]!, 3);
      const others = medianSemitones(pitches.filter((_, r) => r !== s).flat(), 10);
      const semitones = own !== undefined && others !== undefined ? own - others : NaN;
      (segmentsOf[c.id] ??= []).push({ score, sec: part.frames * 0.01, semitones });
      if (score > best.score) best = { score, sec: part.frames * 0.01, semitones };
    });
    rows.push({ c, ...best });
  }
  await vad.close();
  writeFileSync(
    path.join(values.dir, 'scores.json'),
    JSON.stringify(
      rows.map((r) => ({
        id: r.c.id,
        set: r.c.set,
        kind: r.c.kind,
        numSpeakers: r.c.numSpeakers,
        segments: segmentsOf[r.c.id] ?? [],
      })),
    ),
  );
  for (const set of ['tuning', 'heldout', 'mbrola']) {
    process.stdout.write(`\n## ${set}\n`);
    for (const kind of [...new Set(rows.filter((r) => r.c.set === set).map((r) => r.c.kind))]) {
      const scores = rows.filter((r) => r.c.set === set && r.c.kind === kind);
      process.stdout.write(
        `${kind.padEnd(18)} ${scores.map((r) => `${r.score.toFixed(2)}${r.c.numSpeakers > 1 ? '*' : ''}(${r.sec.toFixed(1)}s ${r.semitones.toFixed(1)}st)`).join(' ')}\n`,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`speaker-lda: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
