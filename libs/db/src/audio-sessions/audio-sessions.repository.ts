import { and, asc, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { SessionStatus, StreamGap } from '@earshot/contracts';
import { audioChunks } from '../audio-chunks/audio-chunks.table';
import type { Database } from '../client';
import { audioSessions, type AudioSessionRow } from './audio-sessions.table';

/** A recording session as the sweep sees it. */
export interface RecordingActivity {
  id: string;
  orgId: string;
  /** The latest of: session start, a chunk claimed or stored, a live claim refreshed by its upload. */
  lastActivityAt: Date;
  streamLostAt: Date | null;
  /** With `streamLostAt`: the first activity after it, if any (the stream is back). */
  resumedAt: Date | null;
}

/**
 * The last sign of life of a session's audio: its start, any chunk claimed or uploaded, and a claim still
 * receiving bytes (its upload refreshes `updated_at`). Analysis writes to stored chunks do not count. In whole
 * milliseconds, so that the instants the sweep reads back (JavaScript dates) compare exactly with the stored
 * ones. Uses the (session_id, chunk_index) unique index.
 */
// Qualified by hand: in a one-table select drizzle writes columns bare, and a bare "id" inside the subquery
// would name the chunk's id.
const session = sql.raw('"audio_sessions"');
const lastActivityAt = sql<Date>`date_trunc('milliseconds', greatest(${session}.start_time, (
  select max(greatest(c.created_at, c.uploaded_at, case when c.upload_status = 'receiving' then c.updated_at end))
  from ${audioChunks} c where c.session_id = ${session}.id
)))`;

/**
 * The first sign of life after the open gap began (a chunk claimed or stored, a live claim refreshed): when the
 * stream came back. Null while the gap is open.
 */
const afterGap = (column: string) =>
  sql.raw(`case when date_trunc('milliseconds', c.${column}) > "audio_sessions".stream_lost_at then date_trunc('milliseconds', c.${column}) end`);
const resumedAt = sql<Date | null>`(
  select min(least(${afterGap('created_at')}, ${afterGap('uploaded_at')},
    case when c.upload_status = 'receiving' then ${afterGap('updated_at')} end))
  from ${audioChunks} c where c.session_id = ${session}.id
)`;

export interface NewSession {
  orgId: string;
  userId: string;
  testSessionId: string;
  metadata: Record<string, unknown>;
  /** Called with the new id to derive the object prefix. */
  s3BaseKeyFor: (sessionId: string) => string;
}

export interface SessionOutcome {
  status: Extract<SessionStatus, 'completed' | 'failed' | 'abandoned'>;
  totalDurationSeconds: number;
  missingChunkIndexes: number[];
  summary: Record<string, unknown>;
  failureReason: string | null;
}

export function createSessionsRepository(db: Database) {
  return {
    async create(input: NewSession): Promise<AudioSessionRow> {
      const id = crypto.randomUUID();
      const [row] = await db
        .insert(audioSessions)
        .values({
          id,
          orgId: input.orgId,
          userId: input.userId,
          testSessionId: input.testSessionId,
          metadata: input.metadata,
          s3BaseKey: input.s3BaseKeyFor(id),
        })
        .returning();
      return row!;
    },

    async findById(id: string): Promise<AudioSessionRow | undefined> {
      const [row] = await db.select().from(audioSessions).where(eq(audioSessions.id, id));
      return row;
    },

    /**
     * recording → processing with the declared chunk total, once: the total is fixed by the first completion.
     * The row update waits for every chunk claim in flight (they hold a share lock on this row) and later
     * claims see the session closed. Returns undefined when the session is not recording.
     */
    async markProcessing(id: string, totalChunks: number): Promise<AudioSessionRow | undefined> {
      const [row] = await db
        .update(audioSessions)
        .set({
          status: 'processing',
          totalChunks,
          endTime: sql`coalesce(${audioSessions.endTime}, now())`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(audioSessions.id, id), eq(audioSessions.status, 'recording')))
        .returning();
      return row;
    },

    /**
     * Recording sessions that have been silent since `idleBefore`, or whose stream is marked lost (so that the
     * sweep can see it resume). Oldest activity first, at most `limit`.
     */
    async listRecordingActivity(idleBefore: Date, limit: number): Promise<RecordingActivity[]> {
      const rows = await db
        .select({
          id: audioSessions.id,
          orgId: audioSessions.orgId,
          lastActivityAt: lastActivityAt.mapWith(audioSessions.startTime),
          streamLostAt: audioSessions.streamLostAt,
          resumedAt: resumedAt.mapWith(audioSessions.startTime),
        })
        .from(audioSessions)
        .where(
          and(
            eq(audioSessions.status, 'recording'),
            or(isNotNull(audioSessions.streamLostAt), lt(lastActivityAt, idleBefore)),
          ),
        )
        .orderBy(asc(lastActivityAt))
        .limit(limit);
      return rows;
    },

    /**
     * Opens a gap of the stream at the session's last activity, once: only a recording session silent since
     * `idleBefore` (checked again here) whose stream is not already marked lost.
     */
    async markStreamLost(id: string, idleBefore: Date): Promise<AudioSessionRow | undefined> {
      const [row] = await db
        .update(audioSessions)
        .set({ streamLostAt: lastActivityAt, updatedAt: sql`now()` })
        .where(
          and(
            eq(audioSessions.id, id),
            eq(audioSessions.status, 'recording'),
            isNull(audioSessions.streamLostAt),
            lt(lastActivityAt, idleBefore),
          ),
        )
        .returning();
      return row;
    },

    /** Closes the open gap `lostAt` (once) and appends it to `stream_gaps`. */
    async markStreamRestored(id: string, lostAt: Date, restoredAt: Date): Promise<AudioSessionRow | undefined> {
      const gap: StreamGap = { lost_at: lostAt.toISOString(), restored_at: restoredAt.toISOString() };
      const [row] = await db
        .update(audioSessions)
        .set({
          streamLostAt: null,
          streamGaps: sql`${audioSessions.streamGaps} || ${JSON.stringify([gap])}::jsonb`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(audioSessions.id, id), eq(audioSessions.streamLostAt, lostAt)))
        .returning();
      return row;
    },

    /**
     * recording → processing for a session silent since `idleBefore` (checked again here, in the same
     * statement): the total is the highest chunk index seen plus one, so earlier gaps count as missing, and
     * the end time is the last activity. `abandoned_at` tells the summary to end it as `abandoned`. Like
     * `markProcessing`, later chunk claims then see the session closed. Undefined when not closed by this call.
     */
    async abandon(id: string, idleBefore: Date): Promise<AudioSessionRow | undefined> {
      const [row] = await db
        .update(audioSessions)
        .set({
          status: 'processing',
          abandonedAt: sql`now()`,
          totalChunks: sql`(select coalesce(max(c.chunk_index) + 1, 0) from ${audioChunks} c where c.session_id = ${session}.id)`,
          endTime: sql`coalesce(${audioSessions.endTime}, ${lastActivityAt})`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(audioSessions.id, id), eq(audioSessions.status, 'recording'), lt(lastActivityAt, idleBefore)))
        .returning();
      return row;
    },

    /** processing → completed|failed|abandoned, once. Returns undefined when the session was not processing. */
    async finish(id: string, outcome: SessionOutcome): Promise<AudioSessionRow | undefined> {
      const [row] = await db
        .update(audioSessions)
        .set({
          status: outcome.status,
          totalDurationSeconds: outcome.totalDurationSeconds,
          missingChunkIndexes: outcome.missingChunkIndexes,
          summary: outcome.summary,
          failureReason: outcome.failureReason,
          updatedAt: sql`now()`,
        })
        .where(and(eq(audioSessions.id, id), eq(audioSessions.status, 'processing')))
        .returning();
      return row;
    },

    async touch(id: string): Promise<void> {
      await db
        .update(audioSessions)
        .set({ updatedAt: sql`now()` })
        .where(eq(audioSessions.id, id));
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
