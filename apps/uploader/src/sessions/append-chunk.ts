import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
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
 */
export async function appendChunk(deps: SessionDeps, principal: Principal, input: AppendChunkInput): Promise<AppendChunkResult> {
  const { session_id: sessionId, chunk_index: chunkIndex } = input.fields;
  const session = await loadSession(deps, principal, sessionId, 'write');

  const { head, rest } = await peek(input.file, MAGIC_BYTES_NEEDED);
  if (head.length === 0) throw new DomainError('VALIDATION', 'audio_chunk is empty');
  const container = detectAudioContainer(head);
  const drain = () => void input.file.resume();
  if (!container) {
    drain();
    throw new DomainError('UNSUPPORTED_MEDIA', 'audio_chunk is not a WebM, Ogg, MP4 or WAV audio file');
  }
  const body = Readable.from(prepend(head, rest));

  if (session.status !== 'recording') {
    const existing = await deps.chunks.find(sessionId, chunkIndex);
    if (existing?.uploadStatus === 'uploaded') return compareWithStored(deps, existing, body);
    drain();
    throw new DomainError('SESSION_CLOSED', `Session ${sessionId} is ${session.status} and accepts no new chunks`);
  }

  const claim = await deps.chunks.claim({
    sessionId,
    chunkIndex,
    startTimeSeconds: input.fields.start_time,
    durationSeconds: input.fields.duration ?? null,
    s3Key: chunkObjectKey(sessionId, chunkIndex, FILE_EXTENSIONS[container]),
    contentType: CONTENT_TYPES[container],
    staleBefore: new Date(Date.now() - deps.limits.claimStaleMs),
  });
  if (!claim.claimed) {
    if (claim.existing.uploadStatus === 'uploaded') return compareWithStored(deps, claim.existing, body);
    drain();
    throw new DomainError('UPLOAD_IN_PROGRESS', `Chunk ${chunkIndex} is being uploaded by another request`);
  }

  const meter = new ByteMeter(deps.limits.maxChunkBytes);
  const key = claim.chunk.s3Key;
  try {
    await Promise.all([deps.storage.putStream(key, meter, CONTENT_TYPES[container]), pipeline(body, meter)]);
    await input.afterFile?.();
  } catch (error) {
    meter.destroy();
    drain();
    await deps.storage.delete(key).catch(() => undefined);
    await deps.chunks.releaseClaim(claim.chunk.id);
    if (meter.exceeded) throw new DomainError('PAYLOAD_TOO_LARGE', `audio_chunk exceeds ${deps.limits.maxChunkBytes} bytes`);
    if (isAbort(error)) throw new DomainError('VALIDATION', 'The upload ended before the file was complete');
    throw error;
  }

  const stored = await deps.chunks.markUploaded(claim.chunk.id, { fileSizeBytes: meter.bytes, contentSha256: meter.digest() });
  await queueAnalysis(deps, stored);
  deps.events.publish(
    'chunk_uploaded',
    { sessionId, orgId: session.orgId },
    { session_id: sessionId, chunk_index: chunkIndex, chunk_id: stored.id, file_size_bytes: stored.fileSizeBytes, uploaded_at: stored.uploadedAt!.toISOString() },
  );
  await deps.live.countUpload(sessionId, chunkIndex);
  return { chunk: toChunkDto(stored), duplicate: false };
}

async function queueAnalysis(deps: Pick<SessionDeps, 'queue'>, chunk: AudioChunkRow): Promise<void> {
  await deps.queue.enqueue(chunkStageJob(CHUNK_STAGES[0]), { v: 1, sessionId: chunk.sessionId, chunkIndex: chunk.chunkIndex });
}

/** Same bytes → the stored chunk (re-queued if its analysis never started); different bytes → CHUNK_CONFLICT. */
async function compareWithStored(deps: SessionDeps, existing: AudioChunkRow, body: Readable): Promise<AppendChunkResult> {
  const meter = new ByteMeter(deps.limits.maxChunkBytes);
  try {
    await pipeline(body, meter, new Transform({ transform: (_chunk, _encoding, done) => done() }));
  } catch (error) {
    body.resume();
    if (meter.exceeded) throw new DomainError('CHUNK_CONFLICT', `Chunk ${existing.chunkIndex} is stored with different bytes`);
    throw error;
  }
  if (meter.digest() !== existing.contentSha256) {
    throw new DomainError('CHUNK_CONFLICT', `Chunk ${existing.chunkIndex} is stored with different bytes`, {
      chunk_index: existing.chunkIndex,
    });
  }
  // A retry after a lost response or a failed enqueue: the deterministic job id makes this a no-op if queued.
  if (existing.processingStatus === 'pending') await queueAnalysis(deps, existing);
  return { chunk: toChunkDto(existing), duplicate: true };
}

/** Counts and hashes bytes on their way through; errors once more than `maxBytes` pass. */
class ByteMeter extends Transform {
  bytes = 0;
  exceeded = false;
  private readonly hash = createHash('sha256');
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
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
    const piece = (await readOne(stream));
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
