/**
 * Simulated exam pages: each creates a session, uploads its chunks one at a time with the recorder's retry rules
 * (libs/recorder api-client: network errors, 408, 429, 5xx and 409 UPLOAD_IN_PROGRESS are retried with
 * exponential backoff and jitter; 200 duplicate counts as done), then completes the session.
 */
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';

export type StallMode = 'resume' | 'wait-for-server' | 'abort';

export interface ChunkRecord {
  sessionId: string;
  index: number;
  sha256: string;
  sizeBytes: number;
  /** 201 or 200 answered (the client considers it stored), the client gave up, or a permanent refusal. */
  outcome: 'accepted' | 'duplicate' | 'gave-up' | 'refused';
  attempts: number;
  finalStatus: number;
  finalCode?: string;
  acceptedAtMs?: number;
  stall?: StallMode;
}

export interface PageStats {
  retries: Record<string, number>;
  stallAnswers: Record<string, number>;
}

interface Answer {
  status: number;
  code?: string;
  retryAfterMs?: number;
}

const BOUNDARY = 'earshotchaosboundary';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isRetryable = (answer: Answer) =>
  answer.status === 0 || answer.status === 408 || answer.status === 429 || answer.status >= 500 || (answer.status === 409 && answer.code === 'UPLOAD_IN_PROGRESS');

/** The recorder's equal-jitter backoff, on a compressed clock (base 0.5 s, cap 8 s instead of 1 s and 30 s). */
const backoffMs = (attempt: number) => {
  const exponential = Math.min(8_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
};

export function multipartChunk(sessionId: string, index: number, bytes: Buffer): Buffer {
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return Buffer.concat([
    Buffer.from(
      field('session_id', sessionId) +
        field('chunk_index', String(index)) +
        field('start_time', String(index * 30)) +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="audio_chunk"; filename="chunk_${index}.webm"\r\nContent-Type: audio/webm\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

export interface PageOptions {
  baseUrl: string;
  token: string;
  dispatcher: Agent;
  /** Stop retrying one request after this long (the page "gives up" on the chunk). */
  giveUpAfterMs: number;
  stats: PageStats;
}

const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);

async function parseAnswer(status: number, headers: Record<string, string | string[] | undefined>, text: string): Promise<Answer> {
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  const retryAfter = Number(headers['retry-after']);
  return { status, ...(code ? { code } : {}), ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
}

async function send(options: PageOptions, method: string, path: string, body: Buffer, contentType: string): Promise<Answer & { json?: unknown }> {
  try {
    const response = await request(`${options.baseUrl}${path}`, {
      method: method as 'POST',
      dispatcher: options.dispatcher,
      headers: { authorization: `Bearer ${options.token}`, 'content-type': contentType, 'content-length': String(body.length) },
      body,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    const answer = await parseAnswer(response.statusCode, response.headers, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { ...answer, json };
  } catch {
    return { status: 0, code: 'NETWORK' };
  }
}

/** Sends half of the body, then resumes it, waits for the server's answer, or drops the connection. */
function sendStalled(options: PageOptions, body: Buffer, mode: StallMode, stallMs: number): Promise<Answer> {
  const url = new URL(options.baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/api/audio/upload-chunk',
      agent: false,
      headers: { authorization: `Bearer ${options.token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length },
    });
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (piece: string) => (text += piece));
      response.on('end', () => void parseAnswer(response.statusCode ?? 0, response.headers, text).then(finish));
      response.on('error', () => finish({ status: 0, code: 'NETWORK' }));
    });
    req.on('error', () => finish({ status: 0, code: 'NETWORK' }));
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    setTimeout(() => {
      if (settled) return;
      if (mode === 'resume') req.end(body.subarray(half));
      else if (mode === 'abort') {
        req.destroy();
        finish({ status: 0, code: 'NETWORK' });
      }
    }, stallMs);
    // wait-for-server: the uploader's idle cut-off answers 408 UPLOAD_STALLED; give up well after it.
    setTimeout(() => {
      req.destroy();
      finish({ status: 0, code: 'NETWORK' });
    }, 60_000);
  });
}

async function withRetries<T extends Answer>(options: PageOptions, label: string, attemptOnce: (attempt: number) => Promise<T>): Promise<{ answer: T; attempts: number; gaveUp: boolean }> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const answer = await attemptOnce(attempt);
    if (!isRetryable(answer)) return { answer, attempts: attempt, gaveUp: false };
    count(options.stats.retries, `${label} ${answer.status}${answer.code ? ` ${answer.code}` : ''}`);
    if (Date.now() - started > options.giveUpAfterMs) return { answer, attempts: attempt, gaveUp: true };
    await sleep(Math.max(backoffMs(attempt), answer.retryAfterMs ?? 0));
  }
}

export async function createSession(options: PageOptions, testSessionId: string): Promise<string> {
  const body = Buffer.from(JSON.stringify({ test_session_id: testSessionId }));
  const { answer } = await withRetries(options, 'create', () => send(options, 'POST', '/api/audio/sessions', body, 'application/json'));
  const id = (answer.json as { id?: string } | undefined)?.id;
  if (answer.status !== 201 || !id) throw new Error(`session create failed: ${answer.status} ${answer.code ?? ''}`);
  return id;
}

export async function uploadChunk(options: PageOptions, record: ChunkRecord, bytes: Buffer, stall?: { mode: StallMode; stallMs: number }): Promise<void> {
  const body = multipartChunk(record.sessionId, record.index, bytes);
  const { answer, attempts, gaveUp } = await withRetries(options, 'upload', async (attempt) => {
    if (attempt === 1 && stall) {
      const answered = await sendStalled(options, body, stall.mode, stall.stallMs);
      count(options.stats.stallAnswers, `${stall.mode} ${answered.status}${answered.code ? ` ${answered.code}` : ''}`);
      return answered;
    }
    return send(options, 'POST', '/api/audio/upload-chunk', body, `multipart/form-data; boundary=${BOUNDARY}`);
  });
  record.attempts = attempts;
  record.finalStatus = answer.status;
  if (answer.code) record.finalCode = answer.code;
  if (answer.status === 201 || answer.status === 200) {
    record.outcome = answer.status === 201 ? 'accepted' : 'duplicate';
    record.acceptedAtMs = Date.now();
  } else record.outcome = gaveUp ? 'gave-up' : 'refused';
}

export async function completeSession(options: PageOptions, sessionId: string, totalChunks: number): Promise<Answer> {
  const body = Buffer.from(JSON.stringify({ session_id: sessionId, total_chunks: totalChunks }));
  const { answer } = await withRetries(options, 'complete', () => send(options, 'POST', '/api/audio/session-complete', body, 'application/json'));
  return answer;
}
