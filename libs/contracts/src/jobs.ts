import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import './formats';

/**
 * Queue names. PERSISTED VALUES: they name keys in Redis. Renaming one strands every job waiting in the
 * old queue; add a new name and drain the old one instead.
 */
export const QUEUES = {
  'chunk.vad': 'earshot-chunk-vad',
  'chunk.speakers': 'earshot-chunk-speakers',
  'chunk.transcribe': 'earshot-chunk-transcribe',
  'chunk.score': 'earshot-chunk-score',
  'session.summary': 'earshot-session-summary',
  'session.sweep': 'earshot-session-sweep',
} as const;

export type JobName = keyof typeof QUEUES;
export const JOB_NAMES = Object.keys(QUEUES) as JobName[];

/** Per-chunk analysis stages, in order. A stage enqueues the next one when it completes. */
export const CHUNK_STAGES = ['vad', 'speakers', 'transcribe', 'score'] as const;
export type ChunkStage = (typeof CHUNK_STAGES)[number];
export const chunkStageJob = (stage: ChunkStage): JobName => `chunk.${stage}`;
export const nextChunkStage = (stage: ChunkStage): ChunkStage | undefined =>
  CHUNK_STAGES[CHUNK_STAGES.indexOf(stage) + 1];

/** Payloads carry ids and a version, never audio, text or secrets (job data is stored in clear). */
export const ChunkJobSchema = Type.Object({
  v: Type.Literal(1),
  sessionId: Type.String({ format: 'uuid' }),
  chunkIndex: Type.Integer({ minimum: 0 }),
});
export type ChunkJob = Static<typeof ChunkJobSchema>;

export const SessionJobSchema = Type.Object({
  v: Type.Literal(1),
  sessionId: Type.String({ format: 'uuid' }),
});
export type SessionJob = Static<typeof SessionJobSchema>;

/** The periodic sweep (stream lost, abandoned sessions, dead upload claims): no entity, one scheduler. */
export const SweepJobSchema = Type.Object({ v: Type.Literal(1) });
export type SweepJob = Static<typeof SweepJobSchema>;

export interface JobPayloads {
  'chunk.vad': ChunkJob;
  'chunk.speakers': ChunkJob;
  'chunk.transcribe': ChunkJob;
  'chunk.score': ChunkJob;
  'session.summary': SessionJob;
  'session.sweep': SweepJob;
}

export const JOB_SCHEMAS = {
  'chunk.vad': ChunkJobSchema,
  'chunk.speakers': ChunkJobSchema,
  'chunk.transcribe': ChunkJobSchema,
  'chunk.score': ChunkJobSchema,
  'session.summary': SessionJobSchema,
  'session.sweep': SweepJobSchema,
} as const satisfies { [K in JobName]: unknown };

/**
 * Deterministic job ids make enqueueing idempotent: the same chunk stage is queued once.
 * BullMQ forbids ':' in custom ids, hence '_'.
 */
export const jobId = <N extends JobName>(name: N, payload: JobPayloads[N]): string =>
  !('sessionId' in payload)
    ? name
    : 'chunkIndex' in payload && typeof payload.chunkIndex === 'number'
      ? `${name}_${payload.sessionId}_${payload.chunkIndex}`
      : `${name}_${payload.sessionId}`;

/** Validates a job payload read back from Redis; throws on anything that is not this job's contract. */
export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayloads[N] {
  const schema = JOB_SCHEMAS[name];
  if (!Value.Check(schema, data)) {
    const first = Value.Errors(schema, data).First();
    throw new Error(`invalid ${name} payload${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`);
  }
  return data as JobPayloads[N];
}
