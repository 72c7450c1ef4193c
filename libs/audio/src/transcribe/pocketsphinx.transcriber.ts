import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { runProcess } from '../util/run-process';
import { withTempDir } from '../util/temp-dir';
import { encodeWav, joinText, joinWindows, planSpeechWindows } from './speech-windows';
import type { Transcriber, Transcript, TranscriptSegment, TranscriptWord } from './transcriber.types';

export interface PocketsphinxOptions {
  /** Default `pocketsphinx_continuous` on PATH (Debian package pocketsphinx). */
  binaryPath?: string;
  /** Acoustic model, language model and dictionary; default: the Debian pocketsphinx-en-us model. */
  hmmPath?: string;
  lmPath?: string;
  dictPath?: string;
  /** Narrower beams: about 2.5 s instead of 3-8 s per 30 s chunk, and clearly worse words. Default false. */
  fast?: boolean;
  /** More arguments passed as they are. */
  extraArgs?: string[];
  timeoutMs?: number;
  tempDir?: string;
}

export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const FAST_ARGS = [
  '-beam',
  '1e-40',
  '-pbeam',
  '1e-35',
  '-wbeam',
  '1e-25',
  '-maxhmmpf',
  '3000',
  '-maxwpf',
  '10',
  '-topn',
  '2',
];
const NON_WORDS = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|\+.*\+)$/i;

export function pocketsphinxModelArgs(opts: Pick<PocketsphinxOptions, 'hmmPath' | 'lmPath' | 'dictPath'>): string[] {
  return [
    '-hmm',
    opts.hmmPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'en-us'),
    '-lm',
    opts.lmPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'en-us.lm.bin'),
    '-dict',
    opts.dictPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'cmudict-en-us.dict'),
  ];
}

/**
 * Parses `pocketsphinx_continuous -time yes` output: each utterance is a hypothesis line followed by one line per
 * word (`word start end probability`). Alternate pronunciations (`word(2)`) and fillers are cleaned.
 */
export function parsePocketsphinxTimes(
  output: string,
  toOriginalSec: (sec: number) => number = (s) => s,
): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  let current: TranscriptWord[] | undefined;
  for (const line of output.split('\n')) {
    const match = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(line.trim());
    if (!match) {
      if (current?.length) segments.push(toSegment(current));
      current = line.trim() ? [] : undefined;
      continue;
    }
    const [, token, start, end, probability] = match as unknown as [string, string, string, string, string];
    if (token === '<s>') current = current ?? [];
    const word = token.replace(/\(\d+\)$/, '');
    if (NON_WORDS.test(word)) continue;
    (current ??= []).push({
      word,
      startSec: toOriginalSec(Number(start)),
      endSec: toOriginalSec(Number(end)),
      confidence: Number(probability),
    });
  }
  if (current?.length) segments.push(toSegment(current));
  return segments;
}

function toSegment(words: TranscriptWord[]): TranscriptSegment {
  return {
    startSec: words[0]!.startSec,
    endSec: words[words.length - 1]!.endSec,
    text: words.map((w) => w.word).join(' '),
    words,
  };
}

export interface PocketsphinxRun {
  binaryPath?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  tempDir?: string;
  /** Extra files written beside the audio: name → content; `args` gets their paths by name. */
  files?: Record<string, string>;
  args: (paths: Record<string, string>) => string[];
}

/** Writes the PCM as a WAV (plus any extra files) to a temporary folder and runs pocketsphinx_continuous on it. */
export async function runPocketsphinx(pcm: Float32Array, sampleRate: number, run: PocketsphinxRun): Promise<string> {
  return withTempDir(async (dir) => {
    const wavPath = path.join(dir, 'speech.wav');
    const paths = Object.fromEntries(Object.keys(run.files ?? {}).map((name) => [name, path.join(dir, name)]));
    await Promise.all([
      writeFile(wavPath, encodeWav(pcm, sampleRate)),
      ...Object.entries(run.files ?? {}).map(([name, content]) => writeFile(paths[name]!, content)),
    ]);
    const args = [
      '-infile',
      wavPath,
      '-time',
      'yes',
      '-logfn',
      '/dev/null',
      '-samprate',
      String(sampleRate),
      ...run.args(paths),
    ];
    return runProcess(run.binaryPath ?? 'pocketsphinx_continuous', args, {
      signal: run.signal,
      timeoutMs: run.timeoutMs,
    });
  }, run.tempDir);
}

/** Offline speech-to-text with Debian's pocketsphinx: no key, no downloaded weights. One process per call. */
export function createPocketsphinxTranscriber(options: PocketsphinxOptions = {}): Transcriber {
  return {
    engine: 'pocketsphinx',
    async transcribe(pcm, speech, opts = {}): Promise<Transcript> {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      const windows = planSpeechWindows(speech, pcm.length / sampleRate);
      if (windows.length === 0) return { engine: 'pocketsphinx', text: '', segments: [] };
      const { joined, toOriginalSec } = joinWindows(pcm, windows, sampleRate);
      const output = await runPocketsphinx(joined, sampleRate, {
        binaryPath: options.binaryPath,
        signal: opts.signal,
        timeoutMs: options.timeoutMs,
        tempDir: options.tempDir,
        args: () => [
          ...pocketsphinxModelArgs(options),
          ...(options.fast ? FAST_ARGS : []),
          ...(options.extraArgs ?? []),
        ],
      });
      const segments = parsePocketsphinxTimes(output, toOriginalSec);
      return { engine: 'pocketsphinx', text: joinText(segments.map((s) => s.text)), segments };
    },
    async close() {},
  };
}
