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
}

/**
 * One policy per job. A mapped type over JobName: adding a job without a policy does not compile.
 * Concurrency is per process; scale a stage by running more processes with ANALYZER_STAGES.
 */
export const JOB_POLICIES: { readonly [N in JobName]: JobPolicy } = {
  'chunk.vad': { attempts: 5, backoffMs: 2_000, timeoutMs: 60_000, concurrency: 2 },
  'session.summary': { attempts: 8, backoffMs: 5_000, timeoutMs: 60_000, concurrency: 2 },
};
