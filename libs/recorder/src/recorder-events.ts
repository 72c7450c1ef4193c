import type {
  ChunkProcessedEvent,
  ChunkUploadedEvent,
  SessionCompletedEvent,
  SessionProgressEvent,
} from '@earshot/contracts';

export type RecorderState = 'idle' | 'starting' | 'recording' | 'stopping' | 'stopped' | 'microphone-lost';

export interface ChunkRef {
  sessionId: string;
  chunkIndex: number;
}

export interface ChunkRecordedEvent extends ChunkRef {
  startTimeSec: number;
  durationSec?: number;
  sizeBytes: number;
  mimeType: string;
  /** True for a chunk cut short by a reload or crash, recovered from its saved parts. */
  recovered: boolean;
}

export interface ChunkUploadSucceededEvent extends ChunkRef {
  /** The server already had these exact bytes (an earlier attempt got through but its answer was lost). */
  duplicate: boolean;
  attempts: number;
}

export interface ChunkFailedEvent extends ChunkRef {
  status: number;
  code: string;
  message: string;
  attempts: number;
  /** Permanent: the server will never take this chunk as it is; it stays stored as `failed` (see retryFailed). */
  permanent: boolean;
  /** For a retryable failure: when the next attempt happens. */
  retryInMs?: number;
}

export interface QueueEvent {
  /** Chunks recorded and not yet accepted by the server (including the one being uploaded). */
  pending: number;
  failed: number;
  online: boolean;
}

export interface LevelEvent {
  /** Root mean square of the last ~20 ms of input, 0..1. */
  rms: number;
  /** Peak absolute sample of the same window, 0..1. */
  peak: number;
}

export interface MicrophoneEvent {
  /** `ended`: lost (unplugged, permission revoked); `off`: released by the recorder (stop). */
  state: 'live' | 'muted' | 'ended' | 'off';
  label: string;
}

export interface SessionCompleteSentEvent {
  sessionId: string;
  totalChunks: number;
}

export interface RecorderErrorEvent {
  /** Where it happened: `microphone`, `session`, `upload`, `complete`, `store`, `live-events`. */
  source: 'microphone' | 'session' | 'upload' | 'complete' | 'store' | 'live-events';
  message: string;
  status?: number;
  code?: string;
}

/** Everything a page can listen to with `recorder.on(name, listener)`. */
export interface RecorderEvents {
  state: RecorderState;
  'chunk-recorded': ChunkRecordedEvent;
  'chunk-uploaded': ChunkUploadSucceededEvent;
  'chunk-failed': ChunkFailedEvent;
  queue: QueueEvent;
  level: LevelEvent;
  microphone: MicrophoneEvent;
  /** A chunk's analysis (`chunk_processed` over socket.io), once per chunk. */
  analysis: ChunkProcessedEvent;
  /** The server stored a chunk (socket.io `chunk_uploaded`). */
  'server-chunk-uploaded': ChunkUploadedEvent;
  'session-progress': SessionProgressEvent;
  'session-completed': SessionCompletedEvent;
  'session-complete-sent': SessionCompleteSentEvent;
  error: RecorderErrorEvent;
}
