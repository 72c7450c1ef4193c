import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { runProcess } from '../util/run-process';
import { withTempDir } from '../util/temp-dir';
import { encodeWav, joinText, joinWindows, planSpeechWindows } from './speech-windows';
import type { Transcriber, Transcript, TranscriptSegment } from './transcriber.types';

export interface WhisperCppOptions {
  /** whisper.cpp command line binary (`whisper-cli`, formerly `main`). */
  binaryPath: string;
  /** ggml model file, e.g. ggml-base.en.bin. */
  modelPath: string;
  language?: string;
  threads?: number;
  timeoutMs?: number;
  tempDir?: string;
}

interface WhisperCppJson {
  transcription?: Array<{ offsets: { from: number; to: number }; text: string }>;
}

/** Parses whisper.cpp `-oj` output (offsets in milliseconds). */
export function parseWhisperCppJson(
  json: string,
  toOriginalSec: (sec: number) => number = (s) => s,
): TranscriptSegment[] {
  const parsed = JSON.parse(json) as WhisperCppJson;
  return (parsed.transcription ?? [])
    .map((item) => ({
      startSec: toOriginalSec(item.offsets.from / 1000),
      endSec: toOriginalSec(item.offsets.to / 1000),
      text: item.text.trim(),
    }))
    .filter((segment) => segment.text && !/^\[.*\]$/.test(segment.text)); // [BLANK_AUDIO] and the like
}

/** whisper.cpp through its CLI, given a binary and a model file. One process per chunk, speech windows only. */
export function createWhisperCppTranscriber(options: WhisperCppOptions): Transcriber {
  return {
    engine: 'whisper-cpp',
    async transcribe(pcm, speech, opts = {}): Promise<Transcript> {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      const windows = planSpeechWindows(speech, pcm.length / sampleRate);
      if (windows.length === 0) return { engine: 'whisper-cpp', text: '', segments: [] };
      const { joined, toOriginalSec } = joinWindows(pcm, windows, sampleRate, 1);
      const json = await withTempDir(async (dir) => {
        const wavPath = path.join(dir, 'speech.wav');
        const outBase = path.join(dir, 'out');
        await writeFile(wavPath, encodeWav(joined, sampleRate));
        const args = [
          '-m',
          options.modelPath,
          '-f',
          wavPath,
          '-oj',
          '-of',
          outBase,
          '-np',
          '-l',
          options.language ?? 'en',
          '-t',
          String(options.threads ?? 1),
        ];
        await runProcess(options.binaryPath, args, { signal: opts.signal, timeoutMs: options.timeoutMs });
        return readFile(`${outBase}.json`, 'utf8');
      }, options.tempDir);
      const segments = parseWhisperCppJson(json, toOriginalSec);
      return { engine: 'whisper-cpp', text: joinText(segments.map((s) => s.text)), segments };
    },
    async close() {},
  };
}
