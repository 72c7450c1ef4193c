import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AudioDecodeError } from './audio-decode.error';
import { decodeWav, isWav } from './wav.decoder';
import { decodeWebmOpus, isWebm, OPUS_NATIVE_RATES } from './webm-opus.decoder';

/** The sample rate every analysis stage expects unless told otherwise. */
export const ANALYSIS_SAMPLE_RATE = 16_000;
const BYTES_PER_SAMPLE = 4; // f32le
const STDERR_KEEP_CHARS = 4_000;

/** A file path, a readable stream (e.g. an S3 body) or the bytes of a file. */
export type AudioInput = string | NodeJS.ReadableStream | Uint8Array;

export interface DecodeOptions {
  /** Output sample rate in Hz. Default 16000. */
  sampleRate?: number;
  /** Aborts the decode and kills ffmpeg. */
  signal?: AbortSignal;
  /** ffmpeg binary. Default `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /** Start decoding at this time (input seek). */
  startSec?: number;
  /** Decode at most this much audio. */
  maxDurationSec?: number;
}

export interface DecodeToPcmOptions extends DecodeOptions {
  /**
   * Decode webm/opus (libopus in WebAssembly) and plain WAV already at the output rate in-process instead of
   * spawning ffmpeg, which saves the process start on every chunk. Anything else, or anything these cannot read,
   * still goes to ffmpeg. Default true.
   */
  inProcess?: boolean;
  /** Larger files always go to ffmpeg (whole-file decode holds them in memory). Default 32 MB. */
  inProcessMaxBytes?: number;
}

const DEFAULT_IN_PROCESS_MAX_BYTES = 32 * 1024 * 1024;

function wantsInProcess(opts: DecodeToPcmOptions): boolean {
  const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  return opts.inProcess !== false && !opts.startSec && OPUS_NATIVE_RATES.has(sampleRate);
}

const isInProcessFormat = (bytes: Uint8Array): boolean => isWebm(bytes) || isWav(bytes);

/** A copy (not a view that would keep the long buffer alive) when the PCM is longer than `maxSamples`. */
const capSamples = (pcm: Float32Array, maxSamples: number): Float32Array => (pcm.length > maxSamples ? pcm.slice(0, maxSamples) : pcm);

/** Decodes webm/opus or WAV bytes in-process; undefined means "use ffmpeg" (other format, rate, codec, damage). */
async function tryDecodeBytes(bytes: Uint8Array, opts: DecodeToPcmOptions): Promise<Float32Array | undefined> {
  if (!wantsInProcess(opts) || !isInProcessFormat(bytes)) return undefined;
  const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  try {
    const maxSamples = opts.maxDurationSec ? Math.round(opts.maxDurationSec * sampleRate) : Infinity;
    const pcm = isWav(bytes) ? capSamples(decodeWav(bytes, sampleRate), maxSamples) : decodeWebmOpus(bytes, sampleRate, maxSamples);
    return pcm.length > 0 ? pcm : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a small webm file and decodes it in-process; undefined means "use ffmpeg". */
async function tryDecodeInProcess(file: string, opts: DecodeToPcmOptions): Promise<Float32Array | undefined> {
  if (!wantsInProcess(opts)) return undefined;
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > (opts.inProcessMaxBytes ?? DEFAULT_IN_PROCESS_MAX_BYTES)) return undefined;
      const magic = Buffer.alloc(12);
      await handle.read(magic, 0, 12, 0);
      if (!isInProcessFormat(magic)) return undefined;
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // let ffmpeg report the problem
  }
  return tryDecodeBytes(bytes, opts);
}

/**
 * Reads a stream up to `maxBytes`. A stream that ends within the limit comes back as bytes; a longer one comes
 * back as a stream that replays what was read and continues with the rest.
 */
async function bufferSmallStream(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
): Promise<Uint8Array | NodeJS.ReadableStream> {
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let sizeBytes = 0;
  for (;;) {
    let next: IteratorResult<Buffer | string>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw new AudioDecodeError('INPUT_ERROR', 'input stream failed', '', { cause: error });
    }
    if (next.done) return Buffer.concat(parts, sizeBytes);
    const part = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    parts.push(part);
    sizeBytes += part.length;
    if (sizeBytes > maxBytes) break;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* parts;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return Readable.from(replay());
}

/** Bytes that identify every container `needsSeekableInput` asks about. */
const CONTAINER_MAGIC_BYTES = 12;

/**
 * ISO BMFF (MP4, M4A, MOV, 3GP) may keep its index (`moov`) after the data, and ffmpeg cannot seek back in a
 * pipe: it then decodes nothing and exits 0. Such input is decoded from a file.
 */
export const needsSeekableInput = (head: Uint8Array): boolean =>
  head.length >= 8 && Buffer.from(head.subarray(4, 8)).toString('latin1') === 'ftyp';

/** Reads at least `count` bytes of a stream (fewer if it ends) and gives back a stream that still has them. */
async function peekStream(stream: NodeJS.ReadableStream, count: number): Promise<{ head: Buffer; stream: NodeJS.ReadableStream }> {
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let sizeBytes = 0;
  let ended = false;
  while (sizeBytes < count) {
    let next: IteratorResult<Buffer | string>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw new AudioDecodeError('INPUT_ERROR', 'input stream failed', '', { cause: error });
    }
    if (next.done) {
      ended = true;
      break;
    }
    const part = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    parts.push(part);
    sizeBytes += part.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* parts;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return { head: Buffer.concat(parts, sizeBytes), stream: Readable.from(replay()) };
}

interface PreparedInput {
  input: AudioInput;
  /** Removes the temporary file, if one was written. */
  release(): Promise<void>;
}

/** Input that ffmpeg can decode as given; bytes or streams of a container that needs seeking become a temporary file. */
async function prepareInput(input: AudioInput): Promise<PreparedInput> {
  const none = { release: async () => undefined };
  if (typeof input === 'string') return { input, ...none };
  let head: Uint8Array = input instanceof Uint8Array ? input : Buffer.alloc(0);
  let source: AudioInput = input;
  if (!(input instanceof Uint8Array)) {
    const peeked = await peekStream(input, CONTAINER_MAGIC_BYTES);
    head = peeked.head;
    source = peeked.stream;
  }
  if (!needsSeekableInput(head)) return { input: source, ...none };
  const dir = await mkdtemp(path.join(tmpdir(), 'earshot-decode-'));
  const release = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'input.mp4');
  try {
    if (source instanceof Uint8Array) await writeFile(file, source);
    else await pipeline(source, createWriteStream(file));
  } catch (error) {
    await release();
    throw new AudioDecodeError('INPUT_ERROR', 'input stream failed', '', { cause: error });
  }
  return { input: file, release };
}

/** Bytes become a stream for ffmpeg's stdin; paths and streams pass through. */
function asFfmpegInput(input: AudioInput): string | NodeJS.ReadableStream {
  return input instanceof Uint8Array
    ? Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)])
    : input;
}

export interface StreamPcmOptions extends DecodeOptions {
  /** Samples per yielded block (the last block may be shorter). Default 30 s at the sample rate. */
  blockSamples?: number;
}

type FfmpegProcess = ChildProcessByStdio<Writable | null, Readable, Readable>;

/**
 * Spawns ffmpeg directly rather than through fluent-ffmpeg: we need raw f32le on a pipe with backpressure,
 * an AbortSignal and the exit code, which `spawn` gives natively; fluent-ffmpeg adds an `ffprobe`-style
 * capability check and an event layer on the same spawn (measured in bench/analysis.bench.ts).
 */
function spawnFfmpeg(input: string | NodeJS.ReadableStream, opts: DecodeOptions): FfmpegProcess {
  const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const fromStream = typeof input !== 'string';
  const args = [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    ...(opts.startSec ? ['-ss', String(opts.startSec)] : []),
    '-i',
    fromStream ? 'pipe:0' : input,
    ...(opts.maxDurationSec ? ['-t', String(opts.maxDurationSec)] : []),
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-f',
    'f32le',
    'pipe:1',
  ];
  if (fromStream) args.splice(0, 1); // stdin carries the media
  return spawn(opts.ffmpegPath ?? 'ffmpeg', args, {
    stdio: [fromStream ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  }) as FfmpegProcess;
}

interface RunningDecode {
  stdout: Readable;
  /** Resolves when ffmpeg exits cleanly, rejects with AudioDecodeError otherwise. */
  done: Promise<void>;
  kill: () => void;
}

function startDecode(input: string | NodeJS.ReadableStream, opts: DecodeOptions): RunningDecode {
  if (opts.signal?.aborted) throw new AudioDecodeError('ABORTED', 'decode aborted before start');
  const child = spawnFfmpeg(input, opts);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEEP_CHARS);
  });

  let inputError: unknown;
  if (typeof input !== 'string' && child.stdin) {
    const stdin = child.stdin;
    // ffmpeg may exit before reading all input (bad media): EPIPE is expected then, the exit code tells.
    stdin.on('error', () => undefined);
    input.on('error', (error: unknown) => {
      inputError = error;
      child.kill('SIGKILL');
    });
    input.pipe(stdin);
  }

  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') {
        reject(
          new AudioDecodeError('FFMPEG_MISSING', `ffmpeg not found (${opts.ffmpegPath ?? 'ffmpeg'})`, '', {
            cause: error,
          }),
        );
      } else {
        reject(new AudioDecodeError('INPUT_ERROR', `ffmpeg failed to start: ${error.message}`, '', { cause: error }));
      }
    });
    child.once('close', (code, signalName) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(new AudioDecodeError('ABORTED', 'decode aborted', stderr));
      if (inputError !== undefined) {
        return reject(new AudioDecodeError('INPUT_ERROR', 'input stream failed', stderr, { cause: inputError }));
      }
      if (code === 0) return resolve();
      if (/does not contain any stream|Output file #0 does not contain|matches no streams/i.test(stderr)) {
        return reject(new AudioDecodeError('NO_AUDIO', 'input has no audio stream', stderr));
      }
      reject(
        new AudioDecodeError('UNDECODABLE', `ffmpeg exited with ${code ?? signalName}: ${lastLine(stderr)}`, stderr),
      );
    });
  });
  // Avoid an unhandled rejection if the consumer fails first; callers always await `done` themselves.
  done.catch(() => undefined);
  return { stdout: child.stdout, done, kill: () => child.kill('SIGKILL') };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

function toFloat32(buffer: Buffer): Float32Array {
  const samples = Math.floor(buffer.length / BYTES_PER_SAMPLE);
  const out = new Float32Array(samples);
  // Copy through a Uint8Array view: Buffer offsets into the shared pool are not 4-byte aligned.
  new Uint8Array(out.buffer).set(buffer.subarray(0, samples * BYTES_PER_SAMPLE));
  return out;
}

/** Decodes any audio or video container to mono float PCM (16 kHz by default). Throws AudioDecodeError. */
export async function decodeToPcm(input: AudioInput, opts: DecodeToPcmOptions = {}): Promise<Float32Array> {
  if (opts.signal?.aborted) throw new AudioDecodeError('ABORTED', 'decode aborted before start');
  const prepared = await prepareInput(input);
  try {
    return await decodePrepared(prepared.input, opts);
  } finally {
    await prepared.release();
  }
}

async function decodePrepared(input: AudioInput, opts: DecodeToPcmOptions): Promise<Float32Array> {
  let source = input;
  if (wantsInProcess(opts) && typeof source !== 'string' && !(source instanceof Uint8Array)) {
    source = await bufferSmallStream(source, opts.inProcessMaxBytes ?? DEFAULT_IN_PROCESS_MAX_BYTES);
  }
  const inProcess =
    typeof source === 'string'
      ? await tryDecodeInProcess(source, opts)
      : source instanceof Uint8Array
        ? await tryDecodeBytes(source, opts)
        : undefined;
  if (opts.signal?.aborted) throw new AudioDecodeError('ABORTED', 'decode aborted');
  if (inProcess) return inProcess;
  const running = startDecode(asFfmpegInput(source), opts);
  const parts: Buffer[] = [];
  let sizeBytes = 0;
  running.stdout.on('data', (part: Buffer) => {
    parts.push(part);
    sizeBytes += part.length;
  });
  await running.done;
  const pcm = toFloat32(Buffer.concat(parts, sizeBytes));
  if (pcm.length === 0) throw new AudioDecodeError('NO_AUDIO', 'decoded no audio samples');
  return pcm;
}

/**
 * Decodes a long input as fixed-size PCM blocks with flat memory: ffmpeg is paused by pipe backpressure while the
 * consumer works. Breaking out of the loop kills ffmpeg.
 */
export async function* streamPcm(input: AudioInput, opts: StreamPcmOptions = {}): AsyncGenerator<Float32Array> {
  const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const blockSamples = opts.blockSamples ?? sampleRate * 30;
  const blockBytes = blockSamples * BYTES_PER_SAMPLE;
  const prepared = await prepareInput(input);
  let running: RunningDecode;
  try {
    running = startDecode(asFfmpegInput(prepared.input), opts);
  } catch (error) {
    await prepared.release();
    throw error;
  }
  const block = Buffer.alloc(blockBytes);
  let filled = 0;
  let totalSamples = 0;
  let finished = false;
  try {
    for await (const part of running.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < part.length) {
        const copied = part.copy(block, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === blockBytes) {
          totalSamples += blockSamples;
          yield toFloat32(block);
          filled = 0;
        }
      }
    }
    await running.done;
    if (filled >= BYTES_PER_SAMPLE) {
      totalSamples += Math.floor(filled / BYTES_PER_SAMPLE);
      yield toFloat32(block.subarray(0, filled));
    }
    if (totalSamples === 0) throw new AudioDecodeError('NO_AUDIO', 'decoded no audio samples');
    finished = true;
  } finally {
    if (!finished) running.kill();
    await running.done.catch(() => undefined);
    await prepared.release();
  }
}

/**
 * Duration of a file in seconds from its container header; when the header has none (MediaRecorder webm), the
 * audio is decoded and counted.
 */
export async function probeDurationSec(
  input: string,
  opts: { ffprobePath?: string; ffmpegPath?: string; signal?: AbortSignal } = {},
): Promise<number> {
  const header = await readHeaderDuration(input, opts);
  if (header !== undefined) return header;
  const sampleRate = 8_000; // counting only: a low rate decodes faster
  let samples = 0;
  for await (const block of streamPcm(input, { sampleRate, signal: opts.signal, ffmpegPath: opts.ffmpegPath })) {
    samples += block.length;
  }
  return samples / sampleRate;
}

function readHeaderDuration(
  input: string,
  opts: { ffprobePath?: string; signal?: AbortSignal },
): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const args = [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'default=noprint_wrappers=1:nokey=1',
      input,
    ];
    const child = spawn(opts.ffprobePath ?? 'ffprobe', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEEP_CHARS)));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return reject(new AudioDecodeError('ABORTED', 'probe aborted'));
      reject(
        new AudioDecodeError(
          error.code === 'ENOENT' ? 'FFMPEG_MISSING' : 'INPUT_ERROR',
          `ffprobe failed: ${error.message}`,
          '',
          { cause: error },
        ),
      );
    });
    child.once('close', (code) => {
      if (code !== 0)
        return reject(new AudioDecodeError('UNDECODABLE', `ffprobe exited with ${code}: ${lastLine(stderr)}`, stderr));
      const durationSec = Number.parseFloat(stdout.trim());
      resolve(Number.isFinite(durationSec) && durationSec > 0 ? durationSec : undefined);
    });
  });
}
