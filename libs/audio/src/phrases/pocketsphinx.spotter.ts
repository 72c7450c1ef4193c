import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import {
  parsePocketsphinxTimes,
  pocketsphinxModelArgs,
  POCKETSPHINX_MODEL_DIR,
  runPocketsphinx,
} from '../transcribe/pocketsphinx.transcriber';
import { joinWindows, planSpeechWindows } from '../transcribe/speech-windows';
import type { TranscriptWord } from '../transcribe/transcriber.types';
import type { SpeechSegment, TimeSpan } from '../types';
import { round3 } from '../vad/speech-segments';
import type { PhraseHit, WatchedPhrase } from './phrases.types';
import {
  acceptCandidate,
  decoderHeardPhrase,
  minScoreOf,
  nearestBoundaryGapSec,
  type PhraseCandidate,
} from './spot-verification';
import { tokenize } from './transcript-phrase.matcher';

export interface KeywordSpotterOptions {
  binaryPath?: string;
  /** Acoustic model folder; default Debian's pocketsphinx-en-us. */
  hmmPath?: string;
  /** Pronouncing dictionary to look phrase words up in (and to verify with); default Debian's cmudict-en-us.dict. */
  dictPath?: string;
  /** Language model of the verification pass; default Debian's en-us.lm.bin. */
  lmPath?: string;
  /** Pronunciations to add, e.g. { cortana: 'K AO R T AE N AH' }: needed for words the dictionary lacks. */
  extraPronunciations?: Record<string, string | string[]>;
  /**
   * Keyword-spotting threshold for candidates of a phrase without its own `spotThreshold`. Default 1e-40: loose,
   * because verification (scores, word boundaries) decides; with `verify: false` pick a strict one (1e-10..1e-15).
   */
  candidateThreshold?: number;
  /**
   * Second pass over each candidate's surroundings with the language-model decoder. It drops a candidate that ends
   * inside a longer word ("alexa" in "alexander", "siri" in "series") and keeps one the decoder heard itself.
   * Default true.
   */
  verify?: boolean;
  /** Words with times already decoded for this audio (e.g. the chunk's pocketsphinx transcript): verification uses them instead of decoding again. */
  decodedWords?: readonly TranscriptWord[];
  /**
   * Verify every candidate, not only those reaching their phrase's minimum score: for calibration (the eval), at
   * the cost of decoding most of the speech. Default false.
   */
  verifyBelowMinScore?: boolean;
  /** Minimum spotter scores for phrases without `spotMinScore`. Default `DEFAULT_SPOT_MIN_SCORES`. */
  minScores?: { oneWord: number; multiWord: number };
  /** Largest gap between a candidate's end and a decoded word boundary. Default 0.15 s. */
  maxBoundaryGapSec?: number;
  /** More pocketsphinx arguments for the keyword-spotting pass, passed as they are. */
  extraArgs?: string[];
  timeoutMs?: number;
  tempDir?: string;
  signal?: AbortSignal;
  sampleRate?: number;
}

export const DEFAULT_CANDIDATE_THRESHOLD = 1e-40;
/** Audio decoded either side of a candidate in the verification pass, so the language model has context. */
const VERIFY_CONTEXT_SEC = { before: 1.5, after: 1 };
/** Pronunciation variants per keyphrase form at most (products of several words' variants grow fast). */
const MAX_FORM_PRONUNCIATIONS = 4;
/**
 * Pronunciations cmudict lacks (cortana, ok) or that people use besides cmudict's: Cortana is said /kɔːrˈtɑːnə/
 * as well as with the vowel of "cat"; Siri with the vowel of "see" as well as of "sit".
 */
const BUILT_IN_PRONUNCIATIONS: Record<string, string[]> = {
  cortana: ['K AO R T AE N AH', 'K AO R T AA N AH'],
  ok: ['OW K EY'],
  siri: ['S IY R IY'],
};
const dictionaryCache = new Map<string, Map<string, string[]>>();

function loadDictionary(dictPath: string): Map<string, string[]> {
  const cached = dictionaryCache.get(dictPath);
  if (cached) return cached;
  const entries = new Map<string, string[]>();
  for (const line of readFileSync(dictPath, 'utf8').split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const word = line.slice(0, space).replace(/\(\d+\)$/, '');
    const list = entries.get(word) ?? [];
    list.push(line.slice(space + 1).trim());
    entries.set(word, list);
  }
  dictionaryCache.set(dictPath, entries);
  return entries;
}

interface SpotterPlan {
  /** `text` is what pocketsphinx spots (variant words are spelled `word_2`), `form` the phrase form it stands for. */
  keyphrases: Array<{ text: string; form: string; phrase: WatchedPhrase }>;
  dictionary: string;
  skipped: string[];
}

const variantToken = (word: string, index: number): string => (index === 0 ? word : `${word}_${index + 1}`);

/** Every pronunciation of a word: the dictionary's, then extra and built-in ones not already there. */
function pronunciationsOf(
  word: string,
  dictionary: Map<string, string[]>,
  extra: Record<string, string | string[]>,
): string[] {
  const given = extra[word];
  const list = [
    ...(given === undefined ? [] : typeof given === 'string' ? [given] : given),
    ...(dictionary.get(word) ?? []),
    ...(BUILT_IN_PRONUNCIATIONS[word] ?? []),
  ];
  return [...new Set(list.map((p) => p.trim().replace(/\s+/g, ' ')))];
}

/**
 * The keyphrase list and a small dictionary holding only the words needed (kws mode needs nothing else). Each
 * pronunciation variant is its own keyphrase, since keyword spotting uses one pronunciation per word.
 */
export function planKeywordSpotting(
  phrases: readonly WatchedPhrase[],
  options: KeywordSpotterOptions = {},
): SpotterPlan {
  const dictionary = loadDictionary(options.dictPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'cmudict-en-us.dict'));
  const extra = options.extraPronunciations ?? {};
  const lines = new Map<string, string>();
  const keyphrases: SpotterPlan['keyphrases'] = [];
  const skipped: string[] = [];
  for (const phrase of phrases) {
    for (const form of new Set([phrase.phrase, ...(phrase.variants ?? [])].map((f) => tokenize(f).join(' ')))) {
      const words = form.split(' ');
      const prons = words.map((word) => pronunciationsOf(word, dictionary, extra));
      if (prons.some((p) => p.length === 0)) {
        skipped.push(form);
        continue;
      }
      words.forEach((word, w) => prons[w]!.forEach((pron, i) => lines.set(variantToken(word, i), pron)));
      // Variant combinations, the dictionary's first pronunciations first.
      let combos: number[][] = [[]];
      for (const p of prons) combos = combos.flatMap((c) => p.map((_, i) => [...c, i]));
      combos.sort((a, b) => a.reduce((x, y) => x + y, 0) - b.reduce((x, y) => x + y, 0));
      for (const combo of combos.slice(0, MAX_FORM_PRONUNCIATIONS))
        keyphrases.push({ text: words.map((word, w) => variantToken(word, combo[w]!)).join(' '), form, phrase });
    }
  }
  const dictionaryText = [...lines].map(([token, pron]) => `${token} ${pron}`).join('\n');
  return { keyphrases, dictionary: `${dictionaryText}\n`, skipped };
}

/** Parses `-kws ... -time yes` output: `phrase start end probability` per detection. */
export function parseSpotterOutput(
  output: string,
): Array<{ text: string; startSec: number; endSec: number; probability: number }> {
  return output.split('\n').flatMap((line) => {
    const match = /^(.+?)\s+(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(line.trim());
    return match
      ? [
          {
            text: match[1]!.trim(),
            startSec: Number(match[2]),
            endSec: Number(match[3]),
            probability: Number(match[4]),
          },
        ]
      : [];
  });
}

/** Language-model decode of the audio around the candidates (one process), as words with chunk times. */
async function decodeAroundCandidates(
  pcm: Float32Array,
  sampleRate: number,
  candidates: readonly PhraseCandidate[],
  options: KeywordSpotterOptions,
): Promise<TranscriptWord[]> {
  const durationSec = pcm.length / sampleRate;
  const regions: TimeSpan[] = [];
  for (const c of [...candidates].sort((a, b) => a.startSec - b.startSec)) {
    const region = {
      startSec: Math.max(0, c.startSec - VERIFY_CONTEXT_SEC.before),
      endSec: Math.min(durationSec, c.endSec + VERIFY_CONTEXT_SEC.after),
    };
    const last = regions[regions.length - 1];
    if (last && region.startSec <= last.endSec) last.endSec = Math.max(last.endSec, region.endSec);
    else regions.push(region);
  }
  const { joined, toOriginalSec } = joinWindows(pcm, regions, sampleRate, 0.5);
  const output = await runPocketsphinx(joined, sampleRate, {
    binaryPath: options.binaryPath,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    tempDir: options.tempDir,
    args: () => pocketsphinxModelArgs(options),
  });
  return parsePocketsphinxTimes(output, toOriginalSec).flatMap((segment) => segment.words ?? []);
}

/**
 * Keyword-spotting candidates (pocketsphinx keyphrase mode over the speech segments, loose threshold) with what
 * the verification pass found around each. `spotPhrasesInAudio` keeps the accepted ones; the eval uses this to
 * calibrate the scores.
 */
export async function findPhraseCandidates(
  pcm: Float32Array,
  speech: readonly SpeechSegment[],
  phrases: readonly WatchedPhrase[],
  options: KeywordSpotterOptions = {},
): Promise<PhraseCandidate[]> {
  const sampleRate = options.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const plan = planKeywordSpotting(phrases, options);
  const windows = planSpeechWindows(speech, pcm.length / sampleRate, { padSec: 0.5 });
  if (plan.keyphrases.length === 0 || windows.length === 0) return [];
  const { joined, toOriginalSec } = joinWindows(pcm, windows, sampleRate, 0.5);
  const kws = plan.keyphrases.map(
    ({ text, phrase }) =>
      `${text} /${(phrase.spotThreshold ?? options.candidateThreshold ?? DEFAULT_CANDIDATE_THRESHOLD).toExponential()}/`,
  );
  const output = await runPocketsphinx(joined, sampleRate, {
    binaryPath: options.binaryPath,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    tempDir: options.tempDir,
    files: { 'phrases.kws': `${kws.join('\n')}\n`, 'phrases.dict': plan.dictionary },
    args: (paths) => [
      '-kws',
      paths['phrases.kws']!,
      '-dict',
      paths['phrases.dict']!,
      '-hmm',
      options.hmmPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'en-us'),
      ...(options.extraArgs ?? []),
    ],
  });
  const byText = new Map(plan.keyphrases.map((k) => [k.text, k]));
  const candidates = parseSpotterOutput(output).flatMap((detection): PhraseCandidate[] => {
    const keyphrase = byText.get(detection.text);
    if (!keyphrase) return [];
    return [
      {
        phrase: keyphrase.phrase,
        heard: keyphrase.form,
        startSec: toOriginalSec(detection.startSec),
        endSec: toOriginalSec(detection.endSec),
        score: detection.probability,
      },
    ];
  });
  // Candidates below their minimum score are dropped anyway: verifying only the others keeps the decode short.
  const toVerify = candidates.filter(
    (c) => options.verifyBelowMinScore || c.score >= minScoreOf(c.phrase, options.minScores),
  );
  if (options.verify === false || toVerify.length === 0) return candidates;
  const words = options.decodedWords ?? (await decodeAroundCandidates(pcm, sampleRate, toVerify, options));
  return candidates.map((c) =>
    toVerify.includes(c)
      ? {
          ...c,
          boundaryGapSec: round3(nearestBoundaryGapSec(words, c.endSec)),
          heardByDecoder: decoderHeardPhrase(words, c.phrase, c.startSec, c.endSec),
        }
      : c,
  );
}

/**
 * Keyword spotting on the audio over the speech segments only, verified (see `findPhraseCandidates`).
 * Independent of the chunk's transcript, so it catches a wake phrase the recogniser's language model turns into
 * other words ("hey siri" → "this theory").
 */
export async function spotPhrasesInAudio(
  pcm: Float32Array,
  speech: readonly SpeechSegment[],
  phrases: readonly WatchedPhrase[],
  options: KeywordSpotterOptions = {},
): Promise<PhraseHit[]> {
  const candidates = await findPhraseCandidates(pcm, speech, phrases, options);
  return mergePhraseHits(
    candidates
      .filter((c) => acceptCandidate(c, options))
      .map((c) => ({
        phrase: c.phrase.phrase,
        kind: c.phrase.kind,
        startSec: round3(c.startSec),
        endSec: round3(c.endSec),
        heard: c.heard,
        sources: ['keyword-spotter' as const],
      })),
  );
}

/** Joins hits of the same phrase that overlap or lie within `toleranceSec`, keeping every source. */
export function mergePhraseHits(hits: readonly PhraseHit[], toleranceSec = 1): PhraseHit[] {
  const merged: PhraseHit[] = [];
  for (const hit of [...hits].sort((a, b) => a.startSec - b.startSec)) {
    const same = merged.find(
      (m) =>
        m.phrase === hit.phrase && hit.startSec <= m.endSec + toleranceSec && hit.endSec >= m.startSec - toleranceSec,
    );
    if (same) {
      same.startSec = round3(Math.min(same.startSec, hit.startSec));
      same.endSec = round3(Math.max(same.endSec, hit.endSec));
      for (const source of hit.sources) if (!same.sources.includes(source)) same.sources.push(source);
    } else merged.push({ ...hit, sources: [...hit.sources] });
  }
  return merged;
}
