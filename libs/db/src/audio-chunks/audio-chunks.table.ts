import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { PROCESSING_STATUSES, UPLOAD_STATUSES, type ProcessingStatus, type UploadStatus } from '@earshot/contracts';
import { audioSessions } from '../audio-sessions/audio-sessions.table';

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((value) => `'${value}'`).join(', ')})`);

export const audioChunks = pgTable(
  'audio_chunks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => audioSessions.id, { onDelete: 'cascade' }),
    chunkIndex: integer('chunk_index').notNull(),
    startTimeSeconds: doublePrecision('start_time_seconds').notNull(),
    endTimeSeconds: doublePrecision('end_time_seconds'),
    durationSeconds: doublePrecision('duration_seconds'),
    /**
     * Where the bytes are. Each upload attempt writes its own key (`chunkObjectKey(..., attempt)`), so an attempt
     * that outlives its claim can neither overwrite nor delete what the winning attempt stored.
     */
    s3Key: text('s3_key').notNull(),
    /** The upload attempt holding a 'receiving' claim; only it may mark the chunk uploaded or release it. */
    claimToken: uuid('claim_token'),
    fileSizeBytes: bigint('file_size_bytes', { mode: 'number' }).notNull().default(0),
    compressedSizeBytes: bigint('compressed_size_bytes', { mode: 'number' }),
    compressionRatio: doublePrecision('compression_ratio'),
    /** Hex sha256 of the stored bytes: decides duplicate (same) versus conflict (different). */
    contentSha256: text('content_sha256').notNull().default(''),
    contentType: text('content_type').notNull().default('audio/webm'),
    uploadStatus: text('upload_status').$type<UploadStatus>().notNull().default('receiving'),
    processingStatus: text('processing_status').$type<ProcessingStatus>().notNull().default('pending'),
    failureReason: text('failure_reason'),
    transcription: text('transcription'),
    speakerCount: integer('speaker_count'),
    voiceActivityRatio: doublePrecision('voice_activity_ratio'),
    suspiciousActivityScore: doublePrecision('suspicious_activity_score'),
    analysisResults: jsonb('analysis_results').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (table) => [
    unique('audio_chunks_session_chunk_unique').on(table.sessionId, table.chunkIndex),
    index('audio_chunks_upload_status_idx').on(table.uploadStatus),
    index('audio_chunks_processing_status_idx').on(table.processingStatus),
    index('audio_chunks_created_at_idx').on(table.createdAt),
    // The sweep's search for claims left by dead upload processes: only 'receiving' rows, by age.
    index('audio_chunks_receiving_updated_at_idx').on(table.updatedAt).where(sql`${table.uploadStatus} = 'receiving'`),
    check('audio_chunks_chunk_index_check', sql`${table.chunkIndex} >= 0`),
    check('audio_chunks_upload_status_check', inList('upload_status', UPLOAD_STATUSES)),
    check('audio_chunks_processing_status_check', inList('processing_status', PROCESSING_STATUSES)),
    check(
      'audio_chunks_score_check',
      sql`${table.suspiciousActivityScore} is null or (${table.suspiciousActivityScore} >= 0 and ${table.suspiciousActivityScore} <= 1)`,
    ),
  ],
);

export type AudioChunkRow = typeof audioChunks.$inferSelect;
