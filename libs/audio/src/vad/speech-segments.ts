import type { SpeechSegment } from '../types';

export interface SegmentationOptions {
  /** Probability at or above which a frame starts or continues speech. Default 0.5. */
  threshold?: number;
  /** Probability below which a frame counts as silence (hysteresis). Default max(threshold - 0.15, 0.01). */
  negThreshold?: number;
  /** Speech shorter than this is dropped. Default 250 ms. */
  minSpeechMs?: number;
  /** A pause must last this long to end a segment. Default 100 ms. */
  minSilenceMs?: number;
  /** Padding added on each side of a segment (halved between close neighbours). Default 30 ms. */
  speechPadMs?: number;
}

export const DEFAULT_SEGMENTATION: Required<Omit<SegmentationOptions, 'negThreshold'>> = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 100,
  speechPadMs: 30,
};

interface SampleSpan {
  start: number;
  end: number;
}

/**
 * Turns per-frame speech probabilities into speech segments: a port of Silero's `get_speech_timestamps`
 * (hysteresis, minimum speech and silence, padding), shared by every VAD engine.
 */
export function segmentSpeech(
  probabilities: ArrayLike<number>,
  frameSamples: number,
  totalSamples: number,
  sampleRate: number,
  options: SegmentationOptions = {},
): SpeechSegment[] {
  const threshold = options.threshold ?? DEFAULT_SEGMENTATION.threshold;
  const negThreshold = options.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  const minSpeechSamples = (sampleRate * (options.minSpeechMs ?? DEFAULT_SEGMENTATION.minSpeechMs)) / 1000;
  const minSilenceSamples = (sampleRate * (options.minSilenceMs ?? DEFAULT_SEGMENTATION.minSilenceMs)) / 1000;
  const padSamples = Math.round((sampleRate * (options.speechPadMs ?? DEFAULT_SEGMENTATION.speechPadMs)) / 1000);

  const spans: SampleSpan[] = [];
  let triggered = false;
  let start = 0;
  let tempEnd = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const probability = probabilities[i] ?? 0;
    const sample = i * frameSamples;
    if (probability >= threshold && tempEnd) tempEnd = 0;
    if (probability >= threshold && !triggered) {
      triggered = true;
      start = sample;
      continue;
    }
    if (probability < negThreshold && triggered) {
      if (!tempEnd) tempEnd = sample;
      if (sample - tempEnd < minSilenceSamples) continue;
      if (tempEnd - start > minSpeechSamples) spans.push({ start, end: tempEnd });
      tempEnd = 0;
      triggered = false;
    }
  }
  if (triggered && totalSamples - start > minSpeechSamples) spans.push({ start, end: totalSamples });

  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (i === 0) span.start = Math.max(0, span.start - padSamples);
    const next = spans[i + 1];
    if (next) {
      const silence = next.start - span.end;
      if (silence < 2 * padSamples) {
        span.end += Math.floor(silence / 2);
        next.start = Math.max(0, next.start - Math.floor(silence / 2));
      } else {
        span.end = Math.min(totalSamples, span.end + padSamples);
        next.start = Math.max(0, next.start - padSamples);
      }
    } else {
      span.end = Math.min(totalSamples, span.end + padSamples);
    }
  }
  return spans.map((span) => ({ startSec: round3(span.start / sampleRate), endSec: round3(span.end / sampleRate) }));
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Seconds of speech divided by the duration (0 for an empty input). */
export function voiceActivityRatio(segments: readonly SpeechSegment[], durationSec: number): number {
  if (durationSec <= 0) return 0;
  const speechSec = segments.reduce((sum, segment) => sum + (segment.endSec - segment.startSec), 0);
  return round3(Math.min(1, speechSec / durationSec));
}

/** Shifts segments by an offset and merges those closer than `mergeGapSec` (joins blocks of a long input). */
export function mergeSegments(segments: readonly SpeechSegment[], mergeGapSec = 0): SpeechSegment[] {
  const sorted = [...segments].sort((a, b) => a.startSec - b.startSec);
  const merged: SpeechSegment[] = [];
  for (const segment of sorted) {
    const last = merged[merged.length - 1];
    if (last && segment.startSec - last.endSec <= mergeGapSec) last.endSec = Math.max(last.endSec, segment.endSec);
    else merged.push({ ...segment });
  }
  return merged;
}

/** Segments and voice activity ratio from frame probabilities: the common end of every VAD engine. */
export function speechFromProbabilities(
  probabilities: ArrayLike<number>,
  frameSamples: number,
  totalSamples: number,
  sampleRate: number,
  options: SegmentationOptions = {},
): { segments: SpeechSegment[]; voiceActivityRatio: number } {
  const segments = segmentSpeech(probabilities, frameSamples, totalSamples, sampleRate, options);
  return { segments, voiceActivityRatio: voiceActivityRatio(segments, totalSamples / sampleRate) };
}
