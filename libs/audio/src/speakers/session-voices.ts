import { cosineSimilarity } from './cosine-similarity';
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
  /** Against the candidate's voice, positive when different: ΔBIC (statistics) or threshold − cosine similarity. */
  distance: number;
  /** Other voices that match each other across chunks share an id (1, 2, ...): the number of distinct voices. */
  voiceId: number;
  /** True the first time this voice id is heard in the session. */
  firstAppearance: boolean;
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
  /** For embeddings (sherpa-onnx): cosine similarity below this is another voice. Default 0.5. */
  similarityThreshold?: number;
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
/** Distance of a voice from the candidate: ΔBIC for statistics, (threshold − cosine similarity) for embeddings. */
function voiceDistance(
  candidate: VoiceProfile,
  voice: VoiceProfile,
  penaltyWeight: number,
  similarityThreshold: number,
): number | undefined {
  if (candidate.stats && voice.stats) return deltaBic(candidate.stats, voice.stats, penaltyWeight);
  if (candidate.embedding && voice.embedding)
    return similarityThreshold - cosineSimilarity(candidate.embedding, voice.embedding);
  return undefined;
}

function mergeVoices(candidate: VoiceProfile, voice: VoiceProfile): VoiceProfile {
  const total = candidate.speechSec + voice.speechSec;
  return {
    ...candidate,
    speechSec: total,
    ...(candidate.stats && voice.stats ? { stats: mergeStats(candidate.stats, voice.stats) } : {}),
    ...(candidate.embedding && voice.embedding
      ? {
          embedding: candidate.embedding.map(
            (v, i) => (v * candidate.speechSec + voice.embedding![i]! * voice.speechSec) / total,
          ),
        }
      : {}),
  };
}

export function findOtherVoices(chunks: readonly ChunkVoices[], options: SessionVoicesOptions = {}): SessionVoices {
  const steadySec = options.steadySec ?? 5;
  const penaltyWeight = options.penaltyWeight ?? DEFAULT_SPEAKER_OPTIONS.penaltyWeight;
  const similarityThreshold = options.similarityThreshold ?? 0.5;
  const minVoiceSec = options.minVoiceSec ?? 1.5;
  let candidate = options.candidate;
  const otherVoices: OtherVoice[] = [];
  const knownOthers: Array<{ id: number; profile: VoiceProfile }> = [];
  const ordered = [...chunks].sort((a, b) => a.chunkIndex - b.chunkIndex);
  for (const chunk of ordered) {
    for (const voice of chunk.voices) {
      if ((!voice.stats && !voice.embedding) || voice.speechSec < minVoiceSec) continue;
      if (!candidate) {
        if (voice.speechSec >= steadySec) candidate = { ...voice, speaker: 0 };
        continue;
      }
      const distance = voiceDistance(candidate, voice, penaltyWeight, similarityThreshold);
      if (distance === undefined) continue; // profiles from different engines cannot be compared
      if (distance > 0) {
        const firstTurn = chunk.turns?.find((turn) => turn.speaker === voice.speaker);
        // The same other voice coming back (a helper in the room) keeps its id.
        let known: { id: number; profile: VoiceProfile } | undefined;
        let bestDistance = 0;
        for (const other of knownOthers) {
          const d = voiceDistance(other.profile, voice, penaltyWeight, similarityThreshold);
          if (d !== undefined && d <= bestDistance) {
            bestDistance = d;
            known = other;
          }
        }
        if (known) known.profile = mergeVoices(known.profile, voice);
        else knownOthers.push((known = { id: knownOthers.length + 1, profile: voice }));
        otherVoices.push({
          chunkIndex: chunk.chunkIndex,
          speaker: voice.speaker,
          startSec: chunk.chunkStartSec + (firstTurn?.startSec ?? 0),
          speechSec: voice.speechSec,
          distance,
          voiceId: known.id,
          firstAppearance: !otherVoices.some((v) => v.voiceId === known.id),
        });
      } else if (!options.candidate) {
        candidate = mergeVoices(candidate, voice);
      }
    }
  }
  return { ...(candidate ? { candidate } : {}), otherVoices };
}

/**
 * The candidate's voice profile from an enrolment recording (for `findOtherVoices({ candidate })`): the voice with
 * the most speech in it. Undefined when the recording holds no usable speech.
 */
export function profileFromEnrolment(analysis: { voices: VoiceProfile[] }): VoiceProfile | undefined {
  const main = [...analysis.voices].sort((a, b) => b.speechSec - a.speechSec)[0];
  return main ? { ...main, speaker: 0 } : undefined;
}
