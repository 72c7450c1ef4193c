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
  /** BIC penalty weight λ: higher merges more. Default 1.8 (measured: docs/analysis.md). */
  penaltyWeight?: number;
  /** Frames quieter than the loud speech by more than this are ignored (noise between syllables). Default 30 dB. */
  energyRangeDb?: number;
  /** MFCCs per frame (c1 onwards). Default 16. */
  mfccCoefficients?: number;
  /** Clusters whose median pitch differs by more than this many semitones are never merged. Default 5 (eval: 4-6 gave the same counts). 0 disables. */
  pitchVetoSemitones?: number;
  /** MFCC frame hop. Default 0.01 s. */
  hopSec?: number;
  /** MFCC analysis window. Default 0.025 s. */
  windowSec?: number;
  /** Pieces shorter than this do not seed clusters (labelled afterwards). Default 0.6 s. */
  minPieceSec?: number;
  /** Short turns whose median pitch is this far from every voice found are another voice. 0 disables. */
  shortTurnSemitones?: number;
  /** Speech the short-turn rule needs in a chunk. Default 0.5 s. */
  minShortVoiceSec?: number;
  /** Lowest frequency of the mel filters. Default 100 Hz. */
  lowHz?: number;
  /** Highest frequency of the mel filters. Default 7000 Hz. */
  highHz?: number;
}

export interface SpeakerEngine {
  readonly engine: SpeakerEngineName;
  analyze(pcm: Float32Array, segments: readonly SpeechSegment[], opts?: SpeakerOptions): Promise<SpeakerAnalysis>;
  close(): Promise<void>;
}
