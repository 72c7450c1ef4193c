import type { LoadedEngines, ScoreOptions, SessionSummaryOptions, WatchedPhrase } from '@earshot/audio';
import type { JobName, JobPayloads } from '@earshot/contracts';
import type { ChunksRepository, SessionsRepository } from '@earshot/db';
import type { EventPublisher } from '@earshot/events';
import type { ObjectStorage } from '@earshot/storage';
import type { SweepOptions } from './session/sweep-sessions';

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
  /** The current instant (a fixed clock in tests). */
  now(): Date;
  /** Thresholds of the session sweep (`session.sweep`). */
  sweep: SweepOptions;
  /** Decodes stored audio to 16 kHz mono PCM (ffmpeg). */
  decode(input: NodeJS.ReadableStream, signal: AbortSignal): Promise<Float32Array>;
  /** The engines of this process's stages (ENGINES_BY_JOB). */
  engines: LoadedEngines;
  analysis: {
    /** Exam-specific watch phrases are read from session metadata `watch_phrases`; wake phrases always apply. */
    phrasesFor(metadata: Record<string, unknown>): WatchedPhrase[];
    spotInAudio: boolean;
    score: ScoreOptions;
    summary: SessionSummaryOptions;
  };
}
