import type { SpeechSegment, TimeSpan } from '../types';
import { round3 } from '../vad/speech-segments';

export interface SpeechWindowOptions {
  /** Longest window sent to an engine. Default 28 s (Whisper takes 30 s). */
  maxWindowSec?: number;
  /** Speech segments closer than this share a window. Default 1 s. */
  mergeGapSec?: number;
  /** Audio kept either side of the speech. Default 0.2 s. */
  padSec?: number;
}

/** Groups speech segments into windows an engine can take, with a little context either side. */
export function planSpeechWindows(
  speech: readonly SpeechSegment[],
  durationSec: number,
  options: SpeechWindowOptions = {},
): TimeSpan[] {
  const maxWindowSec = options.maxWindowSec ?? 28;
  const mergeGapSec = options.mergeGapSec ?? 1;
  const padSec = options.padSec ?? 0.2;
  const windows: TimeSpan[] = [];
  for (const segment of [...speech].sort((a, b) => a.startSec - b.startSec)) {
    // A segment longer than the maximum is cut into pieces.
    for (let start = segment.startSec; start < segment.endSec; start += maxWindowSec) {
      const piece = {
        startSec: Math.max(0, start - padSec),
        endSec: Math.min(durationSec, Math.min(segment.endSec, start + maxWindowSec) + padSec),
      };
      const last = windows[windows.length - 1];
      if (last && piece.startSec - last.endSec <= mergeGapSec && piece.endSec - last.startSec <= maxWindowSec)
        last.endSec = piece.endSec;
      else windows.push(piece);
    }
  }
  return windows.map((w) => ({ startSec: round3(w.startSec), endSec: round3(w.endSec) }));
}

export function slicePcm(pcm: Float32Array, span: TimeSpan, sampleRate: number): Float32Array {
  return pcm.subarray(
    Math.max(0, Math.floor(span.startSec * sampleRate)),
    Math.min(pcm.length, Math.ceil(span.endSec * sampleRate)),
  );
}

/** 16-bit PCM WAV bytes of float samples. */
export function encodeWav(pcm: Float32Array, sampleRate: number): Buffer {
  const dataBytes = pcm.length * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < pcm.length; i++)
    wav.writeInt16LE(Math.round(Math.max(-1, Math.min(1, pcm[i]!)) * 32767), 44 + i * 2);
  return wav;
}

/**
 * Joins windows into one signal separated by silence, so a process-per-call engine runs once per chunk, and maps
 * times in the joined signal back to times in the original.
 */
export function joinWindows(
  pcm: Float32Array,
  windows: readonly TimeSpan[],
  sampleRate: number,
  gapSec = 0.5,
): { joined: Float32Array; toOriginalSec: (joinedSec: number) => number } {
  const gapSamples = Math.round(gapSec * sampleRate);
  const pieces = windows.map((w) => slicePcm(pcm, w, sampleRate));
  const total = pieces.reduce((sum, p) => sum + p.length, 0) + gapSamples * Math.max(0, pieces.length - 1);
  const joined = new Float32Array(total);
  const offsets: Array<{ joinedStartSec: number; originalStartSec: number }> = [];
  let at = 0;
  pieces.forEach((piece, i) => {
    offsets.push({
      joinedStartSec: at / sampleRate,
      originalStartSec: Math.floor(windows[i]!.startSec * sampleRate) / sampleRate,
    });
    joined.set(piece, at);
    at += piece.length + gapSamples;
  });
  const toOriginalSec = (joinedSec: number): number => {
    let mapping = offsets[0] ?? { joinedStartSec: 0, originalStartSec: 0 };
    for (const offset of offsets) if (offset.joinedStartSec <= joinedSec + 1e-6) mapping = offset;
    return round3(mapping.originalStartSec + joinedSec - mapping.joinedStartSec);
  };
  return { joined, toOriginalSec };
}

export function joinText(parts: readonly string[]): string {
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ');
}
