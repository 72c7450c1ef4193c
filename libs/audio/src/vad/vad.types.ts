import type { SpeechSegment } from '../types';
import type { SegmentationOptions } from './speech-segments';

export type VadEngineName = 'silero-v5' | 'energy';

export interface DetectSpeechOptions extends SegmentationOptions {
  /** Sample rate of the PCM in Hz. Default 16000 (the only rate Silero v5 takes here). */
  sampleRate?: number;
}

export interface VadResult {
  segments: SpeechSegment[];
  /** Speech seconds / duration, 0..1. */
  voiceActivityRatio: number;
  engine: VadEngineName;
  /** Set when the requested engine could not be used and a fallback ran instead. */
  notice?: string;
}

/** Per-frame speech probabilities, with the frame length they were computed on. */
export interface FrameProbabilities {
  probabilities: Float32Array;
  frameSamples: number;
}

export interface Vad {
  readonly engine: VadEngineName;
  readonly notice?: string;
  /** Speech probability per frame. `reset: false` carries model state over from the previous call (long inputs). */
  frameProbabilities(pcm: Float32Array, opts?: { reset?: boolean }): Promise<FrameProbabilities>;
  detect(pcm: Float32Array, opts?: DetectSpeechOptions): Promise<VadResult>;
  close(): Promise<void>;
}
