import { CHUNK_STAGES, nextChunkStage, chunkStageJob, type ChunkJob, type ChunkStage } from '@earshot/contracts';
import type { AudioChunkRow, AudioSessionRow } from '@earshot/db';
import { PermanentJobError } from '@earshot/queue';
import type { AnalysisResults, AnalysisStage, AnalysisTaskOf } from '../analysis-thread/analysis-task';
import type { AnalyzerDeps } from '../ports';

export interface LoadedChunk {
  chunk: AudioChunkRow;
  session: AudioSessionRow;
}

/**
 * Reloads the chunk a job names. Returns undefined when there is nothing to do: the session or chunk was
 * deleted, the upload never finished, or the chunk already failed (handlers exit quietly then).
 */
export async function loadChunkForStage(deps: AnalyzerDeps, job: ChunkJob): Promise<LoadedChunk | undefined> {
  const [chunk, session] = await Promise.all([deps.chunks.find(job.sessionId, job.chunkIndex), deps.sessions.findById(job.sessionId)]);
  // A job delivered again after its chunk was finished (its worker died before acknowledging) exits quietly.
  if (!chunk || !session || chunk.uploadStatus !== 'uploaded' || chunk.processingStatus === 'failed' || chunk.processingStatus === 'completed') return undefined;
  return { chunk, session };
}

/** The failure reason of a chunk longer than MAX_CHUNK_DURATION_SEC; `CHUNK_TOO_LONG` is its stable prefix. */
export const chunkTooLongReason = (maxSec: number) => `CHUNK_TOO_LONG: audio lasts more than ${maxSec} s (MAX_CHUNK_DURATION_SEC)`;

/** The stored file's bytes (the uploader bounds their size, MAX_CHUNK_BYTES): they go to an analysis thread. */
async function readChunkBytes(deps: AnalyzerDeps, chunk: AudioChunkRow): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of (await deps.storage.getStream(chunk.s3Key)) as AsyncIterable<Buffer | string>) {
    parts.push(typeof part === 'string' ? Buffer.from(part) : part);
  }
  return Buffer.concat(parts);
}

type StageInput<S extends AnalysisStage> = Omit<AnalysisTaskOf<S>, 'stage' | 'audio' | 'maxDurationSec'>;

/**
 * Downloads the chunk (unless `withAudio` is false: no speech, nothing to decode) and runs the stage on an
 * analysis thread. Undecodable media is permanent: retrying cannot help. So is a chunk longer than the
 * maximum: the decoder stops just past it, and the chunk fails instead of being analysed in part, so a reviewer
 * never reads a clean result for audio nobody analysed (the failure says why).
 */
export async function analyseChunk<S extends AnalysisStage>(
  deps: AnalyzerDeps,
  chunk: AudioChunkRow,
  stage: S,
  input: StageInput<S>,
  signal: AbortSignal,
  withAudio = true,
): Promise<AnalysisResults[S]> {
  const maxSec = deps.analysis.maxChunkDurationSec;
  const audio = withAudio ? await readChunkBytes(deps, chunk) : undefined;
  const outcome = await deps.runAnalysis(
    { ...input, stage, maxDurationSec: maxSec, ...(audio ? { audio } : {}) } as AnalysisTaskOf<S>,
    signal,
  );
  switch (outcome.status) {
    case 'done':
      return outcome.result;
    case 'too-long':
      throw new PermanentJobError(chunkTooLongReason(maxSec));
    case 'undecodable':
      if (!outcome.retryable) throw new PermanentJobError(`audio could not be decoded: ${outcome.code}`);
      throw new Error(`audio decode failed (${outcome.code}): ${outcome.message}`);
  }
}

/** Queues the stage after `stage`, or returns false when `stage` was the last. */
export async function queueNextStage(deps: AnalyzerDeps, stage: ChunkStage, job: ChunkJob): Promise<boolean> {
  const next = nextChunkStage(stage);
  if (!next) return false;
  await deps.queue.enqueue(chunkStageJob(next), { v: 1, sessionId: job.sessionId, chunkIndex: job.chunkIndex });
  return true;
}

export const stageResult = <T>(chunk: AudioChunkRow, stage: ChunkStage): T | undefined => chunk.analysisResults[stage] as T | undefined;

export const FIRST_STAGE = CHUNK_STAGES[0];
