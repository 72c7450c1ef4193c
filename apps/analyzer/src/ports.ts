import type { ScoreOptions, SessionSummaryOptions, WatchedPhrase } from '@earshot/audio';
import type { JobName, JobPayloads } from '@earshot/contracts';
import type { ChunksRepository, SessionsRepository } from '@earshot/db';
import type { EventPublisher } from '@earshot/events';
import type { ObjectStorage } from '@earshot/storage';
import type { SweepOptions } from './session/sweep-sessions';
import type { AnalysisOutcome, AnalysisStage, AnalysisTaskOf } from './analysis-thread/analysis-task';

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
  /**
   * Decodes a chunk (at most `maxDurationSec` of it) and runs one stage's engine, off the event loop that
   * renews BullMQ locks (analysis threads, loaded with the engines of this process's ANALYZER_STAGES).
   */
  runAnalysis<S extends AnalysisStage>(task: AnalysisTaskOf<S>, signal: AbortSignal): Promise<AnalysisOutcome<S>>;
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
