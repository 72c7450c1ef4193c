import { ANALYSIS_SAMPLE_RATE, AudioDecodeError } from '@earshot/audio';
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
  if (!chunk || !session || chunk.uploadStatus !== 'uploaded' || chunk.processingStatus === 'failed') return undefined;
  return { chunk, session };
}

/** Decoded past the maximum by this much, a chunk is known to be too long without decoding the rest of it. */
const TOO_LONG_MARGIN_SEC = 1;

/** The failure reason of a chunk longer than MAX_CHUNK_DURATION_SEC; `CHUNK_TOO_LONG` is its stable prefix. */
export const chunkTooLongReason = (maxSec: number) => `CHUNK_TOO_LONG: audio lasts more than ${maxSec} s (MAX_CHUNK_DURATION_SEC)`;

/**
 * Downloads and decodes the chunk. Undecodable media is permanent: retrying cannot help. So is a chunk longer
 * than the maximum: the decoder stops just past it, and the chunk fails instead of being analysed in part, so a
 * reviewer never reads a clean result for audio nobody listened to (the failure says why).
 */
export async function decodeChunk(deps: AnalyzerDeps, chunk: AudioChunkRow, signal: AbortSignal): Promise<Float32Array> {
  const maxSec = deps.analysis.maxChunkDurationSec;
  const stream = await deps.storage.getStream(chunk.s3Key);
  let pcm: Float32Array;
  try {
    pcm = await deps.decode(stream, signal, maxSec + TOO_LONG_MARGIN_SEC);
  } catch (error) {
    if (error instanceof AudioDecodeError && !error.retryable) throw new PermanentJobError(`audio could not be decoded: ${error.code}`);
    throw error;
  }
  if (pcm.length > maxSec * ANALYSIS_SAMPLE_RATE) throw new PermanentJobError(chunkTooLongReason(maxSec));
  return pcm;
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
