/**
 * `npx tsx eval/wake-model/wake-eval.ts [-- --data DIR --out DIR --head FILE]` (part of `npm run eval`): the
 * speech-embedding wake spotter, as the transcribe stage runs it (Silero speech segments, then the spotter), on
 * - the eval's phrase cases (eval/generate-cases.ts: 15 wake sentences and 10 near misses in 10 voices, clean, over
 *   pink noise or typing), split into the voices the heads were trained on and the held-out ones;
 * - the wake sentences again in the held-out natural voices under harder conditions (a reverberant room, a
 *   telephone band, 20 dB quieter, faster speech);
 * - the same phrase cases in MBROLA's four English voices (real speakers' diphones, a fourth synthesiser: a woman
 *   and two men of American English, a man of British English), held out from training and calibration, and added
 *   after every model setting so far was chosen: no choice was made on them;
 * - every other generated case (conversations, noise, music, typing, flags) and the real clips of shared/evaldata.
 * `--opus 64000` first re-encodes every case as webm/opus at that bitrate, as the exam page's recorder sends it.
 * Writes eval/results/wake-eval.{md,json}.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildPhraseList,
  createSileroVad,
  createWakePhraseSpotter,
  decodeToPcm,
  findWakeRuns,
  type WakeHead,
} from '@earshot/audio';
import { execFileSync } from 'node:child_process';
import { percentWithInterval } from '../confidence';
import { ensureEvalTools, ensureMbrolaVoices } from '../debian-packages';
import {
  asRecorderSends,
  CaseBuilder,
  generateCases,
  generatePhraseCases,
  voiceFamily,
  WAKE_SENTENCES,
  type GeneratedCase,
} from '../generate-cases';

const REPO_ROOT = path.resolve(__dirname, '../..');
const HARD_VOICES = ['flite:slt', 'festival:cmu_us_slt_arctic_hts', 'festival:ked_diphone'];
const HARD_CONDITIONS = ['room', 'phone', 'quiet', 'fast'] as const;
/** MBROLA's English voices: us1 (a woman), us2, us3 (men), en1 (a British man). */
export const MBROLA_EVAL_VOICES = ['mbrola:us1', 'mbrola:us2', 'mbrola:us3', 'mbrola:en1'];

interface EvalCase {
  id: string;
  file: string;
  set: string;
  /** TTS voice of a generated phrase case. */
  voice?: string;
  phrases: string[];
  nearMiss: boolean;
}

interface CaseOutcome extends EvalCase {
  found: Array<{ phrase: string; startSec: number; endSec: number; heard: string }>;
  durationSec: number;
  spotMs: number;
}

/** Window probabilities per case, kept for the operating-point sweep. */
type Scored = Array<{ scored: { probabilities: Float32Array; windows: number } }>;

function setOf(c: GeneratedCase): string {
  if (!c.voice) return c.phrases.length ? 'generated' : `generated ${c.group}`;
  return voiceFamily(c.voice);
}

/** Whether the heads were trained on a voice, calibrated on it, or never heard it (from the model's record). */
function splitOf(voice: string | undefined, head: WakeHead): string {
  if (!voice) return '';
  const training = head.model.training as { voices?: string[]; validationVoices?: string[] } | undefined;
  if (training?.voices?.includes(voice)) return 'training voices';
  if (training?.validationVoices?.includes(voice)) return 'validation voices';
  return 'held-out voices';
}

/** The wake sentences in the held-out natural voices, each under one harder condition (rotating). */
function hardCases(b: CaseBuilder, dir: string): EvalCase[] {
  const cases: EvalCase[] = [];
  for (const [v, voice] of HARD_VOICES.entries()) {
    for (const [i, { text, phrase }] of WAKE_SENTENCES.entries()) {
      const condition = HARD_CONDITIONS[(i + v) % HARD_CONDITIONS.length]!;
      const joined = b.concat([b.silence(0.8), b.speech(text, voice), b.silence(0.8)]);
      const out = path.join(dir, `hard-${v}-${i}-${condition}.wav`);
      const effects =
        condition === 'room'
          ? ['reverb', '70', '50', '100']
          : condition === 'phone'
            ? ['sinc', '300-3400']
            : condition === 'quiet'
              ? ['vol', '0.1']
              : ['tempo', '1.2'];
      execFileSync('sox', ['-R', joined.file, out, ...effects]);
      cases.push({
        id: `hard_${i}_${voice.replace(':', '_')}_${condition}`,
        file: out,
        set: `held-out natural voices, ${condition}`,
        phrases: [phrase],
        nearMiss: false,
      });
    }
  }
  return cases;
}

interface ManifestClip {
  id: string;
  file: string;
  ground_truth: { phrases_present?: Array<{ phrase: string }> };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      head: { type: 'string' },
      cases: { type: 'string' },
      /** Re-encode every case as the exam page sends it: webm/opus at this bitrate (bits/s), 48 kHz. */
      opus: { type: 'string' },
    },
  });
  ensureEvalTools('wake-eval');
  const dataDir = path.resolve(
    values.data ?? process.env.EARSHOT_EVALDATA ?? path.join(REPO_ROOT, '../shared/evaldata'),
  );
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'eval/results'));
  const vad = await createSileroVad();
  const spotter = await createWakePhraseSpotter(values.head ? { headPath: values.head } : {});
  const phrases = buildPhraseList();
  // --cases DIR keeps the generated audio there and reuses it on the next run.
  const tempDir = values.cases ?? mkdtempSync(path.join(tmpdir(), 'earshot-wake-eval-'));
  const outcomes: CaseOutcome[] = [];
  const scoredCases: Array<{ c: EvalCase; regions: Scored }> = [];
  try {
    const manifest = JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')) as { clips: ManifestClip[] };
    const cases: EvalCase[] = manifest.clips.map((clip) => ({
      id: clip.id,
      file: path.join(dataDir, clip.file),
      set: 'real clips',
      phrases: (clip.ground_truth.phrases_present ?? []).map((p) => p.phrase.toLowerCase()),
      nearMiss: false,
    }));
    const cached = path.join(tempDir, 'wake-cases.json');
    if (values.cases && existsSync(cached)) cases.push(...(JSON.parse(readFileSync(cached, 'utf8')) as EvalCase[]));
    else {
      // the hard cases get their own folder: a second CaseBuilder numbers its files from 0 again
      const hardDir = path.join(tempDir, 'hard');
      mkdirSync(hardDir, { recursive: true });
      const b = new CaseBuilder(hardDir);
      const mbrolaDir = path.join(tempDir, 'mbrola');
      mkdirSync(mbrolaDir, { recursive: true });
      const mbrola = ensureMbrolaVoices(MBROLA_EVAL_VOICES, 'wake-eval')
        ? generatePhraseCases(
            new CaseBuilder(mbrolaDir),
            MBROLA_EVAL_VOICES.map((voice) => ({ voice, split: 'heldout' as const })),
          )
        : [];
      const generated = [
        ...[...generateCases(tempDir), ...mbrola].map((c) => ({
          id: c.id,
          file: c.file,
          set: setOf(c),
          ...(c.voice ? { voice: c.voice } : {}),
          phrases: c.phrases,
          nearMiss: c.group === 'phrase_near_miss',
        })),
        ...hardCases(b, hardDir),
      ];
      writeFileSync(cached, JSON.stringify(generated));
      cases.push(...generated);
    }
    for (const c of cases) if (c.voice) c.set = `${c.set} (${splitOf(c.voice, spotter.head)})`;
    if (values.opus) asRecorderSends(cases, path.join(tempDir, `opus-${values.opus}`), values.opus);
    process.stderr.write(
      `wake-eval: ${cases.length} cases${values.opus ? `, as webm/opus at ${values.opus} b/s` : ''}\n`,
    );
    for (const c of cases) {
      const pcm = await decodeToPcm(c.file);
      const { segments } = await vad.detect(pcm);
      // spot() is scoreRegions then hitsOf: one scoring pass serves the figures and the sweep
      const started = performance.now();
      const regions = await spotter.scoreRegions(pcm, segments);
      const hits = spotter.hitsOf(regions, phrases, pcm.length / 16000);
      const spotMs = performance.now() - started;
      scoredCases.push({ c, regions });
      outcomes.push({
        ...c,
        durationSec: pcm.length / 16000,
        spotMs,
        found: hits.map((h) => ({ phrase: h.phrase, startSec: h.startSec, endSec: h.endSec, heard: h.heard })),
      });
    }
  } finally {
    if (!values.cases) rmSync(tempDir, { recursive: true, force: true });
    await vad.close();
    await spotter.close();
  }
  const summary = { ...summarize(outcomes), operatingPoints: sweep(spotter.head, scoredCases) };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'wake-eval.json'), `${JSON.stringify({ summary, outcomes }, null, 1)}\n`);
  const md = markdown(summary);
  writeFileSync(path.join(outDir, 'wake-eval.md'), md);
  process.stdout.write(md);
}

function summarize(outcomes: CaseOutcome[]) {
  const sets = [...new Set(outcomes.map((o) => o.set))];
  const rows = sets.map((set) => {
    const cases = outcomes.filter((o) => o.set === set);
    const positives = cases.filter((o) => o.phrases.length > 0);
    const found = positives.filter((o) => o.phrases.every((p) => o.found.some((f) => f.phrase === p)));
    const wrongPhrase = positives.filter((o) => o.found.some((f) => !o.phrases.includes(f.phrase)));
    const nearMisses = cases.filter((o) => o.nearMiss);
    const negatives = cases.filter((o) => o.phrases.length === 0);
    const falseAlarms = negatives.filter((o) => o.found.length > 0);
    return {
      set,
      positives: positives.length,
      found: found.length,
      missed: positives.filter((o) => !found.includes(o)).map((o) => o.id),
      wrongPhrase: wrongPhrase.map((o) => `${o.id}: ${o.found.map((f) => f.phrase).join(', ')}`),
      nearMisses: nearMisses.length,
      negatives: negatives.length,
      falseAlarms: falseAlarms.map((o) => `${o.id}: ${o.found.map((f) => `${f.phrase} ${f.heard}`).join(', ')}`),
    };
  });
  const spotSec = outcomes.reduce((sum, o) => sum + o.durationSec, 0);
  const real = outcomes.filter((o) => o.set === 'real clips');
  return {
    rows,
    spotMsPer30s: (outcomes.reduce((sum, o) => sum + o.spotMs, 0) / spotSec) * 30,
    realSpotMsPer30s: (real.reduce((sum, o) => sum + o.spotMs, 0) / real.reduce((s, o) => s + o.durationSec, 0)) * 30,
  };
}

/** Operating points: recall and false alarms per kind of case at other thresholds and run lengths. */
const SWEEP: Array<[number, number]> = [
  [0.5, 2],
  [0.9, 2],
  [0.9, 4],
  [0.98, 2],
  [0.99, 2],
  [0.99, 4],
  [0.999, 2],
];

function kindOf(c: EvalCase): string {
  if (c.set === 'real clips') return c.phrases.length ? 'real phrase' : 'real, no phrase';
  if (c.set.startsWith('generated')) return 'other generated';
  if (c.set.startsWith('held-out natural voices,')) return 'held-out natural, harder';
  const family = c.set.startsWith('espeak') ? 'espeak' : c.set.startsWith('mbrola') ? 'mbrola' : 'natural';
  const split = c.set.includes('held-out') ? 'held-out' : c.set.includes('validation') ? 'validation' : 'training';
  return `${split} ${family}${c.nearMiss ? ' near miss' : ''}`;
}

function sweep(head: WakeHead, scoredCases: Array<{ c: EvalCase; regions: Scored }>) {
  return SWEEP.map(([threshold, minWindows]) => {
    const thresholds = Object.fromEntries(head.model.classes.slice(1).map((phrase) => [phrase, threshold]));
    const kinds: Record<string, { cases: number; hits: number }> = {};
    for (const { c, regions } of scoredCases) {
      const found = new Set(
        regions.flatMap((r) => findWakeRuns(head, r.scored, thresholds, minWindows).map((d) => d.phrase)),
      );
      const entry = (kinds[kindOf(c)] ??= { cases: 0, hits: 0 });
      entry.cases++;
      if (c.phrases.length ? c.phrases.every((p) => found.has(p)) : found.size > 0) entry.hits++;
    }
    return { threshold, minWindows, kinds };
  });
}

function markdown(summary: ReturnType<typeof summarize> & { operatingPoints: ReturnType<typeof sweep> }): string {
  const kinds = [...new Set(summary.operatingPoints.flatMap((o) => Object.keys(o.kinds)))].sort();
  return [
    '# Wake phrases: speech-embedding spotter',
    '',
    `Written by \`npx tsx eval/wake-model/wake-eval.ts\` (part of \`npm run eval\`) on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| set | recall | other phrase also reported | false alarms on clips without a phrase (near misses among them) | misses |',
    '| --- | --- | --- | --- | --- |',
    ...summary.rows.map(
      (r) =>
        `| ${r.set} | ${percentWithInterval(r.found, r.positives)} | ${r.wrongPhrase.length} | ${r.negatives ? `${r.falseAlarms.length} of ${r.negatives} (${r.nearMisses})` : '-'} | ${r.missed.join(', ')} |`,
    ),
    '',
    `False alarms: ${summary.rows.flatMap((r) => r.falseAlarms).join('; ') || 'none'}`,
    '',
    `Other phrase also reported: ${summary.rows.flatMap((r) => r.wrongPhrase).join('; ') || 'none'}`,
    '',
    `Cost: ${summary.spotMsPer30s.toFixed(0)} ms per 30 s of audio over all cases, ${summary.realSpotMsPer30s.toFixed(0)} ms per 30 s on the real clips (speech only is embedded).`,
    '',
    '### Other operating points (one threshold for every phrase)',
    '',
    'Phrases found (cases with a phrase) or clips with a false alarm (cases without), per kind of case.',
    '',
    `| threshold, windows in a row | ${kinds.join(' | ')} |`,
    `| --- | ${kinds.map(() => '---').join(' | ')} |`,
    ...summary.operatingPoints.map(
      (o) =>
        `| ${o.threshold}, ${o.minWindows} | ${kinds.map((k) => (o.kinds[k] ? `${o.kinds[k].hits}/${o.kinds[k].cases}` : '-')).join(' | ')} |`,
    ),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`wake-eval: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
