import type { EngineKind } from '@earshot/audio';
import type { JobName, JobPayloads } from '@earshot/contracts';
import type { JobContext } from '@earshot/queue';
import { analyzeSpeakers, analyzeVoiceActivity, scoreChunk, transcribeSpeech } from './chunk-stages/chunk-stages';
import { finishChunk } from './chunk-stages/finish-chunk';
import type { AnalyzerDeps } from './ports';
import { summarizeSession } from './session/summarize-session';
import { sweepSessions } from './session/sweep-sessions';

type Processor<N extends JobName> = (deps: AnalyzerDeps, payload: JobPayloads[N], context: JobContext) => Promise<void>;

/** One processor per job. A mapped type: a new job without a processor does not compile. */
export const PROCESSORS: { [N in JobName]: Processor<N> } = {
  'chunk.vad': (deps, payload, context) => analyzeVoiceActivity(deps, payload, context.signal),
  'chunk.speakers': (deps, payload, context) => analyzeSpeakers(deps, payload, context.signal),
  'chunk.transcribe': (deps, payload, context) => transcribeSpeech(deps, payload, context.signal),
  'chunk.score': (deps, payload) => scoreChunk(deps, payload),
  'session.summary': (deps, payload) => summarizeSession(deps, payload),
  'session.sweep': async (deps, _payload, context) => {
    const report = await sweepSessions(deps, deps.sweep);
    await context.updateProgress(report);
  },
};

/** The analysis engines each job uses: a process loads only those of its ANALYZER_STAGES. */
export const ENGINES_BY_JOB: { [N in JobName]: readonly EngineKind[] } = {
  'chunk.vad': ['vad'],
  'chunk.speakers': ['speakers'],
  'chunk.transcribe': ['transcriber', 'wakeSpotter'],
  'chunk.score': [],
  'session.summary': [],
  'session.sweep': [],
};

export const enginesForJobs = (jobs: readonly JobName[]): EngineKind[] => [
  ...new Set(jobs.flatMap((job) => ENGINES_BY_JOB[job])),
];

/** Called when a job fails for good: a chunk stage marks its chunk failed with the reason (no audio, no secrets). */
export async function recordFinalFailure<N extends JobName>(deps: AnalyzerDeps, name: N, payload: JobPayloads[N], error: Error): Promise<void> {
  if (!name.startsWith('chunk.') || !('chunkIndex' in payload)) return;
  await finishChunk(deps, payload, { status: 'failed', reason: `${name}: ${error.message}` });
}
