import type { SpeechSegment } from '../types';

export type TranscriberEngineName = 'openai' | 'pocketsphinx' | 'whisper-cpp';

export interface TranscriptWord {
  word: string;
  startSec: number;
  endSec: number;
  /** 0..1 where the engine gives one. */
  confidence?: number;
}

export interface TranscriptSegment {
  startSec: number;
  endSec: number;
  text: string;
  /** Word timings where the engine gives them. */
  words?: TranscriptWord[];
}

export interface Transcript {
  engine: TranscriberEngineName;
  text: string;
  segments: TranscriptSegment[];
  notice?: string;
}

export interface TranscribeOptions {
  sampleRate?: number;
  signal?: AbortSignal;
}

/** Every engine transcribes only the given speech segments of the PCM (Whisper invents text on silence). */
export interface Transcriber {
  readonly engine: TranscriberEngineName;
  transcribe(pcm: Float32Array, speech: readonly SpeechSegment[], opts?: TranscribeOptions): Promise<Transcript>;
  close(): Promise<void>;
}
