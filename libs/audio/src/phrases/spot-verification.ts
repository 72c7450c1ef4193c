import type { TranscriptWord } from '../transcribe/transcriber.types';
import type { WatchedPhrase } from './phrases.types';
import { isSameWord, tokenize } from './transcript-phrase.matcher';

/** A keyword-spotter detection with what the verification pass found around it. */
export interface PhraseCandidate {
  phrase: WatchedPhrase;
  /** The keyphrase form that fired, e.g. "okay google". */
  heard: string;
  startSec: number;
  endSec: number;
  /** pocketsphinx's detection probability (0-1): how far the phrase beat the phone loop. */
  score: number;
  /**
   * Seconds between the candidate's end and the nearest word boundary of the language-model decode of the same
   * audio; large when the phrase ends inside a longer word ("alexa" inside "alexander", "siri" inside "series").
   * Undefined when the candidate was not verified.
   */
  boundaryGapSec?: number;
  /** The language-model decode itself heard the phrase there. */
  heardByDecoder?: boolean;
}

/** Lowest spotter score for a phrase without its own `spotMinScore`, per phrase length in words. */
export const DEFAULT_SPOT_MIN_SCORES = { oneWord: 0.83, multiWord: 0.82 };
/** Largest gap between a candidate's end and a decoded word boundary (chosen on the eval's tuning voices). */
export const DEFAULT_MAX_BOUNDARY_GAP_SEC = 0.15;

export function minScoreOf(phrase: WatchedPhrase, defaults = DEFAULT_SPOT_MIN_SCORES): number {
  return phrase.spotMinScore ?? (tokenize(phrase.phrase).length > 1 ? defaults.multiWord : defaults.oneWord);
}

/** Gap between `sec` and the nearest start or end of a decoded word (Infinity with no words). */
export function nearestBoundaryGapSec(words: readonly TranscriptWord[], sec: number): number {
  let best = Infinity;
  for (const word of words) best = Math.min(best, Math.abs(word.startSec - sec), Math.abs(word.endSec - sec));
  return best;
}

/** Whether the decoded words overlapping [startSec, endSec] (with a little slack) spell a form of the phrase. */
export function decoderHeardPhrase(
  words: readonly TranscriptWord[],
  phrase: WatchedPhrase,
  startSec: number,
  endSec: number,
  slackSec = 0.3,
): boolean {
  const near = words
    .filter((w) => w.endSec > startSec - slackSec && w.startSec < endSec + slackSec)
    .flatMap((w) => tokenize(w.word));
  return [phrase.phrase, ...(phrase.variants ?? [])].some((form) => {
    const expected = tokenize(form);
    for (let i = 0; i + expected.length <= near.length; i++)
      if (expected.every((word, j) => isSameWord(near[i + j]!, word))) return true;
    return false;
  });
}

/**
 * A candidate is kept when its score reaches the phrase's minimum and the verification pass either heard the
 * phrase itself or put a word boundary where the phrase ends (so it is not the start of a longer word). An
 * unverified candidate (verification off) is judged on its score alone.
 */
export function acceptCandidate(
  candidate: PhraseCandidate,
  options: { minScores?: typeof DEFAULT_SPOT_MIN_SCORES; maxBoundaryGapSec?: number } = {},
): boolean {
  if (candidate.score < minScoreOf(candidate.phrase, options.minScores)) return false;
  if (candidate.heardByDecoder || candidate.boundaryGapSec === undefined) return true;
  return candidate.boundaryGapSec <= (options.maxBoundaryGapSec ?? DEFAULT_MAX_BOUNDARY_GAP_SEC);
}
