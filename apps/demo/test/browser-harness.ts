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
 * The fake microphone: espeak-ng sentences with pauses over faint pink noise (so every instant of the file is
 * unique and a chunk can be located in it), 48 kHz mono 16-bit, longer than any recording so it never loops.
 */
export async function makeFakeMicrophoneWav(durationSec = 140): Promise<string> {
  const key = createHash('sha1')
    .update(JSON.stringify({ SENTENCES, durationSec, v: 1 }))
    .digest('hex')
    .slice(0, 12);
  const output = path.join(FIXTURE_DIR, `fake-mic-${key}.wav`);
  if (existsSync(output)) return output;
  const work = path.join(FIXTURE_DIR, `fake-mic-${key}.${process.pid}`);
  mkdirSync(work, { recursive: true });
  const pieces: string[] = [];
  for (const [index, sentence] of SENTENCES.entries()) {
    const raw = path.join(work, `s${index}.raw.wav`);
    const piece = path.join(work, `s${index}.wav`);
    await run('espeak-ng', ['-v', index % 2 ? 'en-us' : 'en-gb', '-s', '150', '-w', raw, sentence]);
    await run('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', piece, 'pad', '0', String(2 + (index % 3))]);
    pieces.push(piece);
  }
  const speech = path.join(work, 'speech.wav');
  await run('sox', [...pieces, ...pieces, speech]);
  const padded = path.join(work, 'padded.wav');
  await run('sox', [speech, padded, 'pad', '0', String(durationSec), 'trim', '0', String(durationSec)]);
  const noise = path.join(work, 'noise.wav');
  await run('sox', [
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

function correlation(source: Float32Array, at: number, segment: Float32Array): number {
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < segment.length; i += 1) {
    const value = source[at + i] ?? 0;
    dot += value * segment[i]!;
    energy += value * value;
  }
  return energy > 0 ? dot / Math.sqrt(energy) : 0;
}

/**
 * Where `segment` sits in `source`, in samples: a coarse search on 10 ms RMS envelopes, then sample-exact
 * cross-correlation around the best coarse match. Used to measure the audio lost (or doubled) between chunks.
 */
export function locate(source: Float32Array, segment: Float32Array, rate: number): { offset: number; score: number } {
  const frame = Math.round(rate / 100);
  const envelope = (signal: Float32Array) => {
    const out = new Float32Array(Math.floor(signal.length / frame));
    for (let f = 0; f < out.length; f += 1) {
      let sum = 0;
      for (let i = f * frame; i < (f + 1) * frame; i += 1) sum += signal[i]! * signal[i]!;
      out[f] = Math.sqrt(sum / frame);
    }
    return out;
  };
  const sourceEnvelope = envelope(source);
  const segmentEnvelope = envelope(segment);
  const mean = (values: Float32Array) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const centre = (values: Float32Array) => {
    const m = mean(values);
    return values.map((value) => value - m);
  };
  const segmentCentred = centre(segmentEnvelope);
  const candidates: { frame: number; score: number }[] = [];
  for (let f = 0; f + segmentEnvelope.length <= sourceEnvelope.length; f += 1) {
    const window = centre(sourceEnvelope.subarray(f, f + segmentEnvelope.length));
    candidates.push({ frame: f, score: correlation(window, 0, segmentCentred) });
  }
  candidates.sort((a, b) => b.score - a.score);
  let best = { offset: 0, score: -Infinity };
  for (const candidate of candidates.slice(0, 3)) {
    const from = Math.max(0, (candidate.frame - 2) * frame);
    const to = Math.min(source.length - segment.length, (candidate.frame + 2) * frame);
    for (let at = from; at <= to; at += 1) {
      const score = correlation(source, at, segment);
      if (score > best.score) best = { offset: at, score };
    }
  }
  return best;
}

/**
 * Audio lost between consecutive chunks, in ms (negative: recorded in both), measured on the audio itself: where
 * each chunk's first and last second sit in the microphone's source file.
 */
export async function measureGapsMs(sourceWav: string, chunkFiles: string[], rate = 8_000): Promise<number[]> {
  const source = await decodePcm(sourceWav, rate);
  const gapsMs: number[] = [];
  let previousEnd: number | undefined;
  for (const file of chunkFiles) {
    const pcm = await decodePcm(file, rate);
    // Half a second in from each end, clear of encoder start-up and the final frame.
    const head = locate(source, pcm.subarray(rate * 0.5, rate * 1.5), rate);
    const tail = locate(source, pcm.subarray(pcm.length - rate * 1.5, pcm.length - rate * 0.5), rate);
    const start = head.offset - rate * 0.5;
    if (previousEnd !== undefined) gapsMs.push(((start - previousEnd) / rate) * 1000);
    previousEnd = tail.offset + rate * 1.5;
  }
  return gapsMs;
}
