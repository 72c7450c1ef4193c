import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { frameLevelsDb } from './frame-levels';
import { speechFromProbabilities } from './speech-segments';
import type { DetectSpeechOptions, FrameProbabilities, Vad, VadResult } from './vad.types';

const FRAME_SAMPLES = 512;
/** Frames this far above the noise floor count as fully voiced. */
const SPEECH_ABOVE_FLOOR_DB = 15;
/** Below this absolute level nothing is speech (digital silence, muted microphone). */
const ABSOLUTE_FLOOR_DBFS = -55;
const NOISE_FLOOR_PERCENTILE = 0.1;

/**
 * Energy VAD: the fallback when the Silero model cannot load. Frame level against an adaptive noise floor
 * (the 10th percentile level); it calls steady loud noise speech, which is why Silero is the default.
 */
export function createEnergyVad(notice?: string): Vad {
  const frameProbabilities = async (pcm: Float32Array): Promise<FrameProbabilities> => {
    const levels = frameLevelsDb(pcm);
    const sorted = Float32Array.from(levels).sort();
    const floorDb = sorted.length ? sorted[Math.floor(sorted.length * NOISE_FLOOR_PERCENTILE)]! : -100;
    const probabilities = levels.map((level) =>
      level < ABSOLUTE_FLOOR_DBFS ? 0 : Math.min(1, Math.max(0, (level - floorDb) / SPEECH_ABOVE_FLOOR_DB)),
    );
    return { probabilities, frameSamples: FRAME_SAMPLES };
  };
  return {
    engine: 'energy',
    notice,
    frameProbabilities,
    async detect(pcm: Float32Array, opts: DetectSpeechOptions = {}): Promise<VadResult> {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      const { probabilities, frameSamples } = await frameProbabilities(pcm);
      const speech = speechFromProbabilities(probabilities, frameSamples, pcm.length, sampleRate, opts);
      return { ...speech, engine: 'energy', ...(notice ? { notice } : {}) };
    },
    async close() {},
  };
}
