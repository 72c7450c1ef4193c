import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EMBEDDING_DIM, EMBEDDING_HOP_SEC, EMBEDDING_SPAN_SEC, type SpeechEmbeddings } from './speech-embedding';

/**
 * A small classifier over a window of consecutive speech embeddings (1.28 s of them, about 2 s of audio): which
 * wake phrase, if any, the window holds. One hidden layer (ReLU) and a softmax over "none" plus the phrases; the
 * input standardisation is part of the model. Trained by eval/wake-model/train-wake-model.ts on synthetic speech
 * (training voices only) and committed as JSON with its training figures.
 */
export interface WakeHeadModel {
  version: 1;
  /** Class 0 is "no phrase"; the rest are canonical phrases ("hey siri", ...). */
  classes: string[];
  /** Consecutive embeddings per window. */
  windowEmbeddings: number;
  hidden: number;
  /** Per embedding dimension (EMBEDDING_DIM values each), applied at every position of the window. */
  mean: number[];
  std: number[];
  /** Base64 little-endian float32: w1 is hidden × input (row-major), w2 classes × hidden. */
  w1: string;
  b1: number[];
  w2: string;
  b2: number[];
  /** Lowest class probability a window needs, per phrase, and how many windows in a row must reach it. */
  thresholds: Record<string, number>;
  minWindows: number;
  /** Embeddings are centred on the mean of the stretch they come from before scoring (`centerEmbeddings`). */
  centered?: boolean;
  /**
   * More heads trained the same way (other seeds): a window's probabilities are the mean over this head and
   * these. The thresholds above are calibrated on that mean.
   */
  moreMembers?: WakeHeadWeights[];
  /** How it was trained (data, epochs, figures): documentation, not used at run time. */
  training?: Record<string, unknown>;
}

/** The weights of one head: what differs between the members of an ensemble. */
export type WakeHeadWeights = Pick<WakeHeadModel, 'hidden' | 'mean' | 'std' | 'w1' | 'b1' | 'w2' | 'b2'>;

/** Heads of other files as `moreMembers` of `model` (their thresholds, figures and settings are not kept). */
export function ensembleOf(model: WakeHeadModel, others: readonly WakeHeadModel[]): WakeHeadModel {
  const weightsOf = ({ hidden, mean, std, w1, b1, w2, b2 }: WakeHeadWeights): WakeHeadWeights => ({
    hidden,
    mean,
    std,
    w1,
    b1,
    w2,
    b2,
  });
  for (const other of others)
    if (other.windowEmbeddings !== model.windowEmbeddings || other.classes.join() !== model.classes.join())
      throw new Error('ensemble members must share classes and window length');
  return { ...model, moreMembers: [...(model.moreMembers ?? []), ...others.map(weightsOf)] };
}

/**
 * The labelling contract between training and detection: a window holds a phrase when the phrase lies inside it
 * with this much audio before and after it (train-wake-model.ts labels so; the spotter reads times back so).
 */
export const PHRASE_MARGIN_BEFORE_SEC = 0.1;
export const PHRASE_MARGIN_AFTER_SEC = 0.2;

/** Audio a window of `windowEmbeddings` consecutive embeddings covers, from the start of its first. */
export function windowSpanSec(windowEmbeddings: number): number {
  return (windowEmbeddings - 1) * EMBEDDING_HOP_SEC + EMBEDDING_SPAN_SEC;
}

export function defaultWakeHeadPath(): string {
  return path.resolve(__dirname, '../../models/wake-phrases/wake-heads.json');
}

export function encodeFloat32(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export interface WakeHead {
  model: WakeHeadModel;
  /** Audio time a window covers, from the start of its first embedding. */
  windowSpanSec: number;
  /** Probabilities of every window: `windows` × classes.length, window j starting at j × EMBEDDING_HOP_SEC. */
  scoreWindows(embeddings: SpeechEmbeddings): { probabilities: Float32Array; windows: number };
}

export function loadWakeHead(file = defaultWakeHeadPath()): WakeHead {
  return createWakeHead(JSON.parse(readFileSync(file, 'utf8')) as WakeHeadModel);
}

export function createWakeHead(model: WakeHeadModel): WakeHead {
  const inputSize = model.windowEmbeddings * EMBEDDING_DIM;
  const classes = model.classes.length;
  const members = [model, ...(model.moreMembers ?? [])].map((weights) => {
    const w1 = decodeFloat32(weights.w1);
    const w2 = decodeFloat32(weights.w2);
    if (w1.length !== weights.hidden * inputSize || w2.length !== classes * weights.hidden)
      throw new Error('wake head weights do not match their declared sizes');
    return { weights, w1, w2, invStd: weights.std.map((s) => 1 / s), hidden: new Float32Array(weights.hidden) };
  });
  return {
    model,
    windowSpanSec: windowSpanSec(model.windowEmbeddings),
    scoreWindows({ data, count }) {
      const windows = Math.max(0, count - model.windowEmbeddings + 1);
      const probabilities = new Float32Array(windows * classes);
      const memberOut = new Float32Array(classes);
      const standardised = new Float32Array(count * EMBEDDING_DIM);
      for (const { weights, w1, w2, invStd, hidden } of members) {
        // Standardised once per member; a window is then a contiguous slice of them.
        for (let i = 0; i < standardised.length; i++) {
          const d = i % EMBEDDING_DIM;
          standardised[i] = (data[i]! - weights.mean[d]!) * invStd[d]!;
        }
        for (let j = 0; j < windows; j++) {
          const input = standardised.subarray(j * EMBEDDING_DIM, j * EMBEDDING_DIM + inputSize);
          forward(input, w1, weights.b1, w2, weights.b2, hidden, memberOut);
          for (let c = 0; c < classes; c++) probabilities[j * classes + c]! += memberOut[c]! / members.length;
        }
      }
      return { probabilities, windows };
    },
  };
}

/** One forward pass: ReLU hidden layer, then a softmax written into `out`. */
export function forward(
  input: Float32Array,
  w1: Float32Array,
  b1: ArrayLike<number>,
  w2: Float32Array,
  b2: ArrayLike<number>,
  hidden: Float32Array,
  out: Float32Array,
): void {
  const inputSize = input.length;
  for (let h = 0; h < hidden.length; h++) {
    let sum = b1[h]!;
    const row = h * inputSize;
    for (let i = 0; i < inputSize; i++) sum += w1[row + i]! * input[i]!;
    hidden[h] = sum > 0 ? sum : 0;
  }
  let max = -Infinity;
  for (let c = 0; c < out.length; c++) {
    let sum = b2[c]!;
    const row = c * hidden.length;
    for (let h = 0; h < hidden.length; h++) sum += w2[row + h]! * hidden[h]!;
    out[c] = sum;
    if (sum > max) max = sum;
  }
  let total = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = Math.exp(out[c]! - max);
    total += out[c]!;
  }
  for (let c = 0; c < out.length; c++) out[c] = out[c]! / total;
}
