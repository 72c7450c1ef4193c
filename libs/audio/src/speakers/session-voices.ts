import { DEFAULT_SPEAKER_OPTIONS } from './mfcc-bic.speakers';
import { deltaBic, mergeStats } from './gaussian-stats';
import type { VoiceProfile } from './speakers.types';

export interface ChunkVoices {
  chunkIndex: number;
  /** Start of the chunk in the session (seconds). */
  chunkStartSec: number;
  voices: VoiceProfile[];
  /** Turns of the chunk (relative seconds), to time the first appearance of a voice. */
  turns?: Array<{ speaker: number; startSec: number; endSec: number }>;
}

export interface OtherVoice {
  chunkIndex: number;
  speaker: number;
  /** Session time where this voice is first heard in the chunk. */
  startSec: number;
  speechSec: number;
  /** ΔBIC against the candidate's voice (positive: a different voice). */
  distance: number;
}

export interface SessionVoicesOptions {
  /** The candidate's enrolment voice; default: the first voice with `steadySec` of speech. */
  candidate?: VoiceProfile;
  /** Speech a voice needs to be taken as the candidate's. Default 5 s. */
  steadySec?: number;
  /** BIC penalty weight, as in the speaker stage. Default 1.8. */
  penaltyWeight?: number;
  /** Voices with less speech than this are not judged (too little to compare). Default 1.5 s. */
  minVoiceSec?: number;
}

export interface SessionVoices {
  /** The candidate's voice as learnt so far (its statistics grow with every matching chunk). */
  candidate?: VoiceProfile;
  otherVoices: OtherVoice[];
}

/**
 * Finds voices other than the candidate's across a session's chunks. Works on the mfcc-bic statistics; voices
 * without statistics (another engine) are skipped.
 */
export function findOtherVoices(chunks: readonly ChunkVoices[], options: SessionVoicesOptions = {}): SessionVoices {
  const steadySec = options.steadySec ?? 5;
  const penaltyWeight = options.penaltyWeight ?? DEFAULT_SPEAKER_OPTIONS.penaltyWeight;
  const minVoiceSec = options.minVoiceSec ?? 1.5;
  let candidate = options.candidate;
  const otherVoices: OtherVoice[] = [];
  const ordered = [...chunks].sort((a, b) => a.chunkIndex - b.chunkIndex);
  for (const chunk of ordered) {
    for (const voice of chunk.voices) {
      if (!voice.stats || voice.speechSec < minVoiceSec) continue;
      if (!candidate?.stats) {
        if (voice.speechSec >= steadySec) candidate = { ...voice, speaker: 0 };
        continue;
      }
      const distance = deltaBic(candidate.stats, voice.stats, penaltyWeight);
      if (distance > 0) {
        const firstTurn = chunk.turns?.find((turn) => turn.speaker === voice.speaker);
        otherVoices.push({
          chunkIndex: chunk.chunkIndex,
          speaker: voice.speaker,
          startSec: chunk.chunkStartSec + (firstTurn?.startSec ?? 0),
          speechSec: voice.speechSec,
          distance,
        });
      } else if (!options.candidate) {
        candidate = {
          ...candidate,
          speechSec: candidate.speechSec + voice.speechSec,
          stats: mergeStats(candidate.stats, voice.stats),
        };
      }
    }
  }
  return { ...(candidate ? { candidate } : {}), otherVoices };
}
