import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { signDevelopmentToken } from '@earshot/auth';
import { createS3Storage, type ObjectStorage } from '@earshot/storage';
import { startStack, uniquePrefix } from '@earshot/testing';

const run = promisify(execFile);
const DEMO_DIR = path.resolve(__dirname, '..');
const FIXTURE_DIR = path.join(os.tmpdir(), 'earshot-fixtures');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the demo page into a fresh folder (what `npm run up` serves), so a stale dist/ cannot be tested. */
export async function buildDemo(): Promise<string> {
  const outDir = path.join(os.tmpdir(), uniquePrefix('earshot-demo'));
  await run('npx', ['--no-install', 'vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: DEMO_DIR,
  });
  return outDir;
}

const SENTENCES = [
  'Question one. The mitochondria is the powerhouse of the cell.',
  'Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.',
  'The French revolution began in seventeen eighty nine.',
  'Seven times eight is fifty six, and nine times six is fifty four.',
  'Water boils at one hundred degrees Celsius at sea level.',
  'The capital of Australia is Canberra, not Sydney.',
  'Light travels at about three hundred thousand kilometres per second.',
  'A triangle has three sides and its angles add up to one hundred and eighty degrees.',
  'Shakespeare wrote Hamlet, Macbeth and King Lear.',
  'The human heart has four chambers.',
  'Electrons carry a negative charge.',
  'That is the end of my answer.',
];

/**
 * The fake microphone: espeak-ng sentences with pauses over faint pink noise, 48 kHz mono 16-bit. Nothing in
 * it repeats: the sentences are read twice, but the second time by the other voice, faster and with other
 * pauses, and the noise under them is one continuous take (seeded with `sox -R`, so the file is the same on
 * every machine). A second of any chunk therefore matches one place in the file, which is what the gap
 * measurement relies on. Chromium loops the file; `measureChunkPlacement` allows for that.
 */
export async function makeFakeMicrophoneWav(durationSec = 140): Promise<string> {
  const key = createHash('sha1')
    .update(JSON.stringify({ SENTENCES, durationSec, v: 2 }))
    .digest('hex')
    .slice(0, 12);
  const output = path.join(FIXTURE_DIR, `fake-mic-${key}.wav`);
  if (existsSync(output)) return output;
  const work = path.join(FIXTURE_DIR, `fake-mic-${key}.${process.pid}`);
  mkdirSync(work, { recursive: true });
  const pieces: string[] = [];
  for (const pass of [0, 1]) {
    for (const [index, sentence] of SENTENCES.entries()) {
      const raw = path.join(work, `s${pass}-${index}.raw.wav`);
      const piece = path.join(work, `s${pass}-${index}.wav`);
      const voice = (index + pass) % 2 ? 'en-us' : 'en-gb';
      const pauseSec = pass === 0 ? 2 + (index % 3) : 1.5 + ((index * 7) % 5) * 0.35;
      await run('espeak-ng', ['-v', voice, '-s', pass === 0 ? '150' : '175', '-w', raw, sentence]);
      await run('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', piece, 'pad', '0', String(pauseSec)]);
      pieces.push(piece);
    }
  }
  const speech = path.join(work, 'speech.wav');
  await run('sox', [...pieces, speech]);
  const padded = path.join(work, 'padded.wav');
  await run('sox', [speech, padded, 'pad', '0', String(durationSec), 'trim', '0', String(durationSec)]);
  const noise = path.join(work, 'noise.wav');
  await run('sox', [
    '-R',
    '-n',
    '-r',
    '48000',
    '-c',
    '1',
    '-b',
    '16',
    noise,
    'synth',
    String(durationSec),
    'pinknoise',
    'vol',
    '0.03',
  ]);
  const tmp = path.join(work, 'mic.wav');
  await run('sox', ['-m', padded, noise, '-b', '16', tmp]);
  await run('mv', [tmp, output]);
  rmSync(work, { recursive: true, force: true });
  return output;
}

/** Headless Debian chromium whose microphone plays `wavPath` (flags from ../shared/STACK.md). */
export async function launchChromium(wavPath: string): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no chromium at ${CHROMIUM_PATH}: apt-get install chromium (Debian), or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wavPath}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export interface Platform {
  gatewayUrl: string;
  storage: ObjectStorage;
  secret: string;
  token(userId?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Postgres (own database), S3 (own server), and the four services as processes, the gateway serving `staticDir`. */
export async function startPlatform(staticDir: string): Promise<Platform> {
  const secret = 'browser-e2e-secret';
  const bucket = 'browser-audio';
  const stack = await startStack({
    jwtSecret: secret,
    bucket,
    env: {
      // Transcription (pocketsphinx, ~3 s per 30 s chunk) is not what these tests are about.
      analyzer: { TRANSCRIBER: 'none', PHRASE_SPOTTING: 'false' },
      gateway: { STATIC_DIR: staticDir },
    },
  });
  const storage = createS3Storage({ ...stack.s3, forcePathStyle: true });
  try {
    await storage.ensureBucket();
    const token = (userId = 'candidate-browser') =>
      signDevelopmentToken({ userId, role: 'candidate', orgId: 'org-browser', secret });
    // What `npm run up` does for a newcomer: the page finds a development token next to itself.
    writeFileSync(path.join(staticDir, 'config.json'), JSON.stringify({ token: await token() }));
    return {
      gatewayUrl: stack.url,
      storage,
      secret,
      token,
      stop: async () => {
        storage.close();
        await stack.stop();
      },
    };
  } catch (error) {
    storage.close();
    await stack.stop();
    throw error;
  }
}

/** Duration of a webm/ogg file by decoding its packets (MediaRecorder writes no duration in the header). */
export async function probeDurationSec(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'packet=pts_time,duration_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  let first = Infinity;
  let last = 0;
  for (const line of stdout.trim().split('\n')) {
    const [pts, duration] = line.split(',').map(Number);
    if (pts === undefined || !Number.isFinite(pts)) continue;
    first = Math.min(first, pts);
    last = Math.max(last, pts + (Number.isFinite(duration) ? duration! : 0));
  }
  return last - first;
}

/** Decodes a whole file with ffmpeg; throws on any decoding error. */
export async function decodeAlone(file: string): Promise<void> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
  if (stderr.trim()) throw new Error(`ffmpeg reported: ${stderr.trim()}`);
}

/** Mono float PCM at `rate` Hz. */
export async function decodePcm(file: string, rate: number): Promise<Float32Array> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-ac', '1', '-ar', String(rate), '-f', 'f32le', '-'],
    { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
  );
  const bytes = stdout as unknown as Buffer;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Normalised cross-correlation of `segment` with `source` at `at` (1 = the same waveform up to a gain). */
function correlation(source: Float32Array, at: number, segment: Float32Array): number {
  let dot = 0;
  let sourceEnergy = 0;
  let segmentEnergy = 0;
  for (let i = 0; i < segment.length; i += 1) {
    const value = source[at + i] ?? 0;
    dot += value * segment[i]!;
    sourceEnergy += value * value;
    segmentEnergy += segment[i]! * segment[i]!;
  }
  return sourceEnergy > 0 && segmentEnergy > 0 ? dot / Math.sqrt(sourceEnergy * segmentEnergy) : 0;
}

function envelopeOf(signal: Float32Array, frame: number): Float32Array {
  const out = new Float32Array(Math.floor(signal.length / frame));
  for (let f = 0; f < out.length; f += 1) {
    let sum = 0;
    for (let i = f * frame; i < (f + 1) * frame; i += 1) sum += signal[i]! * signal[i]!;
    out[f] = Math.sqrt(sum / frame);
  }
  return out;
}

function centred(values: Float32Array): Float32Array {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return values.map((value) => value - mean);
}

export interface Located {
  /** Sample offset of the segment in the source. */
  offset: number;
  /** Normalised waveform correlation there (about 0.9 or more for a true match through Opus). */
  score: number;
  /** Best waveform correlation found at least 1 s away from `offset` (a repeat in the source would score high). */
  runnerUpScore: number;
}

/**
 * Where `segment` sits in `source` (samples), searched in [from, to): a coarse search on 10 ms RMS envelopes,
 * then sample-exact normalised cross-correlation around the five best coarse matches. The runner-up (the best
 * match at least 1 s away) says whether the answer is unambiguous.
 */
export function locate(
  source: Float32Array,
  segment: Float32Array,
  rate: number,
  from = 0,
  to = source.length - segment.length,
): Located {
  const frame = Math.round(rate / 100);
  const sourceEnvelope = envelopeOf(source, frame);
  const segmentCentred = centred(envelopeOf(segment, frame));
  const candidates: { frame: number; score: number }[] = [];
  const firstFrame = Math.max(0, Math.floor(from / frame));
  const lastFrame = Math.min(sourceEnvelope.length - segmentCentred.length, Math.ceil(to / frame));
  for (let f = firstFrame; f <= lastFrame; f += 1) {
    const window = centred(sourceEnvelope.subarray(f, f + segmentCentred.length));
    candidates.push({ frame: f, score: correlation(window, 0, segmentCentred) });
  }
  candidates.sort((a, b) => b.score - a.score);
  // The best coarse candidates, one per second of source, so that a repeat elsewhere is also examined.
  const picked: number[] = [];
  for (const candidate of candidates) {
    if (picked.every((f) => Math.abs(f - candidate.frame) >= 100)) picked.push(candidate.frame);
    if (picked.length === 5) break;
  }
  const fine = picked.map((coarse) => {
    let best = { offset: 0, score: -Infinity };
    const lo = Math.max(from, (coarse - 2) * frame);
    const hi = Math.min(to, (coarse + 2) * frame);
    for (let at = lo; at <= hi; at += 1) {
      const score = correlation(source, at, segment);
      if (score > best.score) best = { offset: at, score };
    }
    return best;
  });
  fine.sort((a, b) => b.score - a.score);
  const best = fine[0] ?? { offset: 0, score: -Infinity };
  const runnerUp = fine.find((candidate) => Math.abs(candidate.offset - best.offset) >= rate);
  return { ...best, runnerUpScore: runnerUp?.score ?? -Infinity };
}

/** A located piece of chunk audio that is not a clear, unique match stops the measurement instead of lying. */
function isUnambiguous(found: Located): boolean {
  return found.score >= 0.6 && found.runnerUpScore <= found.score - 0.2;
}

function describe(found: Located): string {
  return `score ${found.score.toFixed(3)}, runner-up ${found.runnerUpScore.toFixed(3)}`;
}

/**
 * Sample-exact search of [from, to] alone (no coarse stage): for pieces whose place is known to within a
 * second, where even a piece of pure background noise is found exactly (the noise never repeats).
 */
function locateNear(source: Float32Array, segment: Float32Array, from: number, to: number): Located {
  let best = { offset: from, score: -Infinity };
  for (let at = Math.max(0, from); at <= Math.min(to, source.length - segment.length); at += 1) {
    const score = correlation(source, at, segment);
    if (score > best.score) best = { offset: at, score };
  }
  // Nothing else within the searched second can be a repeat of it; the score alone decides.
  return { ...best, runnerUpScore: -Infinity };
}

export interface ChunkPlacement {
  /** Where the chunk's audio starts and ends in the microphone file, in seconds (the file may loop). */
  startSec: number;
  endSec: number;
  score: number;
}

export interface GapMeasurement {
  /** Audio lost between consecutive chunks, in ms (negative: recorded in both). */
  gapsMs: number[];
  chunks: ChunkPlacement[];
}

/**
 * Where each chunk sits in the fake microphone's file, and so the audio lost (or doubled) at each boundary,
 * measured on the audio itself. The file has no repeated content, and Chromium loops it, so it is searched as
 * a circle. The first chunk is found anywhere, from the first of its 1 s pieces that matches one place only;
 * every later piece is searched only near where it must be if nothing was lost (first ±0.5 s sample by
 * sample, then ±`searchSec`): the chunks come in order, so the measurement cannot lock onto another place.
 */
export async function measureChunkPlacement(
  sourceWav: string,
  chunkFiles: string[],
  rate = 8_000,
  searchSec = 10,
): Promise<GapMeasurement> {
  const once = await decodePcm(sourceWav, rate);
  const loopSamples = once.length;
  // Two laps cover any 30 s chunk that straddles the loop point.
  const source = new Float32Array(loopSamples * 2);
  source.set(once, 0);
  source.set(once, loopSamples);
  const chunks: ChunkPlacement[] = [];
  const gapsMs: number[] = [];
  let previousEnd: number | undefined; // samples, on the unrolled timeline
  const half = rate * 0.5;
  const window = rate; // 1 s pieces, half a second in from each end (clear of encoder start-up and last frame)
  /** Where pcm[at, at + window) sits, near `expected` (a source offset) or, without it, anywhere. */
  const place = (pcm: Float32Array, at: number, expected: number | undefined, what: string): Located => {
    const piece = pcm.subarray(at, at + window);
    if (expected === undefined) {
      const found = locate(source, piece, rate, 0, loopSamples);
      if (!isUnambiguous(found))
        throw new Error(`${what}: no unambiguous match in the microphone file (${describe(found)})`);
      return found;
    }
    const near = locateNear(source, piece, expected - half, expected + half);
    if (isUnambiguous(near)) return near;
    const wide = locate(source, piece, rate, expected - searchSec * rate, expected + searchSec * rate);
    if (!isUnambiguous(wide))
      throw new Error(`${what}: no unambiguous match within ${searchSec} s of where it belongs (${describe(wide)})`);
    return wide;
  };
  for (const [index, file] of chunkFiles.entries()) {
    const pcm = await decodePcm(file, rate);
    if (pcm.length < window + 2 * half) throw new Error(`${file}: shorter than 2 s, cannot be placed`);
    let start: number;
    if (previousEnd === undefined) {
      // The first chunk: its first eight 1 s pieces are searched in the whole file; the start that most
      // unambiguous pieces agree on (to 2 ms) wins, and must have at least three votes and a clear majority.
      const votes: number[] = [];
      const errors: string[] = [];
      for (let at = half; at + window + half <= pcm.length && at < half + 8 * window; at += window) {
        try {
          votes.push(place(pcm, at, undefined, `chunk ${index} at ${at / rate} s`).offset - at);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      const tolerance = Math.round(rate * 0.002);
      const support = (candidate: number) => votes.filter((vote) => Math.abs(vote - candidate) <= tolerance).length;
      const winner = [...votes].sort((a, b) => support(b) - support(a))[0];
      if (winner === undefined || support(winner) < 3 || support(winner) * 2 <= votes.length)
        throw new Error(
          `chunk ${index}: its pieces do not agree on one place in the microphone file ` +
            `(starts ${votes.map((vote) => (vote / rate).toFixed(3)).join(', ')} s; ${errors.join('; ')})`,
        );
      start = winner;
    } else {
      const expected = (previousEnd % loopSamples) + half;
      start = place(pcm, half, expected, `chunk ${index} head`).offset - half;
    }
    const tailAt = pcm.length - half - window;
    const tail = place(pcm, tailAt, start + tailAt, `chunk ${index} tail`);
    let end = tail.offset + window + half;
    // Unroll onto one timeline: this chunk lies after the previous end (modulo the loop).
    if (previousEnd !== undefined) {
      const lap = Math.round((previousEnd - start) / loopSamples) * loopSamples;
      start += lap;
      end += lap;
      gapsMs.push(((start - previousEnd) / rate) * 1000);
    }
    chunks.push({ startSec: start / rate, endSec: end / rate, score: tail.score });
    previousEnd = end;
  }
  return { gapsMs, chunks };
}

/** Audio lost between consecutive chunks, in ms (negative: recorded in both); see `measureChunkPlacement`. */
export async function measureGapsMs(sourceWav: string, chunkFiles: string[], rate = 8_000): Promise<number[]> {
  return (await measureChunkPlacement(sourceWav, chunkFiles, rate)).gapsMs;
}
