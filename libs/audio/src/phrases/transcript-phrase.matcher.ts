import type { Transcript, TranscriptWord } from '../transcribe/transcriber.types';
import { round3 } from '../vad/speech-segments';
import type { PhraseHit, WatchedPhrase } from './phrases.types';

/** Spellings a recogniser or a person writes for the same word. */
const WORD_ALIASES: Record<string, string> = { okay: 'ok', 'o.k.': 'ok', 'o.k': 'ok', hi: 'hey' };

export function normalizeToken(token: string): string {
  const lower = token.toLowerCase().replace(/[’']/g, '');
  const alias = WORD_ALIASES[lower];
  return alias ?? lower.replace(/[^\p{L}\p{N}]+/gu, '');
}

export function tokenize(text: string): string[] {
  return text
    .replace(/\bo\.k\.?/gi, 'ok')
    .split(/[\s,.;:!?"()[\]-]+/)
    .map(normalizeToken)
    .filter(Boolean);
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Whether a heard word is the phrase word, allowing one spelling error only in long words. Short words must match
 * exactly, which keeps "series" from matching "siri" and whole-word matching keeps "alexander" from "alexa".
 */
export function isSameWord(heard: string, expected: string): boolean {
  if (heard === expected) return true;
  return expected.length >= 6 && Math.abs(heard.length - expected.length) <= 1 && editDistance(heard, expected) <= 1;
}

interface TimedToken {
  token: string;
  raw: string;
  startSec: number;
  endSec: number;
}

/** Words with times: the engine's word times where it gives them, else spread evenly over the segment. */
function timedTokens(transcript: Transcript): TimedToken[] {
  return transcript.segments.flatMap((segment) => {
    const words: TranscriptWord[] = segment.words?.length
      ? segment.words
      : (() => {
          const raw = segment.text.split(/\s+/).filter(Boolean);
          const step = (segment.endSec - segment.startSec) / Math.max(1, raw.length);
          return raw.map((word, i) => ({
            word,
            startSec: segment.startSec + i * step,
            endSec: segment.startSec + (i + 1) * step,
          }));
        })();
    return words.flatMap((word) =>
      tokenize(word.word).map((token) => ({ token, raw: word.word, startSec: word.startSec, endSec: word.endSec })),
    );
  });
}

/** Finds wake and watch phrases in a transcript, tolerant to recognition errors in long words, with times. */
export function matchPhrasesInTranscript(transcript: Transcript, phrases: readonly WatchedPhrase[]): PhraseHit[] {
  const tokens = timedTokens(transcript);
  const hits: PhraseHit[] = [];
  for (const watched of phrases) {
    const forms = [watched.phrase, ...(watched.variants ?? [])].map(tokenize).filter((form) => form.length > 0);
    for (let i = 0; i < tokens.length; i++) {
      for (const form of forms) {
        const span = matchAt(tokens, i, form);
        if (span === 0) continue;
        const matched = tokens.slice(i, i + span);
        hits.push({
          phrase: watched.phrase,
          kind: watched.kind,
          startSec: round3(matched[0]!.startSec),
          endSec: round3(matched[matched.length - 1]!.endSec),
          heard: matched.map((t) => t.raw).join(' '),
          sources: ['transcript'],
        });
        break;
      }
    }
  }
  return hits;
}

/** Number of heard tokens matched from `start` (0 if no match). A phrase word may also be heard split in two. */
function matchAt(tokens: readonly TimedToken[], start: number, form: readonly string[]): number {
  let at = start;
  for (const expected of form) {
    const one = tokens[at];
    if (!one) return 0;
    if (isSameWord(one.token, expected)) {
      at += 1;
      continue;
    }
    const two = tokens[at + 1];
    if (two && isSameWord(one.token + two.token, expected)) {
      at += 2;
      continue;
    }
    return 0;
  }
  return at - start;
}
