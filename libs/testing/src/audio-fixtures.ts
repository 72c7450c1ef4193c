import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE_DIR = path.join(os.tmpdir(), 'earshot-fixtures');

export interface SpeechChunkOptions {
  /** What espeak-ng says, starting at `speechStartSec`. */
  text: string;
  /** Total length of the chunk; silence fills the rest. Default 30. */
  durationSec?: number;
  speechStartSec?: number;
  voice?: string;
  /** Opus bitrate, as the browser recorder uses. Default 64k. */
  bitrate?: string;
  /** Constant bitrate: the file has the size a browser's 30 s chunk has, whatever the content. Default false. */
  constantBitrate?: boolean;
}

/**
 * A real webm/opus chunk (what MediaRecorder produces) with known speech: espeak-ng speech placed at a known
 * offset in silence, encoded by ffmpeg. Cached on disk by its options. Needs Debian's espeak-ng and ffmpeg.
 */
export async function makeSpeechChunk(options: SpeechChunkOptions): Promise<{ path: string; bytes: Buffer }> {
  const durationSec = options.durationSec ?? 30;
  const speechStartSec = options.speechStartSec ?? 1;
  const key = createHash('sha1').update(JSON.stringify({ ...options, durationSec, speechStartSec })).digest('hex').slice(0, 16);
  mkdirSync(CACHE_DIR, { recursive: true });
  const output = path.join(CACHE_DIR, `${key}.webm`);
  if (!existsSync(output)) {
    const speech = path.join(CACHE_DIR, `${key}.speech.wav`);
    await run('espeak-ng', ['-v', options.voice ?? 'en-us', '-s', '150', '-w', speech, options.text]).catch((error: Error) => {
      throw new Error(`espeak-ng failed (${error.message}); install Debian's espeak-ng`);
    });
    const tmp = `${output}.${process.pid}.tmp.webm`;
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-t', String(durationSec), '-i', 'anullsrc=r=48000:cl=mono',
      '-i', speech,
      '-filter_complex', `[1:a]aresample=48000,adelay=${Math.round(speechStartSec * 1000)}[s];[0:a][s]amix=inputs=2:duration=first:normalize=0[out]`,
      '-map', '[out]', '-ac', '1', '-c:a', 'libopus', '-b:a', options.bitrate ?? '64k', ...(options.constantBitrate ? ['-vbr', 'off'] : []), '-f', 'webm', tmp,
    ]);
    await run('mv', [tmp, output]);
  }
  return { path: output, bytes: readFileSync(output) };
}

/** Containers the exam page's browsers record in; `mp4` keeps ffmpeg's default layout, the index (moov) last. */
export type ChunkContainer = 'webm' | 'ogg' | 'wav' | 'mp4' | 'mp4-faststart' | 'mp4-fragmented';

const CONTAINER_ARGS: Record<Exclude<ChunkContainer, 'webm'>, { ext: string; args: string[] }> = {
  ogg: { ext: 'ogg', args: ['-c:a', 'copy', '-f', 'ogg'] },
  wav: { ext: 'wav', args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  mp4: { ext: 'mp4', args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'mp4'] },
  'mp4-faststart': { ext: 'mp4', args: ['-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', '-f', 'mp4'] },
  // What Safari's MediaRecorder writes: an empty index up front, then fragments.
  'mp4-fragmented': { ext: 'mp4', args: ['-c:a', 'aac', '-b:a', '64k', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'] },
};

/** The same speech chunk in another container (ffmpeg remux or encode of `makeSpeechChunk`'s webm). Cached. */
export async function makeSpeechChunkIn(container: ChunkContainer, options: SpeechChunkOptions): Promise<{ path: string; bytes: Buffer }> {
  const webm = await makeSpeechChunk(options);
  if (container === 'webm') return webm;
  const { ext, args } = CONTAINER_ARGS[container];
  const output = webm.path.replace(/\.webm$/, `.${container}.${ext}`);
  if (!existsSync(output)) {
    const tmp = `${output}.${process.pid}.tmp`;
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', webm.path, ...args, tmp]);
    await run('mv', [tmp, output]);
  }
  return { path: output, bytes: readFileSync(output) };
}

export const sha256Hex = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
