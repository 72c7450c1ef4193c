export type PhraseKind = 'wake' | 'watch';

export interface WatchedPhrase {
  /** Canonical phrase as reported, e.g. "hey siri". */
  phrase: string;
  kind: PhraseKind;
  /** Other ways it is written or heard, e.g. "okay google" for "ok google". */
  variants?: string[];
  /** pocketsphinx keyword-spotting threshold (smaller fires more). Default by phrase length. */
  spotThreshold?: number;
}

export type PhraseSource = 'transcript' | 'keyword-spotter';

export interface PhraseHit {
  phrase: string;
  kind: PhraseKind;
  startSec: number;
  endSec: number;
  /** What was heard (transcript words or the spotted phrase). */
  heard: string;
  sources: PhraseSource[];
}

export const DEFAULT_WAKE_PHRASES: WatchedPhrase[] = [
  { phrase: 'hey siri', kind: 'wake', variants: ['hi siri'] },
  { phrase: 'ok google', kind: 'wake', variants: ['okay google'] },
  { phrase: 'hey google', kind: 'wake', variants: ['hi google'] },
  { phrase: 'alexa', kind: 'wake' },
  { phrase: 'hey cortana', kind: 'wake' },
];

/** The default wake phrases plus an exam's own watch list (plain strings become watch phrases). */
export function buildPhraseList(
  watch: ReadonlyArray<string | WatchedPhrase> = [],
  includeWakePhrases = true,
): WatchedPhrase[] {
  const extra = watch.map((item) => (typeof item === 'string' ? { phrase: item, kind: 'watch' as const } : item));
  return [...(includeWakePhrases ? DEFAULT_WAKE_PHRASES : []), ...extra];
}
