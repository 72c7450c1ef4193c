import type { PhraseHit } from '../phrases/phrases.types';
import type { OtherVoice } from '../speakers/session-voices';
import type { SpeakerTurn } from '../speakers/speakers.types';
import type { SpeechSegment } from '../types';
import { mergeSegments, round3 } from '../vad/speech-segments';
import type { LevelSummary } from './levels';

export type FlagType =
  | 'more_than_one_voice'
  | 'new_voice'
  | 'wake_phrase'
  | 'watch_phrase'
  | 'sustained_talking'
  | 'low_level_speech'
  | 'loud_non_speech'
  | 'silent_microphone'
  | 'duration_mismatch';

export interface Flag {
  type: FlagType;
  /** Seconds from the start of the analysed input (chunk or file). */
  start: number;
  end: number;
  /** 0..1: the flag's weight times how sure the evidence is. */
  severity: number;
  /** Human-readable reason with the figures behind it. */
  evidence: string;
}

/** Weights (maximum severity per flag type) and thresholds. Every field has a documented default. */
export interface ScoreOptions {
  weights?: Partial<Record<FlagType, number>>;
  /** Speech bridged over pauses shorter than this counts as one stretch of talking. Default 2 s. */
  talkingGapSec?: number;
  /** A stretch of talking at least this long is flagged. Default 10 s. */
  sustainedTalkingSec?: number;
  /** Speech quieter than this (dBFS) is low-level, e.g. whispering. Default -42 dBFS. */
  lowSpeechDbfs?: number;
  /** Low-level speech shorter than this is ignored. Default 1 s. */
  minLowSpeechSec?: number;
  /** Speech with fewer voiced windows than this share is whisper-like (unvoiced). Default 0.1. */
  whisperVoicedRatio?: number;
  /** Loud non-speech shorter than this is ignored. Default 0.1 s. */
  minLoudSec?: number;
  /** A chunk whose RMS is below this is a silent or missing microphone. Default -75 dBFS. */
  silentDbfs?: number;
  /**
   * Severity multiplier for phrases heard only by pocketsphinx keyword spotting (neither the transcript nor the
   * speech-embedding spotter agrees): it fires on some near misses and real conversation. Default 0.5.
   */
  spotterOnlyFactor?: number;
  /**
   * A chunk whose decoded audio is longer or shorter than its declared duration (the upload's `duration`) by
   * more than this is flagged: the recorder does not make such chunks, an edited or forged upload does. Default 3 s.
   */
  durationToleranceSec?: number;
}

export const DEFAULT_WEIGHTS: Record<FlagType, number> = {
  more_than_one_voice: 0.7,
  new_voice: 0.8,
  wake_phrase: 0.9,
  watch_phrase: 0.6,
  sustained_talking: 0.4,
  low_level_speech: 0.3,
  loud_non_speech: 0.2,
  silent_microphone: 0.5,
  duration_mismatch: 0.6,
};

export const DEFAULT_SCORE_OPTIONS: Required<Omit<ScoreOptions, 'weights'>> = {
  talkingGapSec: 2,
  sustainedTalkingSec: 10,
  lowSpeechDbfs: -42,
  minLowSpeechSec: 1,
  whisperVoicedRatio: 0.1,
  minLoudSec: 0.1,
  silentDbfs: -75,
  spotterOnlyFactor: 0.5,
  durationToleranceSec: 3,
};

/** Everything the score stage needs, as produced by the earlier stages (all JSON-safe). */
export interface ScoreInput {
  durationSec: number;
  /** What the upload said the chunk lasts; absent when it said nothing. */
  declaredDurationSec?: number;
  speechSegments: SpeechSegment[];
  levels: LevelSummary;
  speakers?: { speakerCount: number; confidence: number; turns: SpeakerTurn[]; segmentVoicedRatios?: number[] };
  phrases?: PhraseHit[];
  /** Voices other than the candidate's found in this chunk by the session stage (times relative to the chunk). */
  otherVoices?: OtherVoice[];
}

export interface ChunkScore {
  /** suspicious_activity_score, 0..1. */
  score: number;
  flags: Flag[];
}

/**
 * Flags and a 0..1 score for one chunk. The score is a noisy-OR of the flag severities: independent pieces of
 * evidence add up, no single weak one dominates, and the result stays below 1.
 */
export function scoreChunk(input: ScoreInput, options: ScoreOptions = {}): ChunkScore {
  const weights = { ...DEFAULT_WEIGHTS, ...(options.weights ?? {}) };
  const opts = { ...DEFAULT_SCORE_OPTIONS, ...options };
  const flags: Flag[] = [];
  const add = (type: FlagType, start: number, end: number, strength: number, evidence: string): void => {
    const severity = round3(weights[type] * Math.max(0, Math.min(1, strength)));
    if (severity > 0) flags.push({ type, start: round3(start), end: round3(end), severity, evidence });
  };

  if (input.levels.rmsDbfs < opts.silentDbfs) {
    add(
      'silent_microphone',
      0,
      input.durationSec,
      1,
      `chunk level ${input.levels.rmsDbfs} dBFS is below ${opts.silentDbfs} dBFS`,
    );
  }

  if (input.declaredDurationSec !== undefined) {
    const offSec = Math.abs(input.durationSec - input.declaredDurationSec);
    if (offSec > opts.durationToleranceSec) {
      add(
        'duration_mismatch',
        0,
        input.durationSec,
        1,
        `decoded audio lasts ${round3(input.durationSec)} s but the upload declared ${round3(input.declaredDurationSec)} s ` +
          `(off by ${round3(offSec)} s, tolerance ${opts.durationToleranceSec} s)`,
      );
    }
  }

  const speakers = input.speakers;
  if (speakers && speakers.speakerCount > 1) {
    const others = speakers.turns.filter((turn) => turn.speaker > 0);
    const start = others.length ? Math.min(...others.map((t) => t.startSec)) : 0;
    const end = others.length ? Math.max(...others.map((t) => t.endSec)) : input.durationSec;
    add(
      'more_than_one_voice',
      start,
      end,
      speakers.confidence,
      `${speakers.speakerCount} voices (confidence ${speakers.confidence})`,
    );
  }

  for (const other of input.otherVoices ?? []) {
    add(
      'new_voice',
      other.startSec,
      other.startSec + other.speechSec,
      1,
      `${other.firstAppearance ? 'a new voice' : 'a voice heard before'} unlike the candidate's (voice #${other.voiceId}), ${other.speechSec} s of speech (distance ${Math.round(other.distance * 100) / 100})`,
    );
  }

  for (const hit of input.phrases ?? []) {
    const spotterOnly = !hit.sources.includes('transcript') && !hit.sources.includes('speech-embedding');
    const strength = spotterOnly ? opts.spotterOnlyFactor : 1;
    add(
      hit.kind === 'wake' ? 'wake_phrase' : 'watch_phrase',
      hit.startSec,
      hit.endSec,
      strength,
      `"${hit.phrase}" heard as "${hit.heard}" (${hit.sources.join(' + ')})`,
    );
  }

  for (const stretch of mergeSegments(input.speechSegments, opts.talkingGapSec)) {
    const lengthSec = stretch.endSec - stretch.startSec;
    if (lengthSec >= opts.sustainedTalkingSec) {
      add(
        'sustained_talking',
        stretch.startSec,
        stretch.endSec,
        Math.min(1, lengthSec / (2 * opts.sustainedTalkingSec)),
        `${round3(lengthSec)} s of talking`,
      );
    }
  }

  input.speechSegments.forEach((segment, i) => {
    const level = input.levels.speechLevelsDbfs[i];
    const voiced = input.speakers?.segmentVoicedRatios?.[i];
    const lengthSec = segment.endSec - segment.startSec;
    if (lengthSec < opts.minLowSpeechSec) return;
    if (level !== undefined && level < opts.lowSpeechDbfs) {
      const strength = Math.min(1, (opts.lowSpeechDbfs - level) / 10 + 0.5);
      add(
        'low_level_speech',
        segment.startSec,
        segment.endSec,
        strength,
        `speech at ${level} dBFS (below ${opts.lowSpeechDbfs} dBFS)`,
      );
    } else if (voiced !== undefined && voiced < opts.whisperVoicedRatio) {
      add(
        'low_level_speech',
        segment.startSec,
        segment.endSec,
        0.8,
        `whisper-like speech: ${Math.round(voiced * 100)} % of it voiced`,
      );
    }
  });

  for (const loud of input.levels.loudNonSpeech) {
    if (loud.endSec - loud.startSec >= opts.minLoudSec) {
      add(
        'loud_non_speech',
        loud.startSec,
        loud.endSec,
        Math.min(1, 0.5 + (loud.peakDbfs + 20) / 20),
        `non-speech sound peaking at ${loud.peakDbfs} dBFS`,
      );
    }
  }

  flags.sort((a, b) => a.start - b.start);
  return { score: combineSeverities(flags), flags };
}

/** Noisy-OR of flag severities: 1 - Π(1 - severity). */
export function combineSeverities(flags: ReadonlyArray<Pick<Flag, 'severity'>>): number {
  return round3(1 - flags.reduce((keep, flag) => keep * (1 - flag.severity), 1));
}

export interface SessionChunkScore extends ChunkScore {
  chunkIndex: number;
  chunkStartSec: number;
}

export interface SessionSummaryOptions {
  /** A session at or above this priority is flagged for review. Default 0.5. */
  flagThreshold?: number;
  /** How much repeated suspicious chunks add up (0: only the worst chunk counts, 1: noisy-OR). Default 0.5. */
  accumulation?: number;
}

export interface SessionSummary {
  priorityScore: number;
  flagged: boolean;
  /** Every flag with session times, in order. */
  timeline: Array<Flag & { chunkIndex: number }>;
  chunkCount: number;
  flagCounts: Partial<Record<FlagType, number>>;
}

/** Session priority: the worst chunk, raised by repeated suspicious chunks. */
export function summarizeSession(
  chunks: readonly SessionChunkScore[],
  options: SessionSummaryOptions = {},
): SessionSummary {
  const flagThreshold = options.flagThreshold ?? 0.5;
  const accumulation = options.accumulation ?? 0.5;
  const worst = chunks.reduce((max, c) => Math.max(max, c.score), 0);
  const combined = 1 - chunks.reduce((keep, c) => keep * (1 - c.score) ** accumulation, 1);
  const priorityScore = round3(Math.max(worst, combined));
  const timeline = chunks
    .flatMap((chunk) =>
      chunk.flags.map((flag) => ({
        ...flag,
        chunkIndex: chunk.chunkIndex,
        start: round3(chunk.chunkStartSec + flag.start),
        end: round3(chunk.chunkStartSec + flag.end),
      })),
    )
    .sort((a, b) => a.start - b.start);
  const flagCounts: Partial<Record<FlagType, number>> = {};
  for (const flag of timeline) flagCounts[flag.type] = (flagCounts[flag.type] ?? 0) + 1;
  return { priorityScore, flagged: priorityScore >= flagThreshold, timeline, chunkCount: chunks.length, flagCounts };
}
