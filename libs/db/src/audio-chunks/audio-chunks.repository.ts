import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { audioSessions } from '../audio-sessions/audio-sessions.table';
import type { Database } from '../client';
import { audioChunks, type AudioChunkRow } from './audio-chunks.table';

export interface ChunkClaim {
  /** This attempt's token: fences markUploaded, releaseClaim and touchClaim against a later takeover. */
  claimToken: string;
  sessionId: string;
  chunkIndex: number;
  startTimeSeconds: number;
  durationSeconds: number | null;
  /** This attempt's own object key. */
  s3Key: string;
  contentType: string;
  /** A 'receiving' claim last touched before this instant belongs to a dead request and may be taken over. */
  staleBefore: Date;
}

export type ClaimResult =
  | { claimed: true; chunk: AudioChunkRow; takenOverKey?: string }
  | { claimed: false; existing: AudioChunkRow }
  /** The session is not recording (or is gone), and nobody holds a claim on this index. */
  | { claimed: false; closed: true };

export interface StoredUpload {
  fileSizeBytes: number;
  contentSha256: string;
}

export interface StageResult {
  stage: string;
  /** Merged under analysis_results[stage]. */
  result: Record<string, unknown>;
  columns?: Partial<
    Pick<
      AudioChunkRow,
      | 'durationSeconds'
      | 'endTimeSeconds'
      | 'voiceActivityRatio'
      | 'speakerCount'
      | 'transcription'
      | 'suspiciousActivityScore'
      | 'compressionRatio'
    >
  >;
}

export interface SessionChunkCounts {
  uploaded: number;
  processed: number;
  failed: number;
}

const byKey = (sessionId: string, chunkIndex: number) =>
  and(eq(audioChunks.sessionId, sessionId), eq(audioChunks.chunkIndex, chunkIndex));

/**
 * Completed and failed are final: a job delivered again after its worker died (at-least-once) must not finish
 * the chunk a second time (a second chunk_processed, a failed chunk turned completed or the reverse).
 */
const isUnfinished = inArray(audioChunks.processingStatus, ['pending', 'processing']);

export function createChunksRepository(db: Database) {
  return {
    /**
     * Claims (session, index) for one upload attempt. The unique key makes this the single arbiter between
     * concurrent uploads of the same chunk. A new claim is made only while the session is `recording`, under a
     * share lock on the session row, so `markProcessing` (which updates that row) is ordered with every claim:
     * a completion either sees the claim (and the summary waits for it) or the claim sees the session closed.
     * A claim whose attempt went silent may be taken over while the session is recording or processing.
     */
    async claim(input: ChunkClaim): Promise<ClaimResult> {
      return db.transaction(async (tx) => {
        const [session] = await tx
          .select({ status: audioSessions.status })
          .from(audioSessions)
          .where(eq(audioSessions.id, input.sessionId))
          .for('share');
        const status = session?.status;
        if (status === 'recording') {
          const [inserted] = await tx
            .insert(audioChunks)
            .values({
              sessionId: input.sessionId,
              chunkIndex: input.chunkIndex,
              startTimeSeconds: input.startTimeSeconds,
              durationSeconds: input.durationSeconds,
              s3Key: input.s3Key,
              claimToken: input.claimToken,
              contentType: input.contentType,
              uploadStatus: 'receiving',
            })
            .onConflictDoNothing({ target: [audioChunks.sessionId, audioChunks.chunkIndex] })
            .returning();
          if (inserted) return { claimed: true, chunk: inserted };
        }
        const [existing] = await tx
          .select()
          .from(audioChunks)
          .where(byKey(input.sessionId, input.chunkIndex))
          .for('update');
        if (!existing) return { claimed: false, closed: true };
        // Take over a claim whose attempt went silent; its object (if any) is the old attempt's own key.
        if (
          (status === 'recording' || status === 'processing') &&
          existing.uploadStatus === 'receiving' &&
          existing.updatedAt < input.staleBefore
        ) {
          const [takenOver] = await tx
            .update(audioChunks)
            .set({
              startTimeSeconds: input.startTimeSeconds,
              durationSeconds: input.durationSeconds,
              contentType: input.contentType,
              s3Key: input.s3Key,
              claimToken: input.claimToken,
              updatedAt: sql`now()`,
            })
            .where(eq(audioChunks.id, existing.id))
            .returning();
          if (takenOver) return { claimed: true, chunk: takenOver, takenOverKey: existing.s3Key };
        }
        return { claimed: false, existing };
      });
    },

    /** Keeps a live attempt's claim fresh so that it is not taken over while its bytes still flow. */
    async touchClaim(id: string, claimToken: string): Promise<void> {
      await db
        .update(audioChunks)
        .set({ updatedAt: sql`now()` })
        .where(
          and(
            eq(audioChunks.id, id),
            eq(audioChunks.claimToken, claimToken),
            eq(audioChunks.uploadStatus, 'receiving'),
          ),
        );
    },

    /**
     * 'receiving' → 'uploaded', only for the attempt that still holds the claim. Returns undefined when another
     * attempt took the claim over (the caller then removes its own object).
     */
    async markUploaded(id: string, claimToken: string, stored: StoredUpload): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({
          uploadStatus: 'uploaded',
          fileSizeBytes: stored.fileSizeBytes,
          compressedSizeBytes: stored.fileSizeBytes,
          contentSha256: stored.contentSha256,
          claimToken: null,
          uploadedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(audioChunks.id, id),
            eq(audioChunks.claimToken, claimToken),
            eq(audioChunks.uploadStatus, 'receiving'),
          ),
        )
        .returning();
      return row;
    },

    /** Removes a claim that never completed, if this attempt still holds it: no trace of a rejected upload. */
    async releaseClaim(id: string, claimToken: string): Promise<void> {
      await db
        .delete(audioChunks)
        .where(
          and(
            eq(audioChunks.id, id),
            eq(audioChunks.claimToken, claimToken),
            eq(audioChunks.uploadStatus, 'receiving'),
          ),
        );
    },

    /** Claims still receiving bytes for a session (their attempts may yet succeed). */
    async countReceiving(sessionId: string, staleBefore: Date): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(audioChunks)
        .where(
          and(
            eq(audioChunks.sessionId, sessionId),
            eq(audioChunks.uploadStatus, 'receiving'),
            gte(audioChunks.updatedAt, staleBefore),
          ),
        );
      return row?.count ?? 0;
    },

    /** Claims not refreshed since `staleBefore`: their upload process died (audio_chunks_receiving_updated_at_idx). */
    async listStaleClaims(staleBefore: Date, limit: number): Promise<AudioChunkRow[]> {
      return db
        .select()
        .from(audioChunks)
        .where(and(eq(audioChunks.uploadStatus, 'receiving'), lt(audioChunks.updatedAt, staleBefore)))
        .orderBy(asc(audioChunks.updatedAt))
        .limit(limit);
    },

    /**
     * Deletes a claim that is still receiving and still stale: a heartbeat, a takeover or a completed upload
     * since it was listed refreshes `updated_at` or the status, and the claim is then kept. Returns the deleted
     * row (its `s3_key` is the dead attempt's own object), or undefined.
     */
    async removeStaleClaim(id: string, staleBefore: Date): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .delete(audioChunks)
        .where(and(eq(audioChunks.id, id), eq(audioChunks.uploadStatus, 'receiving'), lt(audioChunks.updatedAt, staleBefore)))
        .returning();
      return row;
    },

    async find(sessionId: string, chunkIndex: number): Promise<AudioChunkRow | undefined> {
      const [row] = await db.select().from(audioChunks).where(byKey(sessionId, chunkIndex));
      return row;
    },

    async listBySession(sessionId: string): Promise<AudioChunkRow[]> {
      return db
        .select()
        .from(audioChunks)
        .where(eq(audioChunks.sessionId, sessionId))
        .orderBy(asc(audioChunks.chunkIndex));
    },

    async markProcessing(sessionId: string, chunkIndex: number): Promise<void> {
      await db
        .update(audioChunks)
        .set({ processingStatus: 'processing', updatedAt: sql`now()` })
        .where(and(byKey(sessionId, chunkIndex), eq(audioChunks.processingStatus, 'pending')));
    },

    /** Stores one stage's output: merges it under analysis_results[stage] and sets the summary columns. */
    async saveStageResult(
      sessionId: string,
      chunkIndex: number,
      stage: StageResult,
    ): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({
          ...stage.columns,
          analysisResults: sql`${audioChunks.analysisResults} || jsonb_build_object(${stage.stage}::text, ${JSON.stringify(stage.result)}::jsonb)`,
          updatedAt: sql`now()`,
        })
        .where(byKey(sessionId, chunkIndex))
        .returning();
      return row;
    },

    /** Undefined when the chunk is gone or already completed or failed. */
    async markProcessed(sessionId: string, chunkIndex: number): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({ processingStatus: 'completed', failureReason: null, processedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(byKey(sessionId, chunkIndex), isUnfinished))
        .returning();
      return row;
    },

    /** Undefined when the chunk is gone or already completed or failed. */
    async markFailed(sessionId: string, chunkIndex: number, reason: string): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({
          processingStatus: 'failed',
          failureReason: reason.slice(0, 500),
          processedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(and(byKey(sessionId, chunkIndex), isUnfinished))
        .returning();
      return row;
    },

    async countBySession(sessionId: string): Promise<SessionChunkCounts> {
      const [row] = await db
        .select({
          uploaded: sql<number>`count(*) filter (where ${audioChunks.uploadStatus} = 'uploaded')::int`,
          processed: sql<number>`count(*) filter (where ${audioChunks.processingStatus} = 'completed')::int`,
          failed: sql<number>`count(*) filter (where ${audioChunks.processingStatus} = 'failed')::int`,
        })
        .from(audioChunks)
        .where(eq(audioChunks.sessionId, sessionId));
      return row ?? { uploaded: 0, processed: 0, failed: 0 };
    },
  };
}

export type ChunksRepository = ReturnType<typeof createChunksRepository>;
