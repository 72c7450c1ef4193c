import type { ChunkJob } from '@earshot/contracts';
import type { AudioChunkRow } from '@earshot/db';
import type { AnalyzerDeps } from '../ports';

export type ChunkOutcome = { status: 'completed' } | { status: 'failed'; reason: string };

/**
 * Marks the chunk done (or failed), tells the page, and queues the session summary when this was the last
 * chunk of a completed session. The uploader's session-complete checks the same condition after its own write,
 * so one of the two always sees the other; the summary's deterministic job id dedupes the case where both do.
 */
export async function finishChunk(deps: AnalyzerDeps, job: ChunkJob, outcome: ChunkOutcome): Promise<void> {
  const row =
    outcome.status === 'completed'
      ? await deps.chunks.markProcessed(job.sessionId, job.chunkIndex)
      : await deps.chunks.markFailed(job.sessionId, job.chunkIndex, outcome.reason);
  if (!row) return;
  const session = await deps.sessions.findById(job.sessionId);
  if (!session) return;
  deps.events.publish('chunk_processed', { sessionId: session.id, orgId: session.orgId }, chunkProcessedEvent(row));
  const counts = await deps.chunks.countBySession(session.id);
  deps.events.publish('session_progress', { sessionId: session.id }, {
    session_id: session.id,
    status: session.status,
    uploaded_chunks: counts.uploaded,
    processed_chunks: counts.processed,
    failed_chunks: counts.failed,
    total_chunks: session.totalChunks,
  });
  if (session.status === 'processing' && counts.processed + counts.failed >= counts.uploaded) {
    await deps.queue.enqueue('session.summary', { v: 1, sessionId: session.id });
  }
}

export function chunkProcessedEvent(row: AudioChunkRow) {
  return {
    session_id: row.sessionId,
    chunk_index: row.chunkIndex,
    chunk_id: row.id,
    processing_status: row.processingStatus,
    duration_seconds: row.durationSeconds,
    end_time_seconds: row.endTimeSeconds,
    voice_activity_ratio: row.voiceActivityRatio,
    speaker_count: row.speakerCount,
    transcription: row.transcription,
    suspicious_activity_score: row.suspiciousActivityScore,
    analysis_results: row.analysisResults,
    failure_reason: row.failureReason,
    processed_at: (row.processedAt ?? new Date()).toISOString(),
  };
}
