import type { Session, SessionWithChunks, UploadChunkReply } from '@earshot/contracts';
import { parseRetryAfterMs } from './backoff';

export type GetToken = () => string | Promise<string>;

export interface ApiClientOptions {
  /** Origin of the gateway, e.g. `https://exam.example.org`. Default '' (the page's own origin). */
  baseUrl?: string;
  /** Called before every request, so the page can hand out a refreshed token. */
  getToken: GetToken;
  /** A request that takes longer is aborted and counts as a network failure. Default 60000 ms. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** Status 0 means the request never got an HTTP answer (offline, DNS, reset, timeout). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Worth retrying: the same request may succeed later. Everything else is permanent and surfaced. */
  get retryable(): boolean {
    return isRetryableFailure(this.status, this.code);
  }
}

export function isRetryableFailure(status: number, code: string): boolean {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return true;
  return status === 409 && code === 'UPLOAD_IN_PROGRESS';
}

export interface UploadChunkInput {
  sessionId: string;
  chunkIndex: number;
  startTimeSec: number;
  durationSec?: number;
  audio: Blob;
}

export interface ApiClient {
  createSession(input: { testSessionId: string; metadata?: Record<string, unknown> }): Promise<Session>;
  /** Resolves for a new chunk (201) and for the same bytes sent again (200, `duplicate: true`). */
  uploadChunk(input: UploadChunkInput): Promise<UploadChunkReply>;
  completeSession(input: { sessionId: string; totalChunks: number }): Promise<Session>;
  getSession(sessionId: string): Promise<SessionWithChunks>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The gateway's audio API for the page: bearer auth, problem+json errors turned into ApiError. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: string, path: string, body?: FormData | object): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${await options.getToken()}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, { method, headers, body: payload, signal: controller.signal });
    } catch (error) {
      throw new ApiError(
        0,
        controller.signal.aborted ? 'TIMEOUT' : 'NETWORK',
        error instanceof Error ? error.message : String(error),
      );
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as { code?: unknown; title?: unknown; detail?: unknown };
      const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
      const message =
        [problem.title, problem.detail].filter((part) => typeof part === 'string').join(': ') ||
        `HTTP ${response.status}`;
      throw new ApiError(response.status, code, message, parseRetryAfterMs(response.headers.get('retry-after')));
    }
    return parsed as T;
  }

  return {
    createSession: ({ testSessionId, metadata }) =>
      request(
        'POST',
        '/api/audio/sessions',
        metadata ? { test_session_id: testSessionId, metadata } : { test_session_id: testSessionId },
      ),
    uploadChunk: ({ sessionId, chunkIndex, startTimeSec, durationSec, audio }) => {
      // The server streams the file straight to storage, so the text fields must come first.
      const form = new FormData();
      form.append('session_id', sessionId);
      form.append('chunk_index', String(chunkIndex));
      form.append('start_time', startTimeSec.toFixed(3));
      if (durationSec !== undefined && durationSec > 0) form.append('duration', durationSec.toFixed(3));
      form.append('audio_chunk', audio, `chunk_${String(chunkIndex).padStart(4, '0')}.webm`);
      return request('POST', '/api/audio/upload-chunk', form);
    },
    completeSession: ({ sessionId, totalChunks }) =>
      request('POST', '/api/audio/session-complete', { session_id: sessionId, total_chunks: totalChunks }),
    getSession: (sessionId) => request('GET', `/api/audio/sessions/${encodeURIComponent(sessionId)}`),
  };
}
