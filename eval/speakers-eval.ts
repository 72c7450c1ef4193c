/**
 * `npx tsx eval/speakers-eval.ts [--data DIR] [--cases DIR] [--fresh] [--options JSON] [--per-case] [--out FILE]`
 * `taskset -c 1 npx tsx eval/speakers-eval.ts --bench [--runs N]`: the speaker stage's milliseconds on one 30 s
 * chunk (pyannote_sample_2spk: two people talking), median of N runs after one warm-up, as bench:analysis times it.
 *
 * Speaker counting only: Silero VAD + the mfcc-bic speaker engine over the real clips of shared/evaldata, the
 * cases of eval/generate-cases.ts (its 2-3 s phrase and flag clips apart, as the `short` set) and the voices of eval/speaker-cases.ts (tuning, held-out and MBROLA sets). Prints, per
 * set: exact count accuracy, more-than-one-voice recall and false alarms, and the speaker stage's milliseconds.
 *
 * Generated audio and VAD segments are cached in --cases (default: $TMPDIR/earshot-speaker-cases) so a sweep
 * reruns in seconds; --fresh regenerates. --options takes SpeakerOptions as JSON, or an array of them (a sweep).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyzeSpeakersMfccBic,
  createSileroVad,
  createSpeakerEngine,
  decodeToPcm,
  type SpeakerOptions,
  type SpeechSegment,
} from '@earshot/audio';
import { percentWithInterval } from './confidence';
import { ensureEvalTools, ensureMbrolaVoices } from './debian-packages';
import { generateActedCases } from './acted-voice-cases';
import { asRecorderSends, generateCases } from './generate-cases';
import {
  generateMbrolaSpeakerCases,
  generateSpeakerCases,
  MBROLA_SPEAKER_VOICES,
  type SpeakerCase,
} from './speaker-cases';

const REPO_ROOT = path.resolve(__dirname, '..');

type SetName = 'real' | 'generated' | 'short' | 'tuning' | 'heldout' | 'mbrola' | 'acted';
const SETS: SetName[] = ['real', 'generated', 'short', 'tuning', 'heldout', 'mbrola', 'acted'];

interface EvalCase {
  id: string;
  file: string;
  set: SetName;
  kind: string;
  numSpeakers: number;
}

interface ManifestClip {
  id: string;
  file: string;
  tags: string[];
  ground_truth: { num_speakers?: number };
}

const evalCaseOf = (c: SpeakerCase): EvalCase => ({
  id: c.id,
  file: c.file,
  set: c.set,
  kind: c.kind,
  numSpeakers: c.numSpeakers,
});

function loadCases(dataDir: string, casesDir: string, fresh: boolean): EvalCase[] {
  const manifest = JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')) as { clips: ManifestClip[] };
  const real: EvalCase[] = manifest.clips
    .filter((clip) => clip.ground_truth.num_speakers !== undefined)
    .map((clip) => ({
      id: clip.id,
      file: path.join(dataDir, clip.file),
      set: 'real',
      kind: clip.ground_truth.num_speakers === 0 ? 'no_speech' : 'real',
      numSpeakers: clip.ground_truth.num_speakers!,
    }));
  const listFile = path.join(casesDir, 'cases.json');
  if (fresh) rmSync(casesDir, { recursive: true, force: true });
  if (!existsSync(listFile)) {
    mkdirSync(casesDir, { recursive: true });
    const started = Date.now();
    mkdirSync(path.join(casesDir, 'gen'), { recursive: true });
    const generated: EvalCase[] = generateCases(path.join(casesDir, 'gen')).map((c) => ({
      id: c.id,
      file: c.file,
      // Wake-phrase, near-miss and flag cases are 2-3 s of one voice: more false-alarm evidence, kept apart
      // from the speaker cases that `npm run eval` counts.
      set: c.group === 'speakers' || c.group === 'noise_only' ? 'generated' : 'short',
      kind: c.group,
      numSpeakers: c.numSpeakers,
    }));
    const own: EvalCase[] = generateSpeakerCases(path.join(casesDir, 'spk')).map(evalCaseOf);
    writeFileSync(listFile, JSON.stringify([...generated, ...own], null, 1));
    process.stderr.write(`generated cases in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  // The MBROLA voices: a second held-out set, added after every setting was chosen (its own list: older caches stay).
  const mbrolaList = path.join(casesDir, 'mbrola-cases.json');
  let mbrola: EvalCase[] = existsSync(mbrolaList) ? (JSON.parse(readFileSync(mbrolaList, 'utf8')) as EvalCase[]) : [];
  if (
    !existsSync(mbrolaList) &&
    ensureMbrolaVoices(
      MBROLA_SPEAKER_VOICES.map((v) => v.id),
      'speakers-eval',
    )
  ) {
    mbrola = generateMbrolaSpeakerCases(path.join(casesDir, 'mbrola')).map(evalCaseOf);
    writeFileSync(mbrolaList, JSON.stringify(mbrola, null, 1));
  }
  // Recorded people laughing, coughing and exclaiming between lines (one voice each): false-alarm evidence.
  const acted: EvalCase[] = generateActedCases(path.join(casesDir, 'acted'));
  return [...real, ...(JSON.parse(readFileSync(listFile, 'utf8')) as EvalCase[]), ...mbrola, ...acted];
}

interface Outcome {
  c: EvalCase;
  found: number;
  confidence: number;
}

const pct = (n: number, d: number): string => (d ? `${((100 * n) / d).toFixed(1)} %` : '-');

function report(outcomes: Outcome[], perCase: boolean): string {
  const lines = [
    '| set | count exact | >1-voice recall | >1-voice false alarms | misses / false alarms |',
    '|---|---|---|---|---|',
  ];
  const groups: Array<[string, Outcome[]]> = [
    ...SETS.map((set): [string, Outcome[]] => [set, outcomes.filter((o) => o.c.set === set)]),
    ['real + generated (run-eval set)', outcomes.filter((o) => o.c.set === 'real' || o.c.set === 'generated')],
    ['all but short', outcomes.filter((o) => o.c.set !== 'short' && o.c.set !== 'acted')],
  ];
  for (const [name, group] of groups) {
    const multi = group.filter((o) => o.c.numSpeakers >= 2);
    const single = group.filter((o) => o.c.numSpeakers === 1);
    const exact = group.filter((o) => o.found === o.c.numSpeakers).length;
    const hits = multi.filter((o) => o.found >= 2).length;
    const falseAlarms = single.filter((o) => o.found >= 2);
    const errors = [...multi.filter((o) => o.found < 2), ...falseAlarms].map(
      (o) => `${o.c.id} ${o.c.numSpeakers}/${o.found}`,
    );
    lines.push(
      `| ${name} | ${pct(exact, group.length)} (${exact}/${group.length}) | ${percentWithInterval(hits, multi.length)} | ${percentWithInterval(falseAlarms.length, single.length)} | ${name.includes(' ') ? '' : errors.join(', ')} |`,
    );
  }
  if (perCase) {
    lines.push('', '| case | set | kind | ref | found | confidence |', '|---|---|---|---|---|---|');
    for (const o of outcomes)
      lines.push(
        `| ${o.c.id} | ${o.c.set} | ${o.c.kind} | ${o.c.numSpeakers} | ${o.found}${o.found === o.c.numSpeakers ? '' : ' ✗'} | ${o.confidence.toFixed(2)} |`,
      );
  }
  return lines.join('\n');
}

async function benchStage(dataDir: string, runs: number, options: SpeakerOptions): Promise<void> {
  const pcm = await decodeToPcm(path.join(dataDir, 'clips/pyannote_sample_2spk.wav'));
  const vad = await createSileroVad();
  const { segments } = await vad.detect(pcm);
  await vad.close();
  const started = performance.now();
  analyzeSpeakersMfccBic(pcm, segments, options); // the first call also compiles
  const firstMs = performance.now() - started;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    analyzeSpeakersMfccBic(pcm, segments, options);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const speechSec = segments.reduce((sum, s) => sum + s.endSec - s.startSec, 0);
  process.stdout.write(
    `speaker stage, 30 s chunk with ${speechSec.toFixed(1)} s of speech: median ${times[Math.floor(runs / 2)]!.toFixed(1)} ms over ${runs} runs (min ${times[0]!.toFixed(1)}, max ${times[runs - 1]!.toFixed(1)}; first call ${firstMs.toFixed(1)} ms)\n`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      cases: { type: 'string' },
      fresh: { type: 'boolean' },
      options: { type: 'string' },
      'per-case': { type: 'boolean' },
      bench: { type: 'boolean' },
      runs: { type: 'string' },
      out: { type: 'string' },
      /** Re-encode every case as the exam page sends it: webm/opus at this bitrate (bits/s), 48 kHz. */
      opus: { type: 'string' },
      /** A speaker-embedding ONNX model: measure the sherpa-onnx engine with it instead of mfcc-bic. */
      'speaker-model': { type: 'string' },
    },
  });
  const dataDir = path.resolve(
    values.data ?? process.env.EARSHOT_EVALDATA ?? path.join(REPO_ROOT, '../shared/evaldata'),
  );
  const parsed: unknown = values.options ? JSON.parse(values.options) : {};
  const sweep = (Array.isArray(parsed) ? parsed : [parsed]) as SpeakerOptions[];
  if (values.bench) {
    for (const options of sweep) await benchStage(dataDir, Number(values.runs ?? 15), options);
    return;
  }
  const casesDir = path.resolve(values.cases ?? path.join(tmpdir(), 'earshot-speaker-cases'));
  if (values.fresh || !existsSync(path.join(casesDir, 'cases.json'))) ensureEvalTools('speakers-eval');
  const cases = loadCases(dataDir, casesDir, values.fresh ?? false);
  if (values.opus) asRecorderSends(cases, path.join(casesDir, `opus-${values.opus}`), values.opus);

  const vadFile = path.join(casesDir, 'vad.json');
  const vadCache = (existsSync(vadFile) ? JSON.parse(readFileSync(vadFile, 'utf8')) : {}) as Record<
    string,
    SpeechSegment[]
  >;
  const vad = await createSileroVad();
  const inputs: Array<{ c: EvalCase; pcm: Float32Array; segments: SpeechSegment[] }> = [];
  try {
    for (const c of cases) {
      const pcm = await decodeToPcm(c.file);
      const segments = vadCache[c.file] ?? (await vad.detect(pcm)).segments;
      vadCache[c.file] = segments;
      inputs.push({ c, pcm, segments });
    }
  } finally {
    await vad.close();
  }
  writeFileSync(vadFile, JSON.stringify(vadCache));

  // --speaker-model PATH: the sherpa-onnx engine with that model (mfcc-bic, with the reason, when it cannot load).
  const engine = await createSpeakerEngine(
    values['speaker-model'] ? { engine: 'sherpa-onnx', modelPath: values['speaker-model'] } : { engine: 'mfcc-bic' },
  );
  if (engine.notice) process.stderr.write(`speakers-eval: ${engine.notice}\n`);
  const engineName = engine.engine; // mfcc-bic also when the model could not load (engine.notice says why)
  for (const options of sweep) {
    let stageMs = 0;
    const outcomes: Outcome[] = [];
    for (const { c, pcm, segments } of inputs) {
      const started = performance.now();
      const result = await engine.analyze(pcm, segments, options);
      stageMs += performance.now() - started;
      outcomes.push({ c, found: result.speakerCount, confidence: result.confidence });
    }
    const audioSec = inputs.reduce((sum, { pcm }) => sum + pcm.length / 16_000, 0);
    process.stdout.write(
      `\noptions ${JSON.stringify(options)}: speaker stage ${((stageMs / audioSec) * 30).toFixed(1)} ms per 30 s of audio (all cases, not pinned)\n\n`,
    );
    const table = report(outcomes, values['per-case'] ?? false);
    process.stdout.write(`${table}\n`);
    // The default settings' figures are the committed results; sweeps only print.
    if (!values.options) {
      const defaultOut = engineName === 'mfcc-bic' ? 'speaker-eval.md' : `speaker-eval-${engineName}.md`;
      const out = path.resolve(values.out ?? path.join(REPO_ROOT, 'eval/results', defaultOut));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(
        out,
        [
          `# Speaker counting: Silero VAD + ${engineName}${engineName !== 'mfcc-bic' && values['speaker-model'] ? ` (${path.basename(values['speaker-model'])})` : ''}, default settings`,
          '',
          `Written by \`npx tsx eval/speakers-eval.ts\` (part of \`npm run eval\`) on ${new Date().toISOString().slice(0, 10)}. Sets: real clips of shared/evaldata, generated cases of eval/generate-cases.ts (\`short\`: its 2-3 s one-voice phrase and flag clips), eval/speaker-cases.ts voices split into tuning and held-out sets, and \`acted\` (eval/acted-voice-cases.ts): one recorded person per clip, lines with their own laugh, cough, groans and shouts between (one voice each; not in \`all but short\`).`,
          '',
          table,
          '',
        ].join('\n'),
      );
      process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
    }
  }
  await engine.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`speakers-eval: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
