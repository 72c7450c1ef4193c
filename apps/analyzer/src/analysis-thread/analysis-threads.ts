import path from 'node:path';
import { Piscina } from 'piscina';
import type { EngineKind, EngineOptions } from '@earshot/audio';
import type { AnalysisOutcome, AnalysisStage, AnalysisTaskOf, LoadedEnginesReport } from './analysis-task';
import type { AnalysisThreadData, AnalysisThreadTask } from './analysis.thread';

export interface AnalysisThreadsOptions {
  /** Threads in the pool (ANALYZER_THREADS); each loads the engines once and keeps them. */
  threads: number;
  kinds: EngineKind[];
  engineOptions: EngineOptions;
}

/** The CPU-heavy part of the chunk stages, on worker threads: the main thread only moves bytes and rows. */
export interface AnalysisThreads {
  run<S extends AnalysisStage>(task: AnalysisTaskOf<S>, signal: AbortSignal): Promise<AnalysisOutcome<S>>;
  /** The engines a thread loaded (and their notices). */
  report(): Promise<LoadedEnginesReport>;
  close(): Promise<void>;
}

/**
 * Decode, VAD, speaker analysis and spotting run synchronous stretches of JS and WebAssembly: on the main
 * thread they blocked the event loop that renews BullMQ job locks (seconds for a long chunk). A fixed pool
 * keeps its threads (no idle timeout) so engines are loaded once per thread, not once per job. An aborted task
 * (job timeout, shutdown) ends its thread; piscina starts a fresh one, which loads the engines again.
 */
export async function createAnalysisThreads(options: AnalysisThreadsOptions): Promise<AnalysisThreads> {
  const workerData: AnalysisThreadData = { kinds: options.kinds, engineOptions: options.engineOptions };
  const pool = new Piscina<AnalysisThreadTask, unknown>({
    filename: path.join(__dirname, 'analysis-thread.entry.js'),
    workerData,
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: Infinity,
  });
  const threads: AnalysisThreads = {
    run: async (task, signal) => (await pool.run(task, { signal })) as AnalysisOutcome<typeof task.stage>,
    report: async () => (await pool.run({ stage: 'report' })) as LoadedEnginesReport,
    close: () => pool.close(),
  };
  try {
    await threads.report(); // fail at boot, not on the first job, if the engines do not load
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  return threads;
}
