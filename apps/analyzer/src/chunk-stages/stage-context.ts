import { AudioDecodeError } from '@earshot/audio';
import { CHUNK_STAGES, nextChunkStage, chunkStageJob, type ChunkJob, type ChunkStage } from '@earshot/contracts';
import type { AudioChunkRow, AudioSessionRow } from '@earshot/db';
import { PermanentJobError } from '@earshot/queue';
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

/** Downloads and decodes the chunk. Undecodable media is permanent: retrying cannot help. */
export async function decodeChunk(deps: AnalyzerDeps, chunk: AudioChunkRow, signal: AbortSignal): Promise<Float32Array> {
  const stream = await deps.storage.getStream(chunk.s3Key);
  try {
    return await deps.decode(stream, signal);
  } catch (error) {
    if (error instanceof AudioDecodeError && !error.retryable) throw new PermanentJobError(`audio could not be decoded: ${error.code}`);
    throw error;
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
