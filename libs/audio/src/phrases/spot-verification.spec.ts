import type { TranscriptWord } from '../transcribe/transcriber.types';
import { DEFAULT_WAKE_PHRASES, type WatchedPhrase } from './phrases.types';
import {
  acceptCandidate,
  decoderHeardPhrase,
  minScoreOf,
  nearestBoundaryGapSec,
  type PhraseCandidate,
} from './spot-verification';

const phrase = (name: string): WatchedPhrase => DEFAULT_WAKE_PHRASES.find((p) => p.phrase === name)!;
const words = (...list: Array<[string, number, number]>): TranscriptWord[] =>
  list.map(([word, startSec, endSec]) => ({ word, startSec, endSec }));
const candidate = (over: Partial<PhraseCandidate>): PhraseCandidate => ({
  phrase: phrase('alexa'),
  heard: 'alexa',
  startSec: 1,
  endSec: 1.5,
  score: 0.9,
  boundaryGapSec: 0,
  heardByDecoder: false,
  ...over,
});

describe('nearestBoundaryGapSec', () => {
  it('measures how far a time is from any decoded word start or end', () => {
    const decoded = words(['i', 0.5, 0.6], ['met', 0.6, 0.9], ['alexander', 0.95, 1.8]);
    // "alexa" spotted inside "alexander": it ends at 1.5, the decoder's word ends at 1.8
    expect(nearestBoundaryGapSec(decoded, 1.5)).toBeCloseTo(0.3);
    expect(nearestBoundaryGapSec(decoded, 0.92)).toBeCloseTo(0.02);
    expect(nearestBoundaryGapSec([], 1)).toBe(Infinity);
  });
});

describe('decoderHeardPhrase', () => {
  it('finds a form of the phrase among the decoded words near the candidate', () => {
    const decoded = words(['okay', 1, 1.3], ['google', 1.3, 1.7], ['define', 1.8, 2.2]);
    expect(decoderHeardPhrase(decoded, phrase('ok google'), 1.05, 1.7)).toBe(true);
    expect(decoderHeardPhrase(decoded, phrase('hey google'), 1.05, 1.7)).toBe(false);
    // far from the candidate
    expect(decoderHeardPhrase(decoded, phrase('ok google'), 5, 5.5)).toBe(false);
  });
});

describe('acceptCandidate', () => {
  it('keeps a candidate that scores enough and ends on a word boundary', () => {
    expect(acceptCandidate(candidate({}))).toBe(true);
  });

  it('drops one that ends inside a longer decoded word, whatever its score', () => {
    expect(acceptCandidate(candidate({ score: 0.99, boundaryGapSec: 0.3 }))).toBe(false);
  });

  it('drops one below the phrase minimum score', () => {
    expect(acceptCandidate(candidate({ score: minScoreOf(phrase('alexa')) - 0.01 }))).toBe(false);
  });

  it('keeps one the decoder heard itself even if the boundaries differ, but not below the minimum score', () => {
    expect(acceptCandidate(candidate({ boundaryGapSec: 0.4, heardByDecoder: true }))).toBe(true);
    expect(acceptCandidate(candidate({ score: 0.78, heardByDecoder: true }))).toBe(false);
  });

  it('uses a default minimum by length for an exam watch phrase', () => {
    expect(minScoreOf({ phrase: 'question five', kind: 'watch' })).toBeGreaterThan(0.8);
    expect(minScoreOf({ phrase: 'calculator', kind: 'watch', spotMinScore: 0.5 })).toBe(0.5);
  });
});
