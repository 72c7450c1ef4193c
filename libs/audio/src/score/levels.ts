import type { SpeechSegment, TimeSpan } from '../types';
import { frameLevels } from '../vad/frame-levels';
import { round3 } from '../vad/speech-segments';

/** Level figures of a chunk that the scorer needs (JSON-safe, computed once in the VAD stage). */
export interface LevelSummary {
  /** RMS level of the whole chunk, dBFS. */
  rmsDbfs: number;
  /** Loudest 32 ms frame, dBFS. */
  peakDbfs: number;
  /** Level of each speech segment (RMS over its loudest half of frames), dBFS, in segment order. */
  speechLevelsDbfs: number[];
  /** Loud sounds outside speech. */
  loudNonSpeech: Array<TimeSpan & { peakDbfs: number }>;
}

export interface LevelOptions {
  sampleRate?: number;
  /** A non-speech frame at or above this level is loud. Default -20 dBFS. */
  loudDbfs?: number;
  /** Loud frames closer than this join one event. Default 0.3 s. */
  joinGapSec?: number;
}

const FRAME_SAMPLES = 512;

export function summarizeLevels(
  pcm: Float32Array,
  speech: readonly SpeechSegment[],
  options: LevelOptions = {},
): LevelSummary {
  const sampleRate = options.sampleRate ?? 16_000;
  const loudDbfs = options.loudDbfs ?? -20;
  const joinGapSec = options.joinGapSec ?? 0.3;
  const frameSec = FRAME_SAMPLES / sampleRate;
  const { levelsDb: levels, energy } = frameLevels(pcm, FRAME_SAMPLES);
  const rmsDbfs = round1(10 * Math.log10(energy / Math.max(1, pcm.length) + 1e-12));
  let peak = -120;
  for (const level of levels) if (level > peak) peak = level;
  const peakDbfs = round1(peak);

  const speechLevelsDbfs = speech.map((segment) => {
    const from = Math.floor(segment.startSec / frameSec);
    const to = Math.min(levels.length, Math.ceil(segment.endSec / frameSec));
    const inside = Array.from(levels.subarray(from, to)).sort((a, b) => b - a);
    const loudHalf = inside.slice(0, Math.max(1, Math.ceil(inside.length / 2)));
    const meanPower = loudHalf.reduce((sum, db) => sum + 10 ** (db / 10), 0) / loudHalf.length;
    return round1(10 * Math.log10(meanPower + 1e-12));
  });

  const inSpeech = (timeSec: number): boolean => speech.some((s) => timeSec >= s.startSec && timeSec < s.endSec);
  const loudNonSpeech: LevelSummary['loudNonSpeech'] = [];
  levels.forEach((level, f) => {
    const startSec = f * frameSec;
    if (level < loudDbfs || inSpeech(startSec + frameSec / 2)) return;
    const last = loudNonSpeech[loudNonSpeech.length - 1];
    if (last && startSec - last.endSec <= joinGapSec) {
      last.endSec = round3(startSec + frameSec);
      last.peakDbfs = Math.max(last.peakDbfs, round1(level));
    } else
      loudNonSpeech.push({ startSec: round3(startSec), endSec: round3(startSec + frameSec), peakDbfs: round1(level) });
  });
  return { rmsDbfs, peakDbfs, speechLevelsDbfs, loudNonSpeech };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
