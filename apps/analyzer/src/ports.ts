import type { LoadedEngines, ScoreOptions, SessionSummaryOptions, WatchedPhrase } from '@earshot/audio';
import type { JobName, JobPayloads } from '@earshot/contracts';
import type { ChunksRepository, SessionsRepository } from '@earshot/db';
import type { EventPublisher } from '@earshot/events';
import type { ObjectStorage } from '@earshot/storage';

export interface JobQueue {
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void>;
}

/** What the analysis use cases touch. main.ts builds adapters; tests may pass fakes. */
export interface AnalyzerDeps {
  sessions: SessionsRepository;
  chunks: ChunksRepository;
  storage: ObjectStorage;
  queue: JobQueue;
  events: EventPublisher;
  /**
   * Decodes stored audio to 16 kHz mono PCM, at most `maxDurationSec` of it (the decoder stops there, so the
   * CPU a chunk costs is bounded whatever the file holds).
   */
  decode(input: NodeJS.ReadableStream, signal: AbortSignal, maxDurationSec: number): Promise<Float32Array>;
  /** The engines of this process's stages (ENGINES_BY_JOB). */
  engines: LoadedEngines;
  analysis: {
    /** Exam-specific watch phrases are read from session metadata `watch_phrases`; wake phrases always apply. */
    phrasesFor(metadata: Record<string, unknown>): WatchedPhrase[];
    spotInAudio: boolean;
    /** Longer chunks fail with CHUNK_TOO_LONG (MAX_CHUNK_DURATION_SEC). */
    maxChunkDurationSec: number;
    score: ScoreOptions;
    summary: SessionSummaryOptions;
  };
}
