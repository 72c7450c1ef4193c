import {
  ANALYSIS_SAMPLE_RATE,
  decodeToPcm,
  isAudioDecodeError,
  runSpeakersStage,
  runTranscribeStage,
  runVadStage,
  type AudioDecodeErrorCode,
  type EngineKind,
  type LoadedEngines,
  type SpeakerAnalysis,
  type SpeechSegment,
  type TranscribeStageResult,
  type VadStageResult,
  type WatchedPhrase,
} from '@earshot/audio';

/**
 * The CPU-heavy part of a chunk stage (decode + one engine), as plain data so it can run on an analysis thread.
 * `audio` is the stored file's bytes; absent when the stage has no speech to look at (nothing is decoded then).
 */
export type AnalysisTask =
  | { stage: 'vad'; audio: Uint8Array; maxDurationSec: number }
  | { stage: 'speakers'; audio?: Uint8Array; maxDurationSec: number; speechSegments: SpeechSegment[] }
  | {
      stage: 'transcribe';
      audio?: Uint8Array;
      maxDurationSec: number;
      speechSegments: SpeechSegment[];
      phrases: WatchedPhrase[];
      spotInAudio: boolean;
    };

export type AnalysisStage = AnalysisTask['stage'];
export type AnalysisTaskOf<S extends AnalysisStage> = Extract<AnalysisTask, { stage: S }>;

export interface AnalysisResults {
  vad: VadStageResult;
  speakers: SpeakerAnalysis;
  transcribe: TranscribeStageResult;
}

/** Errors do not cross a thread with their class, so a task answers with its outcome as data. */
export type AnalysisOutcome<S extends AnalysisStage> =
  | { status: 'done'; result: AnalysisResults[S] }
  | { status: 'too-long' }
  | { status: 'undecodable'; code: AudioDecodeErrorCode; retryable: boolean; message: string };

/** What an analysis thread loaded: the main thread logs the notices and tests check the kinds. */
export interface LoadedEnginesReport {
  kinds: EngineKind[];
  notices: string[];
}

/** Decoding this far past the maximum tells a too-long chunk without decoding the rest of it. */
export const TOO_LONG_MARGIN_SEC = 1;

async function decodeCapped(audio: Uint8Array | undefined, maxDurationSec: number): Promise<Float32Array | 'too-long'> {
  if (!audio) return new Float32Array(0);
  const pcm = await decodeToPcm(audio, { maxDurationSec: maxDurationSec + TOO_LONG_MARGIN_SEC });
  return pcm.length > maxDurationSec * ANALYSIS_SAMPLE_RATE ? 'too-long' : pcm;
}

function engine<K extends 'vad' | 'speakers'>(engines: LoadedEngines, kind: K): NonNullable<LoadedEngines[K]> {
  const loaded = engines[kind];
  if (!loaded) throw new Error(`this analyzer process has no ${kind} engine: its ANALYZER_STAGES leave that stage out`);
  return loaded;
}

async function runStage(engines: LoadedEngines, task: AnalysisTask, pcm: Float32Array): Promise<AnalysisResults[AnalysisStage]> {
  switch (task.stage) {
    case 'vad':
      return runVadStage(pcm, engine(engines, 'vad'));
    case 'speakers':
      return runSpeakersStage(pcm, task, engine(engines, 'speakers'));
    case 'transcribe':
      return runTranscribeStage(pcm, task, engines.transcriber, {
        phrases: task.phrases,
        spotInAudio: task.spotInAudio,
        ...(engines.wakeSpotter ? { wakeSpotter: engines.wakeSpotter } : {}),
      });
  }
}

/** Decodes at most `maxDurationSec` of the chunk and runs the stage's engine. Pure apart from ffmpeg. */
export async function runAnalysisTask<S extends AnalysisStage>(
  engines: LoadedEngines,
  task: AnalysisTaskOf<S>,
): Promise<AnalysisOutcome<S>> {
  let pcm: Float32Array | 'too-long';
  try {
    pcm = await decodeCapped(task.audio, task.maxDurationSec);
  } catch (error) {
    if (!isAudioDecodeError(error)) throw error;
    return { status: 'undecodable', code: error.code, retryable: error.retryable, message: error.message };
  }
  if (pcm === 'too-long') return { status: 'too-long' };
  return { status: 'done', result: (await runStage(engines, task, pcm)) as AnalysisResults[S] };
}
