import type { SpeechSegment } from '../types';
import type { GaussianStats } from './gaussian-stats';

export type SpeakerEngineName = 'mfcc-bic' | 'sherpa-onnx';

/** A voice heard in a chunk, with what is needed to compare it with voices of other chunks (JSON-safe). */
export interface VoiceProfile {
  /** Speaker label within the chunk: 0, 1, ... in order of first appearance. */
  speaker: number;
  speechSec: number;
  /** Engine-specific representation: Gaussian statistics of MFCCs (mfcc-bic) or an embedding (sherpa-onnx). */
  stats?: GaussianStats;
  embedding?: number[];
}

export interface SpeakerTurn extends SpeechSegment {
  speaker: number;
}

export interface SpeakerAnalysis {
  engine: SpeakerEngineName;
  /** Distinct voices heard in the chunk (0 when there is no usable speech). */
  speakerCount: number;
  /** Times (seconds) where the voice changes. */
  speakerChanges: number[];
  /** 0..1: how clearly the count was decided. */
  confidence: number;
  turns: SpeakerTurn[];
  voices: VoiceProfile[];
  /** Per input speech segment, the share of 40 ms windows with a pitch: whispering is nearly unvoiced. */
  segmentVoicedRatios?: number[];
  notice?: string;
}

export interface SpeakerOptions {
  sampleRate?: number;
  /** Speech is cut into pieces of this length before clustering. Default 2 s. */
  pieceSec?: number;
  /** A cluster with less speech than this is folded into its nearest neighbour. Default 1.5 s. */
  minSpeakerSec?: number;
  /** BIC penalty weight λ: higher merges more. Default 1.5 (measured: docs/analysis.md). */
  penaltyWeight?: number;
  /** Frames quieter than the loud speech by more than this are ignored (noise, reverberation tails). Default 15 dB. */
  energyRangeDb?: number;
  /** MFCCs per frame (c1 onwards). Default 16. */
  mfccCoefficients?: number;
  /**
   * Clusters whose median pitch differs by more than this many semitones are never merged. Default 5 (eval: 0, 5
   * and 7 gave the same counts, 4 split voices whose intonation varies). 0 disables.
   */
  pitchVetoSemitones?: number;
  /** MFCC frame hop. Default 0.01 s. */
  hopSec?: number;
  /** MFCC analysis window. Default 0.016 s: a 256-point FFT, cheaper than 0.025 s (512) and no worse in the eval. */
  windowSec?: number;
  /**
   * Two clusters of the same median pitch (±1.5 semitones) stay apart while their ΔBIC per frame is above −this,
   * even when ΔBIC is negative: BIC's log n penalty outweighs the difference of two similar voices over 20 s of
   * speech. Default 0.08 (eval: 0.05-0.1 the same on the tuning voices; from 0.1 a voice in a reverberant room
   * splits; docs/analysis.md). 0 disables.
   */
  splitMarginPerFrame?: number;
  /** Pieces shorter than this do not seed clusters (labelled afterwards). Default 0.6 s. */
  minPieceSec?: number;
  /**
   * Speech segments (with `minTurnVoicedWindows` voiced 40 ms windows or more) whose median pitch is more than this many semitones from
   * every voice found are another voice, however short: a helper's "yes". Default 8 (6-7 also took a man's raised
   * "Oh no!" for another voice; another gender's pitch is usually 7-13 semitones away). 0 disables.
   */
  shortTurnSemitones?: number;
  /**
   * Speech (frames within `energyRangeDb` of the loud speech) the short-turn rule needs in a chunk. Default 0.2 s
   * (eval: 0.5 s missed a man's 0.4 s answer in a real meeting; 0.2-0.5 s raised no false second voice).
   */
  minShortVoiceSec?: number;
  /** Voiced 40 ms windows a speech segment needs for its median pitch to count in the short-turn rule. Default 6. */
  minTurnVoicedWindows?: number;
  /**
   * Voiced 40 ms windows a voice found by clustering needs for the short-turn rule to compare pitches with it.
   * Default 10 (0.4 s voiced; 20 left a chunk with 2 s of speech out of the rule).
   */
  minVoicePitchWindows?: number;
  /** Lowest frequency of the mel filters. Default 300 Hz: below it the fundamental and first harmonics move with intonation. */
  lowHz?: number;
  /** Highest frequency of the mel filters. Default 7800 Hz. */
  highHz?: number;
}

export interface SpeakerEngine {
  readonly engine: SpeakerEngineName;
  analyze(pcm: Float32Array, segments: readonly SpeechSegment[], opts?: SpeakerOptions): Promise<SpeakerAnalysis>;
  close(): Promise<void>;
}
