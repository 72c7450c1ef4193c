import type { JobName } from '@earshot/contracts';

export interface JobPolicy {
  /** Total tries including the first. */
  attempts: number;
  /** First retry delay; doubles each retry (exponential backoff). */
  backoffMs: number;
  /** A try running longer than this is aborted and counts as failed. */
  timeoutMs: number;
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /**
   * How a second enqueue of the same job (same deterministic id) behaves. 'once' (default): the job id makes
   * it a no-op for as long as the first job is kept. 'again-if-active': a job that re-checks state (the session
   * summary) is deduplicated only while it waits; enqueued while one runs, it runs once more after it, so a
   * trigger that arrives while the job is deciding "not yet" is never lost.
   */
  repeatEnqueue?: 'once' | 'again-if-active';
}

/**
 * One policy per job. A mapped type over JobName: adding a job without a policy does not compile.
 * Concurrency is per process; scale a stage by running more processes with ANALYZER_STAGES.
 */
export const JOB_POLICIES: { readonly [N in JobName]: JobPolicy } = {
  // Decode + Silero VAD: ~0.2 s per 30 s chunk.
  'chunk.vad': { attempts: 5, backoffMs: 2_000, timeoutMs: 60_000, concurrency: 2 },
  // MFCC + BIC clustering in JS: ~0.1 s of CPU per chunk.
  'chunk.speakers': { attempts: 5, backoffMs: 2_000, timeoutMs: 60_000, concurrency: 2 },
  // Speech-to-text (pocketsphinx ~3 s per chunk, or a remote API): the slow stage, scaled on its own.
  'chunk.transcribe': { attempts: 5, backoffMs: 5_000, timeoutMs: 180_000, concurrency: 2 },
  // Pure arithmetic on earlier stages' JSON.
  'chunk.score': { attempts: 5, backoffMs: 1_000, timeoutMs: 30_000, concurrency: 4 },
  'session.summary': {
    attempts: 8,
    backoffMs: 5_000,
    timeoutMs: 60_000,
    concurrency: 2,
    repeatEnqueue: 'again-if-active',
  },
  // The periodic sweep (job scheduler): a few indexed queries and per-row conditional updates. One try: the
  // next tick is the retry, and every step re-checks its condition, so an overlapping run is harmless.
  'session.sweep': { attempts: 1, backoffMs: 1_000, timeoutMs: 60_000, concurrency: 1 },
};
