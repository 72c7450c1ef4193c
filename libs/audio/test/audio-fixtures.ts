import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Test audio made at test time with espeak-ng, sox and ffmpeg (Debian packages), so ground truth is known. */
export interface FixtureDir {
  dir: string;
  file(name: string): string;
  remove(): void;
}

export function createFixtureDir(): FixtureDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'earshot-audio-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Speaks `text` to a 16 kHz mono WAV. `voice` is an espeak-ng voice such as en-us, en+f3, en-gb+m3. */
export function speak(
  out: string,
  text: string,
  opts: { voice?: string; speedWpm?: number; pitch?: number } = {},
): string {
  const raw = `${out}.raw.wav`;
  execFileSync('espeak-ng', [
    '-v',
    opts.voice ?? 'en-us',
    '-s',
    String(opts.speedWpm ?? 160),
    '-p',
    String(opts.pitch ?? 50),
    '-w',
    raw,
    text,
  ]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
  rmSync(raw);
  return out;
}

/** Silence of a given length as a 16 kHz mono WAV. */
export function silence(out: string, durationSec: number): string {
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', out, 'trim', '0', String(durationSec)]);
  return out;
}

/** Coloured noise ('white' | 'pink' | 'brown') at a linear amplitude, as a 16 kHz mono WAV. */
export function noise(out: string, durationSec: number, color: 'white' | 'pink' | 'brown', amplitude = 0.1): string {
  // -R: the same noise on every run, so figures measured on it repeat.
  execFileSync('sox', [
    '-R',
    '-n',
    '-r',
    '16000',
    '-c',
    '1',
    '-b',
    '16',
    out,
    'synth',
    String(durationSec),
    `${color}noise`,
    'vol',
    String(amplitude),
  ]);
  return out;
}

/** One keyboard click: 12 ms of white noise with a fast decay, as a 16 kHz mono WAV. */
export function keyClick(out: string, amplitude: number): string {
  execFileSync('sox', [
    ...['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', out],
    ...['synth', '0.012', 'whitenoise', 'fade', '0', '0.012', '0.01', 'vol', String(amplitude)],
  ]);
  return out;
}

/** Any WAV as 16 kHz mono 16-bit with its leading and trailing silence trimmed (known speech times), then `effects`. */
export function trimmedSpeech(raw: string, out: string, effects: string[] = []): string {
  const trimEdge = ['silence', '1', '0.02', '0.5%', 'reverse'];
  execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, ...trimEdge, ...trimEdge, ...effects], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

/** Concatenates WAVs end to end. */
export function concat(out: string, inputs: string[]): string {
  execFileSync('sox', [...inputs, out]);
  return out;
}

/** Mixes WAVs on top of each other (sox -m). */
export function mix(out: string, inputs: string[]): string {
  execFileSync('sox', ['-m', ...inputs, out]);
  return out;
}

/** Duration of a WAV in seconds (sox). */
export function durationOf(file: string): number {
  return Number.parseFloat(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }).trim());
}

/** Re-encodes to another container/codec with ffmpeg, e.g. `['-c:a', 'libopus']` to a .webm. */
export function encode(input: string, out: string, codecArgs: string[]): string {
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', input, ...codecArgs, out]);
  return out;
}
