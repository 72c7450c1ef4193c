/**
 * Entry of an analysis thread (piscina). It loads the engines of the process's stages once, when the thread
 * starts, and keeps them for every task it runs: an onnxruntime session per thread, never one per job.
 */
import { workerData } from 'node:worker_threads';
import { loadEngines, type EngineKind, type EngineOptions } from '@earshot/audio';
import { runAnalysisTask, type AnalysisStage, type AnalysisTask, type LoadedEnginesReport } from './analysis-task';

export interface AnalysisThreadData {
  kinds: EngineKind[];
  engineOptions: EngineOptions;
}

export type AnalysisThreadTask = AnalysisTask | { stage: 'report' };

const data = workerData as AnalysisThreadData;

/** piscina waits for this promise before giving the thread its first task. */
export default loadEngines(data.kinds, data.engineOptions).then(
  (engines) =>
    async function handle(task: AnalysisThreadTask) {
      if (task.stage === 'report') {
        const report: LoadedEnginesReport = {
          kinds: data.kinds.filter((kind) => engines[kind] !== undefined),
          notices: engines.notices,
        };
        return report;
      }
      return runAnalysisTask<AnalysisStage>(engines, task);
    },
);
