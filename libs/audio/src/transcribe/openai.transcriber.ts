import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { round3 } from '../vad/speech-segments';
import { encodeWav, joinText, planSpeechWindows, slicePcm } from './speech-windows';
import type { Transcriber, Transcript, TranscriptSegment } from './transcriber.types';

export interface OpenAiTranscriberOptions {
  /** API key (any string for a self-hosted server that ignores it). Required: the library never reads env. */
  apiKey: string;
  /** OpenAI-compatible base URL, e.g. `http://whisper.internal:8000/v1`. Default https://api.openai.com/v1. */
  baseURL?: string;
  /** Default `whisper-1`. */
  model?: string;
  /** ISO-639-1 language hint, e.g. `en`. */
  language?: string;
  /** Text that biases spelling (e.g. wake phrases, course names). */
  prompt?: string;
  /** Azure OpenAI instead of baseURL: endpoint, deployment and API version. */
  azure?: { endpoint: string; deployment: string; apiVersion: string };
  /** Ask for word timestamps (verbose_json). Servers that do not support them still return segments. Default true. */
  wordTimestamps?: boolean;
  timeoutMs?: number;
  /** SDK retries on 429/5xx. Default 2. */
  maxRetries?: number;
}

interface VerboseResponse {
  text?: string;
  segments?: Array<{ start: number; end: number; text: string }>;
  words?: Array<{ word: string; start: number; end: number }>;
}

/** Transcription through the OpenAI audio API or any compatible server (self-hosted Whisper, Azure OpenAI). */
export function createOpenAiTranscriber(options: OpenAiTranscriberOptions): Transcriber {
  const common = { apiKey: options.apiKey, timeout: options.timeoutMs ?? 120_000, maxRetries: options.maxRetries ?? 2 };
  const client = options.azure
    ? new AzureOpenAI({
        ...common,
        endpoint: options.azure.endpoint,
        deployment: options.azure.deployment,
        apiVersion: options.azure.apiVersion,
      })
    : new OpenAI({ ...common, baseURL: options.baseURL ?? 'https://api.openai.com/v1' });
  const model = options.model ?? 'whisper-1';

  return {
    engine: 'openai',
    async transcribe(pcm, speech, opts = {}): Promise<Transcript> {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      const windows = planSpeechWindows(speech, pcm.length / sampleRate);
      const segments: TranscriptSegment[] = [];
      for (const window of windows) {
        const file = await toFile(encodeWav(slicePcm(pcm, window, sampleRate), sampleRate), 'speech.wav', {
          type: 'audio/wav',
        });
        const response = (await client.audio.transcriptions.create(
          {
            file,
            model,
            response_format: 'verbose_json',
            ...(options.wordTimestamps === false
              ? {}
              : { timestamp_granularities: ['word', 'segment'] as Array<'word' | 'segment'> }),
            ...(options.language ? { language: options.language } : {}),
            ...(options.prompt ? { prompt: options.prompt } : {}),
            temperature: 0,
          },
          { signal: opts.signal },
        )) as unknown as VerboseResponse;
        const offset = window.startSec;
        const words = (response.words ?? []).map((w) => ({
          word: w.word.trim(),
          startSec: round3(offset + w.start),
          endSec: round3(offset + w.end),
        }));
        const parts = response.segments?.length
          ? response.segments.map((s) => ({
              startSec: round3(offset + s.start),
              endSec: round3(offset + s.end),
              text: s.text.trim(),
            }))
          : [{ startSec: window.startSec, endSec: window.endSec, text: (response.text ?? '').trim() }];
        for (const part of parts) {
          if (!part.text) continue;
          const inside = words.filter((w) => w.startSec >= part.startSec - 0.05 && w.startSec < part.endSec);
          segments.push({ ...part, ...(inside.length ? { words: inside } : {}) });
        }
      }
      return { engine: 'openai', text: joinText(segments.map((s) => s.text)), segments };
    },
    async close() {},
  };
}
