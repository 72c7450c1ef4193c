import type { ProcessingStatus, SessionStatus } from './sessions.schema';

/** socket.io event names (server → client). Public API: clients subscribe by these names. */
export const SOCKET_EVENTS = {
  chunkUploaded: 'chunk_uploaded',
  chunkProcessed: 'chunk_processed',
  sessionProgress: 'session_progress',
  sessionCompleted: 'session_completed',
  sessionStreamLost: 'session_stream_lost',
  sessionStreamRestored: 'session_stream_restored',
} as const;

/** Client → server commands, answered through a socket.io acknowledgement. */
export const SOCKET_COMMANDS = { subscribe: 'subscribe', unsubscribe: 'unsubscribe' } as const;

export interface ChunkUploadedEvent {
  session_id: string;
  chunk_index: number;
  chunk_id: string;
  file_size_bytes: number;
  uploaded_at: string;
}

export interface ChunkProcessedEvent {
  session_id: string;
  chunk_index: number;
  chunk_id: string;
  processing_status: ProcessingStatus;
  duration_seconds: number | null;
  end_time_seconds: number | null;
  voice_activity_ratio: number | null;
  speaker_count: number | null;
  transcription: string | null;
  suspicious_activity_score: number | null;
  analysis_results: Record<string, unknown>;
  failure_reason: string | null;
  processed_at: string;
}

export interface SessionProgressEvent {
  session_id: string;
  status: SessionStatus;
  uploaded_chunks: number;
  processed_chunks: number;
  failed_chunks: number;
  total_chunks: number | null;
}

export interface SessionCompletedEvent {
  session_id: string;
  status: SessionStatus;
  total_chunks: number;
  processed_chunks: number;
  failed_chunks: number;
  missing_chunk_indexes: number[];
  total_duration_seconds: number;
  summary: Record<string, unknown>;
}

/**
 * No chunk (and no upload activity) for `SESSION_INACTIVITY_SEC` while recording. Sent once per gap; the
 * session row keeps `stream_lost_at` until the stream resumes or the session is abandoned.
 */
export interface SessionStreamLostEvent {
  session_id: string;
  status: SessionStatus;
  /** The last activity seen: when the stream stopped. */
  lost_at: string;
  /** When the sweep noticed (at most one sweep interval after `lost_at + inactivity_seconds`). */
  detected_at: string;
  inactivity_seconds: number;
  /** When the session will be closed as `abandoned` if nothing arrives. */
  abandon_at: string;
}

/** A chunk (or upload activity) arrived after a `session_stream_lost`: the gap is closed and kept in `stream_gaps`. */
export interface SessionStreamRestoredEvent {
  session_id: string;
  status: SessionStatus;
  lost_at: string;
  restored_at: string;
  gap_seconds: number;
}

export interface ServerToClientEvents {
  chunk_uploaded: (event: ChunkUploadedEvent) => void;
  chunk_processed: (event: ChunkProcessedEvent) => void;
  session_progress: (event: SessionProgressEvent) => void;
  session_completed: (event: SessionCompletedEvent) => void;
  session_stream_lost: (event: SessionStreamLostEvent) => void;
  session_stream_restored: (event: SessionStreamRestoredEvent) => void;
}

/** Answer to a `subscribe`; `RATE_LIMITED` once a socket sends more subscribes than its budget allows. */
export type SubscribeAck = { ok: true } | { ok: false; code: 'FORBIDDEN' | 'NOT_FOUND' | 'VALIDATION' | 'UNAVAILABLE' | 'RATE_LIMITED' };

export interface ClientToServerEvents {
  subscribe: (request: { session_id: string }, ack: (result: SubscribeAck) => void) => void;
  unsubscribe: (request: { session_id: string }, ack?: (result: SubscribeAck) => void) => void;
}

export type EventName = keyof ServerToClientEvents;
export type EventPayload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** Rooms events are emitted to. PERSISTED in the sense that every service must agree on them. */
export const ROOMS = {
  session: (sessionId: string) => `session:${sessionId}`,
  org: (orgId: string) => `org:${orgId}`,
} as const;
