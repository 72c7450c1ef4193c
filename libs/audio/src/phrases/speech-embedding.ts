import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';

/**
 * Google's speech embedding (the feature extractor of openWakeWord, Apache-2.0; shipped in
 * libs/audio/models/speech-embedding with its NOTICE): 16 kHz audio → 32-band log-mel frames every 10 ms →
 * one 96-value embedding per 80 ms, each from 76 mel frames (0.76 s). It was trained on real speech so that
 * keyword classifiers trained on few or synthetic examples generalise (Lin et al. 2020), which is what the wake
 * phrase heads on top of it rely on.
 */
export const EMBEDDING_DIM = 96;
/** Mel frames per embedding and the step between embeddings (10 ms frames). */
const MEL_WINDOW_FRAMES = 76;
const MEL_STEP_FRAMES = 8;
const MEL_BANDS = 32;
const MEL_HOP_SEC = 0.01;
/** The melspectrogram model's hop and analysis window at 16 kHz. */
const MEL_HOP_SAMPLES = 160;
const MEL_WINDOW_SAMPLES = 400;
/** Seconds between consecutive embeddings. */
export const EMBEDDING_HOP_SEC = MEL_STEP_FRAMES * MEL_HOP_SEC;
/** Audio one embedding sees: 76 frames of 10 ms plus the 25 ms analysis window of the last. */
export const EMBEDDING_SPAN_SEC = MEL_WINDOW_FRAMES * MEL_HOP_SEC + 0.015;
/** The melspectrogram model expects int16-scaled samples. */
const INT16_SCALE = 32767;
const ONNX_LOG_ERRORS_ONLY = 3;
/** Embeddings computed per session.run (bounded memory for long inputs). */
const EMBEDDING_BATCH = 256;
/** The melspectrogram model's FFT size: an input of L samples gives floor((L - 512) / 160) + 1 frames. */
const MEL_FFT_SAMPLES = 512;
/**
 * onnxruntime keeps memory for every input shape a session has run (about 0.4 MB each, never given back), and
 * speech windows have any length: one shape per chunk made the analyzer's RSS climb without end. Inputs are
 * padded with zeros to a multiple of these sizes so a session sees a few dozen shapes at most; the frames and
 * embeddings that cover the padding are dropped (the model is frame-local: the kept values are identical).
 */
const MEL_INPUT_BUCKET_SAMPLES = 16_000;
const EMBEDDING_BATCH_BUCKET = 32;

const roundUpTo = (value: number, step: number): number => Math.ceil(value / step) * step;

export interface SpeechEmbeddings {
  /** `count` × EMBEDDING_DIM values; embedding i starts at i × EMBEDDING_HOP_SEC from the input's start. */
  data: Float32Array;
  count: number;
}

export interface SpeechEmbedder {
  embed(pcm: Float32Array): Promise<SpeechEmbeddings>;
  close(): Promise<void>;
}

export interface SpeechEmbedderOptions {
  melModelPath?: string;
  embeddingModelPath?: string;
  /** Default 1: workers scale by process, not by threads. */
  intraOpNumThreads?: number;
}

export function defaultSpeechEmbeddingDir(): string {
  return path.resolve(__dirname, '../../models/speech-embedding');
}

/** Loads both models once; `embed` may be called for any number of inputs. */
export async function createSpeechEmbedder(options: SpeechEmbedderOptions = {}): Promise<SpeechEmbedder> {
  const ort = await import('onnxruntime-node');
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: ONNX_LOG_ERRORS_ONLY,
  };
  const dir = defaultSpeechEmbeddingDir();
  const mel = await ort.InferenceSession.create(
    options.melModelPath ?? path.join(dir, 'melspectrogram.onnx'),
    sessionOptions,
  );
  const embedding = await ort.InferenceSession.create(
    options.embeddingModelPath ?? path.join(dir, 'embedding_model.onnx'),
    sessionOptions,
  );
  const [melInput] = mel.inputNames;
  const [melOutput] = mel.outputNames;
  const [embeddingInput] = embedding.inputNames;
  const [embeddingOutput] = embedding.outputNames;
  if (!melInput || !melOutput || !embeddingInput || !embeddingOutput)
    throw new Error('speech embedding models have unexpected inputs or outputs');

  return {
    async embed(pcm) {
      // too short for one embedding's frames
      if (pcm.length < MEL_WINDOW_FRAMES * MEL_HOP_SAMPLES + MEL_WINDOW_SAMPLES)
        return { data: new Float32Array(0), count: 0 };
      const scaled = new Float32Array(roundUpTo(pcm.length, MEL_INPUT_BUCKET_SAMPLES));
      for (let i = 0; i < pcm.length; i++) scaled[i] = Math.max(-1, Math.min(1, pcm[i]!)) * INT16_SCALE;
      const melResult = await mel.run({ [melInput]: new ort.Tensor('float32', scaled, [1, scaled.length]) });
      const melTensor = melResult[melOutput]!;
      const unpaddedFrames = Math.floor((pcm.length - MEL_FFT_SAMPLES) / MEL_HOP_SAMPLES) + 1;
      const frames = Math.min(melTensor.dims[2] ?? 0, unpaddedFrames);
      const melData = melTensor.data as Float32Array;
      // openWakeWord's scaling of the model's log-mel output.
      for (let i = 0; i < melData.length; i++) melData[i] = melData[i]! / 10 + 2;
      const count = frames >= MEL_WINDOW_FRAMES ? Math.floor((frames - MEL_WINDOW_FRAMES) / MEL_STEP_FRAMES) + 1 : 0;
      const data = new Float32Array(count * EMBEDDING_DIM);
      const windowValues = MEL_WINDOW_FRAMES * MEL_BANDS;
      for (let first = 0; first < count; first += EMBEDDING_BATCH) {
        const n = Math.min(EMBEDDING_BATCH, count - first);
        const batch = new Float32Array(Math.min(EMBEDDING_BATCH, roundUpTo(n, EMBEDDING_BATCH_BUCKET)) * windowValues);
        for (let w = 0; w < n; w++) {
          const start = (first + w) * MEL_STEP_FRAMES * MEL_BANDS;
          batch.set(melData.subarray(start, start + windowValues), w * windowValues);
        }
        const out = await embedding.run({
          [embeddingInput]: new ort.Tensor('float32', batch, [batch.length / windowValues, MEL_WINDOW_FRAMES, MEL_BANDS, 1]),
        });
        data.set((out[embeddingOutput]!.data as Float32Array).subarray(0, n * EMBEDDING_DIM), first * EMBEDDING_DIM);
      }
      return { data, count };
    },
    async close() {
      await Promise.all([mel.release(), embedding.release()]);
    },
  };
}

/**
 * Subtracts the mean embedding of the input from each of its embeddings, in place (like cepstral mean
 * normalisation: what is constant over a stretch, the voice and the channel, moves out of the features).
 */
export function centerEmbeddings(embeddings: SpeechEmbeddings): SpeechEmbeddings {
  const { data, count } = embeddings;
  if (count === 0) return embeddings;
  const mean = new Float64Array(EMBEDDING_DIM);
  for (let i = 0; i < count * EMBEDDING_DIM; i++) mean[i % EMBEDDING_DIM]! += data[i]!;
  for (let d = 0; d < EMBEDDING_DIM; d++) mean[d]! /= count;
  for (let i = 0; i < count * EMBEDDING_DIM; i++) data[i] = data[i]! - mean[i % EMBEDDING_DIM]!;
  return embeddings;
}
