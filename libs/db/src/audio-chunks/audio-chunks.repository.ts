import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { audioChunks, type AudioChunkRow } from './audio-chunks.table';

export interface ChunkClaim {
  sessionId: string;
  chunkIndex: number;
  startTimeSeconds: number;
  durationSeconds: number | null;
  s3Key: string;
  contentType: string;
  /** A 'receiving' claim last touched before this instant belongs to a dead request and may be taken over. */
  staleBefore: Date;
}

export type ClaimResult = { claimed: true; chunk: AudioChunkRow } | { claimed: false; existing: AudioChunkRow };

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

export function createChunksRepository(db: Database) {
  return {
    /**
     * Claims (session, index) for one upload. The unique key makes this the single arbiter between
     * concurrent uploads of the same chunk: exactly one request streams bytes to the object key.
     */
    async claim(input: ChunkClaim): Promise<ClaimResult> {
      const [inserted] = await db
        .insert(audioChunks)
        .values({
          sessionId: input.sessionId,
          chunkIndex: input.chunkIndex,
          startTimeSeconds: input.startTimeSeconds,
          durationSeconds: input.durationSeconds,
          s3Key: input.s3Key,
          contentType: input.contentType,
          uploadStatus: 'receiving',
        })
        .onConflictDoNothing({ target: [audioChunks.sessionId, audioChunks.chunkIndex] })
        .returning();
      if (inserted) return { claimed: true, chunk: inserted };
      // Take over a claim whose request died mid-stream.
      const [takenOver] = await db
        .update(audioChunks)
        .set({
          startTimeSeconds: input.startTimeSeconds,
          durationSeconds: input.durationSeconds,
          contentType: input.contentType,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            byKey(input.sessionId, input.chunkIndex),
            eq(audioChunks.uploadStatus, 'receiving'),
            lt(audioChunks.updatedAt, input.staleBefore),
          ),
        )
        .returning();
      if (takenOver) return { claimed: true, chunk: takenOver };
      const [existing] = await db.select().from(audioChunks).where(byKey(input.sessionId, input.chunkIndex));
      if (!existing) return this.claim(input); // the holder released it between our statements
      return { claimed: false, existing };
    },

    async markUploaded(id: string, stored: StoredUpload): Promise<AudioChunkRow> {
      const [row] = await db
        .update(audioChunks)
        .set({
          uploadStatus: 'uploaded',
          fileSizeBytes: stored.fileSizeBytes,
          compressedSizeBytes: stored.fileSizeBytes,
          contentSha256: stored.contentSha256,
          uploadedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(eq(audioChunks.id, id))
        .returning();
      if (!row) throw new Error(`chunk ${id} vanished while uploading`);
      return row;
    },

    /** Removes a claim that never completed, leaving no trace of a rejected upload. */
    async releaseClaim(id: string): Promise<void> {
      await db.delete(audioChunks).where(and(eq(audioChunks.id, id), eq(audioChunks.uploadStatus, 'receiving')));
    },

    async find(sessionId: string, chunkIndex: number): Promise<AudioChunkRow | undefined> {
      const [row] = await db.select().from(audioChunks).where(byKey(sessionId, chunkIndex));
      return row;
    },

    async listBySession(sessionId: string): Promise<AudioChunkRow[]> {
      return db.select().from(audioChunks).where(eq(audioChunks.sessionId, sessionId)).orderBy(asc(audioChunks.chunkIndex));
    },

    async markProcessing(sessionId: string, chunkIndex: number): Promise<void> {
      await db
        .update(audioChunks)
        .set({ processingStatus: 'processing', updatedAt: sql`now()` })
        .where(and(byKey(sessionId, chunkIndex), eq(audioChunks.processingStatus, 'pending')));
    },

    /** Stores one stage's output: merges it under analysis_results[stage] and sets the summary columns. */
    async saveStageResult(sessionId: string, chunkIndex: number, stage: StageResult): Promise<AudioChunkRow | undefined> {
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

    async markProcessed(sessionId: string, chunkIndex: number): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({ processingStatus: 'completed', failureReason: null, processedAt: sql`now()`, updatedAt: sql`now()` })
        .where(byKey(sessionId, chunkIndex))
        .returning();
      return row;
    },

    async markFailed(sessionId: string, chunkIndex: number, reason: string): Promise<AudioChunkRow | undefined> {
      const [row] = await db
        .update(audioChunks)
        .set({ processingStatus: 'failed', failureReason: reason.slice(0, 500), processedAt: sql`now()`, updatedAt: sql`now()` })
        .where(byKey(sessionId, chunkIndex))
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
