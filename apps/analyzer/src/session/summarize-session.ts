import { runSessionSummaryStage, type ChunkScore, type SpeakerAnalysis } from '@earshot/audio';
import type { SessionJob } from '@earshot/contracts';
import type { AnalyzerDeps } from '../ports';

/**
 * Aggregates a session (completed by the candidate, or closed for silence by the sweep) once all its uploaded chunks are analysed: priority score, timeline, other voices,
 * total duration and the chunk indexes that never arrived. Sets `completed` once (re-runs are no-ops). Waits
 * (returns) while an upload is still in flight or a chunk is still being analysed.
 */
export async function summarizeSession(deps: AnalyzerDeps, job: SessionJob): Promise<void> {
  const session = await deps.sessions.findById(job.sessionId);
  if (!session || session.status !== 'processing') return;
  const rows = await deps.chunks.listBySession(session.id);
  // An upload still receiving bytes may yet be stored: its success (through the chunk's analysis) or its
  // failure queues the summary again, and so does the last chunk to finish analysis.
  if (rows.some((chunk) => chunk.uploadStatus === 'receiving')) return;
  const chunks = rows.filter((chunk) => chunk.uploadStatus === 'uploaded');
  const pending = chunks.filter(
    (chunk) => chunk.processingStatus !== 'completed' && chunk.processingStatus !== 'failed',
  );
  if (pending.length) return;

  const analysed = chunks.filter((chunk) => chunk.processingStatus === 'completed');
  const summary = runSessionSummaryStage(
    analysed.map((chunk) => {
      const score = chunk.analysisResults.score as ChunkScore | undefined;
      const speakers = chunk.analysisResults.speakers as SpeakerAnalysis | undefined;
      return {
        chunkIndex: chunk.chunkIndex,
        chunkStartSec: chunk.startTimeSeconds,
        score: score?.score ?? 0,
        flags: score?.flags ?? [],
        ...(speakers
          ? { voices: speakers.voices, turns: speakers.turns.map((turn) => ({ ...turn, speaker: turn.speaker })) }
          : {}),
      };
    }),
    { ...deps.analysis.summary, ...deps.analysis.score },
  );
  const present = new Set(chunks.map((chunk) => chunk.chunkIndex));
  const expected = session.totalChunks ?? 0;
  const missing = Array.from({ length: expected }, (_, index) => index).filter((index) => !present.has(index));
  const failed = chunks.length - analysed.length;
  const totalDurationSeconds = chunks.reduce((sum, chunk) => sum + (chunk.durationSeconds ?? 0), 0);
  const { otherVoices, ...rest } = summary;
  // What a proctor needs of the stream: every gap, the last one open when the candidate never came back.
  const streamGaps = [
    ...session.streamGaps,
    ...(session.streamLostAt ? [{ lost_at: session.streamLostAt.toISOString(), restored_at: null }] : []),
  ];
  const finished = await deps.sessions.finish(session.id, {
    // A session the sweep closed for silence ends `abandoned`, with the summary of what did arrive.
    status: session.abandonedAt ? 'abandoned' : 'completed',
    totalDurationSeconds,
    missingChunkIndexes: missing,
    summary: {
      ...rest,
      otherVoices,
      analysedChunks: analysed.length,
      failedChunks: failed,
      streamGaps,
      ...(session.abandonedAt ? { abandonedAt: session.abandonedAt.toISOString() } : {}),
    },
    failureReason: null,
  });
  if (!finished) return;
  deps.events.publish(
    'session_completed',
    { sessionId: session.id, orgId: session.orgId },
    {
      session_id: session.id,
      status: finished.status,
      total_chunks: expected,
      processed_chunks: analysed.length,
      failed_chunks: failed,
      missing_chunk_indexes: missing,
      total_duration_seconds: totalDurationSeconds,
      summary: finished.summary ?? {},
    },
  );
}
