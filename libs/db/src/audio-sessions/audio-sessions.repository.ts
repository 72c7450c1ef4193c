import { and, eq, sql } from 'drizzle-orm';
import type { SessionStatus } from '@earshot/contracts';
import type { Database } from '../client';
import { audioSessions, type AudioSessionRow } from './audio-sessions.table';

export interface NewSession {
  orgId: string;
  userId: string;
  testSessionId: string;
  metadata: Record<string, unknown>;
  /** Called with the new id to derive the object prefix. */
  s3BaseKeyFor: (sessionId: string) => string;
}

export interface SessionOutcome {
  status: Extract<SessionStatus, 'completed' | 'failed'>;
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

    /** processing → completed|failed, once. Returns undefined when the session was not processing. */
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
