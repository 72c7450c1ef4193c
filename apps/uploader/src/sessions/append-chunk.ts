import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform, pipeline as pipelineCallback, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CHUNK_STAGES,
  DomainError,
  chunkObjectKey,
  chunkStageJob,
  type Chunk,
  type Principal,
  type UploadChunkFields,
} from '@earshot/contracts';
import type { AudioChunkRow } from '@earshot/db';
import { CONTENT_TYPES, FILE_EXTENSIONS, MAGIC_BYTES_NEEDED, detectAudioContainer } from './audio-container';
import { loadSession } from './load-session';
import type { SessionDeps } from './ports';
import { toChunkDto } from './session.mapper';

export interface AppendChunkInput {
  fields: UploadChunkFields;
  /** The file's bytes as they arrive; never buffered whole. */
  file: Readable;
  /**
   * Runs once the file's bytes are stored, before the chunk counts as uploaded; throwing rejects the upload and
   * removes what was stored (the route refuses parts sent after the file this way).
   */
  afterFile?: () => Promise<void>;
}

export interface AppendChunkResult {
  chunk: Chunk;
  /** True when the same bytes were already stored: nothing new was written or queued. */
  duplicate: boolean;
}

/**
 * Stores one chunk exactly once. The (session, index) row is claimed before any byte reaches storage, so
 * concurrent or repeated uploads of an index can never overwrite each other: the same bytes again return the
 * stored chunk, different bytes are a conflict, and a rejected upload leaves neither row nor object behind.
 *
 * Each attempt streams to an object key of its own and holds the claim by a token. Only the token holder can
 * mark the chunk uploaded or release it, so an attempt that stalled past its claim (and was taken over) can
 * neither overwrite, delete nor un-claim what a later attempt stored: it removes only its own object. A body
 * that sends nothing for `uploadIdleTimeoutMs` is cut off (UPLOAD_STALLED) and its claim released at once.
 */
export async function appendChunk(
  deps: SessionDeps,
  principal: Principal,
  input: AppendChunkInput,
): Promise<AppendChunkResult> {
  const { session_id: sessionId, chunk_index: chunkIndex } = input.fields;
  const watchdog = watchIdle(input.file, deps.limits.uploadIdleTimeoutMs);
  try {
    return await storeChunk(deps, principal, input.fields, watchdog.stream, input.afterFile);
  } catch (error) {
    // Whatever was not read is drained (or, for a destroyed stream, dropped); the route closes the connection.
    watchdog.stream.resume();
    input.file.resume();
    if (watchdog.fired)
      throw new DomainError('UPLOAD_STALLED', `No bytes arrived for ${deps.limits.uploadIdleTimeoutMs} ms`, {
        session_id: sessionId,
        chunk_index: chunkIndex,
      });
    throw error;
  } finally {
    watchdog.stop();
  }
}

async function storeChunk(
  deps: SessionDeps,
  principal: Principal,
  fields: UploadChunkFields,
  file: Readable,
  afterFile?: () => Promise<void>,
): Promise<AppendChunkResult> {
  const { session_id: sessionId, chunk_index: chunkIndex } = fields;
  const session = await loadSession(deps, principal, sessionId, 'write');

  const { head, rest } = await peek(file, MAGIC_BYTES_NEEDED);
  if (head.length === 0) throw new DomainError('VALIDATION', 'audio_chunk is empty');
  const container = detectAudioContainer(head);
  if (!container) throw new DomainError('UNSUPPORTED_MEDIA', 'audio_chunk is not a WebM, Ogg, MP4 or WAV audio file');
  const body = Readable.from(prepend(head, rest));

  if (session.status !== 'recording') {
    const existing = await deps.chunks.find(sessionId, chunkIndex);
    if (existing?.uploadStatus === 'uploaded') return compareWithStored(deps, existing, body);
    throw new DomainError('SESSION_CLOSED', `Session ${sessionId} is ${session.status} and accepts no new chunks`);
  }

  const claimToken = randomUUID();
  const key = chunkObjectKey(sessionId, chunkIndex, claimToken.replace(/-/g, '').slice(0, 16), FILE_EXTENSIONS[container]);
  const claim = await deps.chunks.claim({
    claimToken,
    sessionId,
    chunkIndex,
    startTimeSeconds: fields.start_time,
    durationSeconds: fields.duration ?? null,
    s3Key: key,
    contentType: CONTENT_TYPES[container],
    staleBefore: new Date(Date.now() - deps.limits.claimStaleMs),
  });
  if (!claim.claimed) {
    if ('closed' in claim) throw new DomainError('SESSION_CLOSED', `Session ${sessionId} no longer accepts new chunks`);
    if (claim.existing.uploadStatus === 'uploaded') return compareWithStored(deps, claim.existing, body);
    throw new DomainError('UPLOAD_IN_PROGRESS', `Chunk ${chunkIndex} is being uploaded by another request`);
  }
  const chunkId = claim.chunk.id;
  // A silent attempt was taken over: whatever it wrote is its own object, and it is dead or fenced out.
  if (claim.takenOverKey && claim.takenOverKey !== key)
    await deps.storage.delete(claim.takenOverKey).catch(() => undefined);

  const heartbeatMs = Math.max(250, Math.floor(deps.limits.claimStaleMs / 4));
  const meter = new ByteMeter(deps.limits.maxChunkBytes, heartbeatMs, () => {
    deps.chunks.touchClaim(chunkId, claimToken).catch(() => undefined);
  });
  try {
    await Promise.all([deps.storage.putStream(key, meter, CONTENT_TYPES[container]), pipeline(body, meter)]);
    await afterFile?.();
  } catch (error) {
    meter.destroy();
    await abandonAttempt(deps, sessionId, chunkId, claimToken, key);
    if (meter.exceeded)
      throw new DomainError('PAYLOAD_TOO_LARGE', `audio_chunk exceeds ${deps.limits.maxChunkBytes} bytes`);
    if (isAbort(error)) throw new DomainError('VALIDATION', 'The upload ended before the file was complete');
    throw error;
  }

  const digest = meter.digest();
  const stored = await deps.chunks.markUploaded(chunkId, claimToken, {
    fileSizeBytes: meter.bytes,
    contentSha256: digest,
  });
  if (!stored) {
    // Fenced out: another attempt took this claim over while our bytes were on their way. Ours go.
    await deps.storage.delete(key).catch(() => undefined);
    const current = await deps.chunks.find(sessionId, chunkIndex);
    if (current?.uploadStatus === 'uploaded') return compareDigest(deps, current, digest);
    throw new DomainError('UPLOAD_IN_PROGRESS', `Chunk ${chunkIndex} is being uploaded by another request`);
  }
  await queueAnalysis(deps, stored);
  deps.events.publish(
    'chunk_uploaded',
    { sessionId, orgId: session.orgId },
    {
      session_id: sessionId,
      chunk_index: chunkIndex,
      chunk_id: stored.id,
      file_size_bytes: stored.fileSizeBytes,
      uploaded_at: stored.uploadedAt!.toISOString(),
    },
  );
  await deps.live.countUpload(sessionId, chunkIndex);
  return { chunk: toChunkDto(stored), duplicate: false };
}

/**
 * Undoes a failed attempt: its own object, its claim (if it still holds it). A completion that arrived while it
 * was in flight waits for it, so the summary is queued again.
 */
async function abandonAttempt(deps: SessionDeps, sessionId: string, chunkId: string, claimToken: string, key: string) {
  await deps.storage.delete(key).catch(() => undefined);
  await deps.chunks.releaseClaim(chunkId, claimToken);
  const session = await deps.sessions.findById(sessionId);
  if (session?.status === 'processing') await deps.queue.enqueue('session.summary', { v: 1, sessionId });
}

async function queueAnalysis(deps: Pick<SessionDeps, 'queue'>, chunk: AudioChunkRow): Promise<void> {
  await deps.queue.enqueue(chunkStageJob(CHUNK_STAGES[0]), {
    v: 1,
    sessionId: chunk.sessionId,
    chunkIndex: chunk.chunkIndex,
  });
}

/** Same bytes → the stored chunk (re-queued if its analysis never started); different bytes → CHUNK_CONFLICT. */
async function compareWithStored(
  deps: SessionDeps,
  existing: AudioChunkRow,
  body: Readable,
): Promise<AppendChunkResult> {
  const meter = new ByteMeter(deps.limits.maxChunkBytes);
  try {
    await pipeline(body, meter, new Transform({ transform: (_chunk, _encoding, done) => done() }));
  } catch (error) {
    if (meter.exceeded)
      throw new DomainError('CHUNK_CONFLICT', `Chunk ${existing.chunkIndex} is stored with different bytes`);
    throw error;
  }
  return compareDigest(deps, existing, meter.digest());
}

async function compareDigest(deps: SessionDeps, existing: AudioChunkRow, digest: string): Promise<AppendChunkResult> {
  if (digest !== existing.contentSha256) {
    throw new DomainError('CHUNK_CONFLICT', `Chunk ${existing.chunkIndex} is stored with different bytes`, {
      chunk_index: existing.chunkIndex,
    });
  }
  // A retry after a lost response or a failed enqueue: the deterministic job id makes this a no-op if queued.
  if (existing.processingStatus === 'pending') await queueAnalysis(deps, existing);
  return { chunk: toChunkDto(existing), duplicate: true };
}

/**
 * `source` passed through a stream that is destroyed (with `source`) when no byte arrives for `idleMs` while the
 * reader is waiting for more. Back-pressure from our side (storage slower than the client) does not count.
 */
function watchIdle(source: Readable, idleMs: number): { stream: Readable; readonly fired: boolean; stop(): void } {
  let fired = false;
  let last = Date.now();
  const watched = new Transform({
    transform(piece: Buffer, _encoding, done) {
      last = Date.now();
      done(null, piece);
    },
  });
  const timer = setInterval(
    () => {
      if (watched.destroyed || watched.writableEnded) return;
      const waitingForUs = watched.readableLength >= watched.readableHighWaterMark;
      if (waitingForUs) last = Date.now();
      if (Date.now() - last < idleMs) return;
      fired = true;
      const error = Object.assign(new Error('upload stalled'), { code: 'UPLOAD_STALLED' });
      watched.destroy(error);
      source.destroy(error);
    },
    Math.max(50, Math.min(1_000, Math.floor(idleMs / 4))),
  );
  timer.unref();
  // pipeline() also turns a source that closes without ending (the multipart body ended inside the file)
  // into an error on `watched`, instead of leaving its reader waiting.
  pipelineCallback(source, watched, () => undefined);
  return {
    stream: watched,
    get fired() {
      return fired;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Counts and hashes bytes on their way through; errors once more than `maxBytes` pass. */
class ByteMeter extends Transform {
  bytes = 0;
  exceeded = false;
  private readonly hash = createHash('sha256');
  private lastBeatAt = Date.now();
  constructor(
    private readonly maxBytes: number,
    private readonly heartbeatMs = Infinity,
    private readonly onHeartbeat: () => void = () => undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (Date.now() - this.lastBeatAt >= this.heartbeatMs) {
      this.lastBeatAt = Date.now();
      this.onHeartbeat();
    }
    if (this.bytes > this.maxBytes) {
      this.exceeded = true;
      done(new Error('size limit exceeded'));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Reads at least `count` bytes (or all, if fewer) without losing any of the rest. */
async function peek(stream: Readable, count: number): Promise<{ head: Buffer; rest: Readable }> {
  const pieces: Buffer[] = [];
  let length = 0;
  while (length < count) {
    const piece = await readOne(stream);
    if (piece === null) break;
    pieces.push(piece);
    length += piece.length;
  }
  return { head: Buffer.concat(pieces), rest: stream };
}

function readOne(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const piece = stream.read() as Buffer | null;
    if (piece !== null) return resolve(piece);
    if (stream.readableEnded) return resolve(null);
    // Failed or closed before we looked (the multipart body ended early): no event will come any more.
    if (stream.errored) return reject(stream.errored);
    if (stream.destroyed) return reject(Object.assign(new Error('closed early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onReadable = () => {
      const next = stream.read() as Buffer | null;
      if (next === null) return;
      cleanup();
      resolve(next);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

async function* prepend(head: Buffer, rest: Readable): AsyncGenerator<Buffer> {
  yield head;
  for await (const piece of rest) yield piece as Buffer;
}

const isAbort = (error: unknown): boolean => {
  const code = (error as { code?: string }).code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (error as Error).name === 'AbortError';
};
