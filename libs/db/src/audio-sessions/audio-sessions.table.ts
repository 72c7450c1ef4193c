import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { SESSION_STATUSES, type SessionStatus, type StreamGap } from '@earshot/contracts';

export const audioSessions = pgTable(
  'audio_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id').notNull(),
    userId: text('user_id').notNull(),
    testSessionId: text('test_session_id').notNull(),
    startTime: timestamp('start_time', { withTimezone: true }).notNull().defaultNow(),
    endTime: timestamp('end_time', { withTimezone: true }),
    totalDurationSeconds: doublePrecision('total_duration_seconds'),
    /** Declared by the client at session-complete; null while recording. */
    totalChunks: integer('total_chunks'),
    status: text('status').$type<SessionStatus>().notNull().default('recording'),
    s3BaseKey: text('s3_base_key').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    missingChunkIndexes: integer('missing_chunk_indexes').array().notNull().default(sql`'{}'::integer[]`),
    failureReason: text('failure_reason'),
    /** Open gap of the audio stream: the last activity before `session_stream_lost` was sent; null while streaming. */
    streamLostAt: timestamp('stream_lost_at', { withTimezone: true }),
    /** Closed gaps, oldest first: `{ lost_at, restored_at }` (ISO instants). */
    streamGaps: jsonb('stream_gaps').$type<StreamGap[]>().notNull().default([]),
    /** Set by the sweep when it closes a silent session; the summary then ends it as `abandoned`. */
    abandonedAt: timestamp('abandoned_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('audio_sessions_user_test_idx').on(table.userId, table.testSessionId),
    index('audio_sessions_org_created_idx').on(table.orgId, table.createdAt),
    index('audio_sessions_status_idx').on(table.status),
    index('audio_sessions_created_at_idx').on(table.createdAt),
    check(
      'audio_sessions_status_check',
      sql.raw(`status in (${SESSION_STATUSES.map((status) => `'${status}'`).join(', ')})`),
    ),
    check('audio_sessions_total_chunks_check', sql`${table.totalChunks} is null or ${table.totalChunks} >= 0`),
  ],
);

export type AudioSessionRow = typeof audioSessions.$inferSelect;
