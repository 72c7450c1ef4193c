/**
 * `npm run train:wake [-- --dir DIR --shard i/n|real|hard --epochs N --hidden H --holdout v1,v2 --no-center
 * --no-real --negative-stride N --accented --pico --mbrola --hard-negatives N --joint-calibration --seed N --calibrate MODEL --ensemble A,B,.. --out FILE]`: trains the wake-phrase heads (libs/audio/models/wake-phrases/wake-heads.json); the
 * defaults reproduce the committed model.
 * 1. clips (cached in DIR, default $TMPDIR/earshot-wake-train): TTS phrases in carrier sentences, near misses and
 *    other speech in the training voices (training-data.ts), fortune sentences as more negatives, real recorded
 *    speech from Debian packages as negatives and as context around phrases, near-miss fragments (real-speech.ts);
 * 2. speech embeddings of every clip, cached beside it. `--shard i/n` does steps 1-2 for every n-th voice and
 *    stops, `--shard real` and `--shard hard` the real-speech and near-miss clips, `--shard accented` the accented
 *    voices (`--accented` trains on them too), `--shard pico` SVOX Pico's English voices (`--pico`), `--shard mbrola[:i/n]` the MBROLA voices (`--mbrola`), so processes
 *    can share the work;
 * 3. a one-hidden-layer classifier over windows of 16 embeddings (centred on their clip's mean), Adam on a
 *    class-weighted cross-entropy;
 * 4. per-phrase thresholds calibrated on the `--holdout` voices (kept out of training): the lowest with no false
 *    alarm on them, then the model JSON with its training and validation figures. `--calibrate MODEL` only
 *    calibrates an existing model on the validation voices and prints the result (to compare models on one set).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeToPcm } from '../../libs/audio/src/decode/ffmpeg.decoder';
import {
  centerEmbeddings,
  createSpeechEmbedder,
  EMBEDDING_DIM,
  EMBEDDING_HOP_SEC,
} from '../../libs/audio/src/phrases/speech-embedding';
import {
  createWakeHead,
  encodeFloat32,
  ensembleOf,
  forward,
  PHRASE_MARGIN_AFTER_SEC,
  PHRASE_MARGIN_BEFORE_SEC,
  windowSpanSec,
  type WakeHeadModel,
} from '../../libs/audio/src/phrases/wake-head';
import { findWakeRuns } from '../../libs/audio/src/phrases/embedding.spotter';
import { ensureDebianPackages, hasCommand, missingMbrolaPackages } from '../debian-packages';
import { generateNearMissClips, generateRealSpeechClips, REAL_SPEECH_PACKAGES } from './real-speech';
import {
  ACCENTED_VOICE_PACKAGES,
  ACCENTED_VOICES,
  generateExtraNegatives,
  PICO_VOICE_PACKAGES,
  PICO_VOICES,
  MBROLA_VOICES,
  generateTrainingClips,
  seededRandom,
  TRAINING_VOICES,
  WAKE_CLASSES,
  type TrainingClip,
} from './training-data';

const WINDOW_EMBEDDINGS = 16;
const INPUT = WINDOW_EMBEDDINGS * EMBEDDING_DIM;

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: path.join(tmpdir(), 'earshot-wake-train') },
    shard: { type: 'string' },
    epochs: { type: 'string', default: '4' },
    hidden: { type: 'string', default: '64' },
    /** Validation voices: kept out of training, the thresholds are calibrated on them. */
    holdout: { type: 'string', default: 'flite:rms,en-gb-x-rp+Annie,en-029+f5' },
    out: { type: 'string', default: path.resolve(__dirname, '../../libs/audio/models/wake-phrases/wake-heads.json') },
    threshold: { type: 'string', default: '0.5' },
    'min-windows': { type: 'string', default: '2' },
    noise: { type: 'string', default: '0.1' },
    'no-center': { type: 'boolean', default: false },
    'negative-stride': { type: 'string', default: '1' },
    /** Calibrate this model file on the validation voices and print the result (no training). */
    calibrate: { type: 'string' },
    /** Model files (comma-separated) averaged into one ensemble, calibrated on the validation voices, written to --out. */
    ensemble: { type: 'string' },
    extra: { type: 'string', default: '100' },
    'no-real': { type: 'boolean', default: false },
    /** Seed of the initial weights and the sample order. */
    seed: { type: 'string', default: '7' },
    /** Also train on the accented natural voices (training-data.ts ACCENTED_VOICES). */
    accented: { type: 'boolean', default: false },
    /** Also train on SVOX Pico's English voices (training-data.ts PICO_VOICES; Debian non-free). */
    pico: { type: 'boolean', default: false },
    /** Also train on MBROLA voices of other languages' speakers reading English (training-data.ts MBROLA_VOICES). */
    mbrola: { type: 'boolean', default: false },
    /**
     * Hard-negative mining: after training, phrase-free windows the heads give a phrase at least 0.5 are repeated
     * this many times more and the heads trained one more epoch from where they are (0: off).
     */
    'hard-negatives': { type: 'string', default: '0' },
    /** Calibrate on the spotter's decision (calibrate()): another phrase firing under a stronger one is no alarm. */
    'joint-calibration': { type: 'boolean', default: false },
  },
});
const trainingVoices: readonly string[] = [
  ...TRAINING_VOICES,
  ...(values.accented ? ACCENTED_VOICES : []),
  ...(values.pico ? PICO_VOICES : []),
  ...(values.mbrola ? MBROLA_VOICES : []),
];

interface Loaded {
  clip: TrainingClip;
  data: Float32Array;
  count: number;
}

interface Sample {
  clip: number;
  window: number;
  label: number;
}

function extraNegatives(dir: string, voices: readonly string[]): TrainingClip[] {
  const perVoice = Number(values.extra);
  return perVoice > 0 ? generateExtraNegatives(dir, voices, perVoice) : [];
}

async function embedClips(clips: TrainingClip[]): Promise<void> {
  const embedder = await createSpeechEmbedder();
  let done = 0;
  for (const clip of clips) {
    const file = `${clip.file}.emb`;
    if (existsSync(file)) continue;
    const { data } = await embedder.embed(await decodeToPcm(clip.file));
    writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (++done % 500 === 0) process.stderr.write(`  embedded ${done}\n`);
  }
  await embedder.close();
}

function load(clips: TrainingClip[]): Loaded[] {
  return clips.map((clip) => {
    const bytes = readFileSync(`${clip.file}.emb`);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const count = data.length / EMBEDDING_DIM;
    if (!values['no-center']) centerEmbeddings({ data, count });
    return { clip, data, count };
  });
}

/**
 * Window labels: the phrase class when the phrase lies inside with margins, none when apart, skipped between.
 * `negativeStride` keeps every n-th phrase-free window (neighbours 80 ms apart are nearly the same).
 */
function samplesOf(loaded: Loaded[], spanSec: number, negativeStride = 1): Sample[] {
  const samples: Sample[] = [];
  for (const [c, { clip, count }] of loaded.entries()) {
    for (let j = 0; j + WINDOW_EMBEDDINGS <= count; j++) {
      const start = j * EMBEDDING_HOP_SEC;
      const end = start + spanSec;
      if (clip.phraseClass < 0) {
        if (j % negativeStride === 0) samples.push({ clip: c, window: j, label: 0 });
      } else if (clip.startSec! >= start + PHRASE_MARGIN_BEFORE_SEC && clip.endSec! <= end - PHRASE_MARGIN_AFTER_SEC)
        samples.push({ clip: c, window: j, label: clip.phraseClass + 1 });
      else if ((clip.endSec! <= start || clip.startSec! >= end) && j % negativeStride === 0)
        samples.push({ clip: c, window: j, label: 0 });
    }
  }
  return samples;
}

function statistics(loaded: Loaded[]): { mean: number[]; std: number[] } {
  const sum = new Float64Array(EMBEDDING_DIM);
  const squares = new Float64Array(EMBEDDING_DIM);
  let n = 0;
  for (const { data, count } of loaded) {
    for (let i = 0; i < count * EMBEDDING_DIM; i++) {
      sum[i % EMBEDDING_DIM]! += data[i]!;
      squares[i % EMBEDDING_DIM]! += data[i]! * data[i]!;
    }
    n += count;
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (s, d) => Math.sqrt(Math.max(1e-6, s / n - mean[d]! ** 2)));
  return { mean, std };
}

interface HeadWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** One window's input to the heads: its embeddings standardised, plus `noise` × a gaussian per value. */
function windowInput(
  input: Float32Array,
  data: Float32Array,
  window: number,
  stats: { mean: number[]; invStd: number[] },
  noise = 0,
  gaussian: () => number = () => 0,
): void {
  const offset = window * EMBEDDING_DIM;
  for (let i = 0; i < INPUT; i++)
    input[i] =
      (data[offset + i]! - stats.mean[i % EMBEDDING_DIM]!) * stats.invStd[i % EMBEDDING_DIM]! + noise * gaussian();
}

/** Phrase-free training windows the heads give some phrase at least `minProbability`. */
function hardNegatives(
  loaded: Loaded[],
  samples: Sample[],
  stats: { mean: number[]; std: number[] },
  weights: HeadWeights,
  minProbability = 0.5,
): Sample[] {
  const standard = { mean: stats.mean, invStd: stats.std.map((s) => 1 / s) };
  const input = new Float32Array(INPUT);
  const hidden = new Float32Array(weights.b1.length);
  const out = new Float32Array(weights.b2.length);
  return samples.filter((s) => {
    if (s.label !== 0) return false;
    windowInput(input, loaded[s.clip]!.data, s.window, standard);
    forward(input, weights.w1, weights.b1, weights.w2, weights.b2, hidden, out);
    return out[0]! <= 1 - minProbability;
  });
}

function train(
  loaded: Loaded[],
  samples: Sample[],
  stats: { mean: number[]; std: number[] },
  hiddenSize: number,
  epochs: number,
  from?: HeadWeights,
): HeadWeights {
  const classes = WAKE_CLASSES.length + 1;
  const random = seededRandom(Number(values.seed) + (from ? 1 : 0));
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const w1 = from?.w1 ?? Float32Array.from({ length: hiddenSize * INPUT }, () => gaussian() * Math.sqrt(2 / INPUT));
  const b1 = from?.b1 ?? new Float32Array(hiddenSize);
  const w2 =
    from?.w2 ?? Float32Array.from({ length: classes * hiddenSize }, () => gaussian() * Math.sqrt(2 / hiddenSize));
  const b2 = from?.b2 ?? new Float32Array(classes);
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new Float32Array(p.length));
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  const counts = new Array<number>(classes).fill(0);
  for (const s of samples) counts[s.label]!++;
  const weights = counts.map((n) => (n ? Math.sqrt(samples.length / (classes * n)) : 0));
  const standard = { mean: stats.mean, invStd: stats.std.map((s) => 1 / s) };
  const input = new Float32Array(INPUT);
  const hidden = new Float32Array(hiddenSize);
  const out = new Float32Array(classes);
  const dHidden = new Float32Array(hiddenSize);
  const batchSize = 128;
  const featureNoise = Number(values.noise);
  const weightDecay = 1e-4;
  let step = 0;
  const order = samples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const k = Math.floor(random() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    const lr = 1e-3 * (epoch < epochs - 2 ? 1 : 0.3);
    let loss = 0;
    for (let first = 0; first < order.length; first += batchSize) {
      for (const g of grads) g.fill(0);
      const last = Math.min(order.length, first + batchSize);
      for (let b = first; b < last; b++) {
        const s = samples[order[b]!]!;
        // Small feature noise: the synthetic voices are cleaner than people.
        windowInput(input, loaded[s.clip]!.data, s.window, standard, featureNoise, gaussian);
        forward(input, w1, b1, w2, b2, hidden, out);
        const weight = weights[s.label]!;
        loss -= weight * Math.log(out[s.label]! + 1e-9);
        dHidden.fill(0);
        for (let c = 0; c < classes; c++) {
          const d = weight * (out[c]! - (c === s.label ? 1 : 0));
          grads[3]![c]! += d;
          for (let h = 0; h < hiddenSize; h++) {
            grads[2]![c * hiddenSize + h]! += d * hidden[h]!;
            dHidden[h]! += d * w2[c * hiddenSize + h]!;
          }
        }
        for (let h = 0; h < hiddenSize; h++) {
          if (hidden[h]! <= 0) continue;
          const d = dHidden[h]!;
          grads[1]![h]! += d;
          const row = h * INPUT;
          const g = grads[0]!;
          for (let i = 0; i < INPUT; i++) g[row + i]! += d * input[i]!;
        }
      }
      step++;
      const n = last - first;
      const correction1 = 1 - 0.9 ** step;
      const correction2 = 1 - 0.999 ** step;
      for (const [p, param] of params.entries()) {
        const g = grads[p]!;
        const mp = m[p]!;
        const vp = v[p]!;
        for (let i = 0; i < param.length; i++) {
          const gi = g[i]! / n + weightDecay * param[i]!;
          mp[i] = 0.9 * mp[i]! + 0.1 * gi;
          vp[i] = 0.999 * vp[i]! + 0.001 * gi * gi;
          param[i] = param[i]! - (lr * (mp[i]! / correction1)) / (Math.sqrt(vp[i]! / correction2) + 1e-8);
        }
      }
    }
    process.stderr.write(`  epoch ${epoch + 1}/${epochs}: loss ${(loss / order.length).toFixed(4)}\n`);
  }
  return { w1, b1, w2, b2 };
}

interface Scored {
  clip: TrainingClip;
  scored: { probabilities: Float32Array; windows: number };
}

function scoreClips(model: WakeHeadModel, loaded: Loaded[]): Scored[] {
  const head = createWakeHead(model);
  return loaded.map(({ clip, data, count }) => ({ clip, scored: head.scoreWindows({ data, count }) }));
}

/** Clip-level figures: a phrase clip is found when its phrase is detected, a phrase-free clip fails on any detection. */
function clipFigures(
  model: WakeHeadModel,
  scored: Scored[],
  thresholds = model.thresholds,
  minWindows = model.minWindows,
) {
  const head = createWakeHead(model);
  const byVoice = new Map<string, { positives: number; found: number; negatives: number; falseAlarms: number }>();
  for (const { clip, scored: s } of scored) {
    const voice = clip.voice.startsWith('real:') ? 'real speech' : baseVoice(clip.voice);
    const entry = byVoice.get(voice) ?? { positives: 0, found: 0, negatives: 0, falseAlarms: 0 };
    byVoice.set(voice, entry);
    const detections = findWakeRuns(head, s, thresholds, minWindows);
    if (clip.phraseClass >= 0) {
      entry.positives++;
      if (detections.some((d) => d.phrase === WAKE_CLASSES[clip.phraseClass])) entry.found++;
    } else {
      entry.negatives++;
      if (detections.length) entry.falseAlarms++;
    }
  }
  return Object.fromEntries(byVoice);
}

/** The TTS voice of a clip ("mixed:flite:rms", a phrase in real context, is flite:rms). */
const baseVoice = (voice: string): string => voice.replace(/^mixed:/, '');

const THRESHOLD_GRID = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99999];
const MIN_WINDOWS_GRID = [2, 3, 4];

/**
 * Per-phrase thresholds on the validation voices: for each run length, each phrase gets the lowest threshold at
 * which it fires on no validation clip without it (phrase-free clips and clips of another phrase). With
 * `joint`, the thresholds are then lowered one phrase at a time, lowest first, as far as the spotter's own
 * decision stays right: where two phrases fire on one stretch the spotter keeps the more probable, so "hey google"
 * firing under a stronger "ok google" is no false alarm, and the check is that no validation clip's detections hold
 * a phrase it does not contain (and that no phrase found before is lost). Then the run length that finds the most
 * validation phrases wins.
 */
function calibrate(model: WakeHeadModel, validation: Scored[], joint = values['joint-calibration']) {
  const head = createWakeHead(model);
  const positives = validation.filter((v) => v.clip.phraseClass >= 0);
  const recallOf = (thresholds: Record<string, number>, minWindows: number): number =>
    positives.filter(({ clip, scored }) =>
      findWakeRuns(head, scored, thresholds, minWindows).some((d) => d.phrase === WAKE_CLASSES[clip.phraseClass]),
    ).length;
  const wrongOf = (thresholds: Record<string, number>, minWindows: number): number =>
    validation.filter(({ clip, scored }) =>
      findWakeRuns(head, scored, thresholds, minWindows).some((d) => d.phrase !== WAKE_CLASSES[clip.phraseClass]),
    ).length;
  const trials = MIN_WINDOWS_GRID.map((minWindows) => {
    const thresholds: Record<string, number> = {};
    for (const phrase of WAKE_CLASSES) {
      // With only this phrase's threshold, any detection on a clip without it is a false alarm.
      thresholds[phrase] =
        THRESHOLD_GRID.find((t) => wrongOf({ [phrase]: t }, minWindows) === 0) ??
        THRESHOLD_GRID[THRESHOLD_GRID.length - 1]!;
    }
    if (joint && wrongOf(thresholds, minWindows) === 0) {
      for (let sweep = 0; sweep < 3; sweep++) {
        let lowered = false;
        for (const phrase of WAKE_CLASSES) {
          const found = recallOf(thresholds, minWindows);
          const lower = THRESHOLD_GRID.find((t) => {
            if (t >= thresholds[phrase]!) return false;
            const trial = { ...thresholds, [phrase]: t };
            return wrongOf(trial, minWindows) === 0 && recallOf(trial, minWindows) >= found;
          });
          if (lower === undefined) continue;
          thresholds[phrase] = lower;
          lowered = true;
        }
        if (!lowered) break;
      }
    }
    return { minWindows, thresholds, recall: recallOf(thresholds, minWindows) / Math.max(1, positives.length) };
  });
  return trials.reduce((best, t) => (t.recall > best.recall ? t : best));
}

/** TTS voices, sox, ffmpeg, the fortunes text and the real-speech packages; installed when run as root. */
function ensureTrainingTools(): void {
  ensureDebianPackages(
    [
      ...[
        { command: 'ffmpeg', packages: ['ffmpeg'] },
        { command: 'sox', packages: ['sox'] },
        { command: 'espeak-ng', packages: ['espeak-ng'] },
        { command: 'flite', packages: ['flite'] },
        { command: 'text2wave', packages: ['festival'] },
      ]
        .filter((t) => !hasCommand(t.command))
        .flatMap((t) => t.packages),
      ...[
        { packageName: 'festvox-kallpc16k', dir: '/usr/share/festival/voices/english/kal_diphone' },
        { packageName: 'fortunes', dir: '/usr/share/games/fortunes' },
        ...REAL_SPEECH_PACKAGES,
        ...(values.accented || values.shard === 'accented' ? ACCENTED_VOICE_PACKAGES : []),
        ...(values.pico || values.shard === 'pico' ? PICO_VOICE_PACKAGES : []),
      ]
        .filter((p) => !existsSync(p.dir))
        .map((p) => p.packageName),
    ],
    'train:wake',
  );
  if (values.mbrola || values.shard?.startsWith('mbrola'))
    ensureDebianPackages(missingMbrolaPackages(MBROLA_VOICES), 'train:wake');
}

async function main(): Promise<void> {
  ensureTrainingTools();
  const dir = values.dir;
  if (values.shard === 'hard') {
    const clips = generateNearMissClips(path.join(dir, 'hard'));
    await embedClips(clips);
    process.stderr.write(`near misses: ${clips.length} clips ready\n`);
    return;
  }
  if (values.shard === 'real') {
    const clips = generateRealSpeechClips(path.join(dir, 'real'));
    await embedClips(clips);
    process.stderr.write(`real speech: ${clips.length} clips ready\n`);
    return;
  }
  if (values.shard) {
    // i/n: every n-th training voice; accented, pico, mbrola: those voices; mbrola:i/n: every n-th of them
    const named: Record<string, readonly string[]> = {
      accented: ACCENTED_VOICES,
      pico: PICO_VOICES,
      mbrola: MBROLA_VOICES,
    };
    const [set, part] = values.shard.includes(':')
      ? (values.shard.split(':') as [string, string])
      : named[values.shard]
        ? [values.shard, '0/1']
        : [undefined, values.shard];
    const [index, total] = part.split('/').map(Number) as [number, number];
    const voices = (set ? (named[set] ?? []) : TRAINING_VOICES).filter((_, i) => i % total === index);
    if (voices.length === 0) throw new Error(`--shard ${values.shard}: no such voices`);
    const clips = [...generateTrainingClips(dir, voices), ...extraNegatives(dir, voices)];
    await embedClips(clips);
    process.stderr.write(`shard ${values.shard}: ${clips.length} clips ready\n`);
    return;
  }
  const clips = [
    ...generateTrainingClips(dir, trainingVoices),
    ...extraNegatives(dir, trainingVoices),
    ...(values['no-real'] ? [] : generateRealSpeechClips(path.join(dir, 'real'))),
    ...(values['no-real'] ? [] : generateNearMissClips(path.join(dir, 'hard'))),
  ];
  await embedClips(clips);
  const holdout = new Set(values.holdout.split(',').filter(Boolean));
  const all = load(clips);
  const trainSet = all.filter((l) => !holdout.has(baseVoice(l.clip.voice)));
  const validation = all.filter((l) => holdout.has(baseVoice(l.clip.voice)));
  if (values.ensemble) {
    const [first, ...others] = values.ensemble
      .split(',')
      .map((file) => JSON.parse(readFileSync(file, 'utf8')) as WakeHeadModel);
    const model = ensembleOf(first!, others);
    const scored = scoreClips(model, validation);
    const calibrated = calibrate(model, scored);
    model.thresholds = calibrated.thresholds;
    model.minWindows = calibrated.minWindows;
    model.training = {
      ...model.training,
      command: `npm run train:wake -- ${process.argv.slice(2).join(' ')}`.trim(),
      ensemble: `the mean of ${others.length + 1} heads: ${values.ensemble}`,
      validationClips: clipFigures(model, scored),
    };
    writeFileSync(values.out, `${JSON.stringify(model)}\n`);
    process.stdout.write(
      `${JSON.stringify({ ...calibrated, validationClips: model.training.validationClips }, null, 1)}\n`,
    );
    return;
  }
  if (values.calibrate) {
    // An existing model calibrated on these validation voices: its thresholds and validation figures.
    const existing = JSON.parse(readFileSync(values.calibrate, 'utf8')) as WakeHeadModel;
    const calibrated = calibrate(existing, scoreClips(existing, validation));
    const figures = clipFigures(
      existing,
      scoreClips(existing, validation),
      calibrated.thresholds,
      calibrated.minWindows,
    );
    process.stdout.write(`${JSON.stringify({ ...calibrated, validationClips: figures }, null, 1)}\n`);
    return;
  }
  const hiddenSize = Number(values.hidden);
  const epochs = Number(values.epochs);
  const samples = samplesOf(trainSet, windowSpanSec(WINDOW_EMBEDDINGS), Number(values['negative-stride']));
  const stats = statistics(trainSet);
  const counts = [0, ...WAKE_CLASSES.map(() => 0)];
  for (const s of samples) counts[s.label]!++;
  process.stderr.write(
    `training on ${trainSet.length} clips, ${samples.length} windows (per class ${counts.join(', ')})\n`,
  );
  const started = Date.now();
  let weights = train(trainSet, samples, stats, hiddenSize, epochs);
  const hardRepeats = Number(values['hard-negatives']);
  let hardWindows = 0;
  if (hardRepeats > 0) {
    const hard = hardNegatives(trainSet, samples, stats, weights);
    hardWindows = hard.length;
    process.stderr.write(`hard negatives: ${hard.length} windows, each ${hardRepeats} more times, one more epoch\n`);
    const mined = [...samples, ...Array.from({ length: hardRepeats }, () => hard).flat()];
    weights = train(trainSet, mined, stats, hiddenSize, 1, weights);
  }
  const threshold = Number(values.threshold);
  const model: WakeHeadModel = {
    version: 1,
    classes: ['none', ...WAKE_CLASSES],
    windowEmbeddings: WINDOW_EMBEDDINGS,
    hidden: hiddenSize,
    mean: stats.mean.map((x) => Number(x.toFixed(6))),
    std: stats.std.map((x) => Number(x.toFixed(6))),
    w1: encodeFloat32(weights.w1),
    b1: Array.from(weights.b1),
    w2: encodeFloat32(weights.w2),
    b2: Array.from(weights.b2),
    thresholds: Object.fromEntries(WAKE_CLASSES.map((c) => [c, threshold])),
    minWindows: Number(values['min-windows']),
    ...(values['no-center'] ? {} : { centered: true }),
  };
  const trainingSec = Math.round((Date.now() - started) / 1000);
  const scoredValidation = scoreClips(model, validation);
  if (validation.length) {
    const calibrated = calibrate(model, scoredValidation);
    model.thresholds = calibrated.thresholds;
    model.minWindows = calibrated.minWindows;
  }
  model.training = {
    command: `npm run train:wake -- ${process.argv.slice(2).join(' ')}`.trim(),
    voices: [
      ...new Set(
        trainSet.map((l) => l.clip.voice).filter((v) => !v.includes(':') || /^(flite|festival|pico|mbrola):/.test(v)),
      ),
    ],
    realSpeechGroups: [...new Set(trainSet.map((l) => l.clip.voice).filter((v) => v.startsWith('real:')))].length,
    validationVoices: [...holdout],
    clips: trainSet.length,
    windowsPerClass: Object.fromEntries(model.classes.map((c, i) => [c, counts[i]])),
    epochs,
    ...(hardRepeats > 0 ? { hardNegatives: { windows: hardWindows, repeats: hardRepeats, epochs: 1 } } : {}),
    hidden: hiddenSize,
    trainingSec,
    calibration: validation.length
      ? 'per phrase, the lowest threshold with no false alarm on the validation voices; the run length finding most'
      : 'none (no validation voices): --threshold and --min-windows as given',
    trainingClips: clipFigures(model, scoreClips(model, trainSet)),
    ...(validation.length ? { validationClips: clipFigures(model, scoredValidation) } : {}),
  };
  writeFileSync(values.out, `${JSON.stringify(model)}\n`);
  process.stdout.write(`${JSON.stringify(model.training, null, 1)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
