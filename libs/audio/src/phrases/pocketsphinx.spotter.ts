import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import { POCKETSPHINX_MODEL_DIR, runPocketsphinx } from '../transcribe/pocketsphinx.transcriber';
import { joinWindows, planSpeechWindows } from '../transcribe/speech-windows';
import type { SpeechSegment } from '../types';
import { round3 } from '../vad/speech-segments';
import type { PhraseHit, WatchedPhrase } from './phrases.types';
import { tokenize } from './transcript-phrase.matcher';

export interface KeywordSpotterOptions {
  binaryPath?: string;
  /** Acoustic model folder; default Debian's pocketsphinx-en-us. */
  hmmPath?: string;
  /** Pronouncing dictionary to look phrase words up in; default Debian's cmudict-en-us.dict. */
  dictPath?: string;
  /** Pronunciations for words the dictionary lacks, e.g. { cortana: 'K AO R T AE N AH' }. */
  extraPronunciations?: Record<string, string>;
  /** Threshold for a phrase without its own, per phrase length in words. Defaults: 1 word 1e-10, 2+ words 1e-15 (looser ones fired on conversation, docs/analysis.md). */
  defaultThresholds?: { oneWord: number; multiWord: number };
  /** More pocketsphinx arguments passed as they are. */
  extraArgs?: string[];
  timeoutMs?: number;
  tempDir?: string;
  signal?: AbortSignal;
  sampleRate?: number;
}

/** Words of the default phrases that cmudict lacks. */
export const DEFAULT_SPOT_THRESHOLDS = { oneWord: 1e-10, multiWord: 1e-15 };
const BUILT_IN_PRONUNCIATIONS: Record<string, string> = { cortana: 'K AO R T AE N AH', ok: 'OW K EY' };
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
  keyphrases: Array<{ text: string; phrase: WatchedPhrase }>;
  dictionary: string;
  skipped: string[];
}

/** The keyphrase list and a small dictionary holding only the words needed (kws mode needs nothing else). */
export function planKeywordSpotting(
  phrases: readonly WatchedPhrase[],
  options: KeywordSpotterOptions = {},
): SpotterPlan {
  const dictionary = loadDictionary(options.dictPath ?? path.join(POCKETSPHINX_MODEL_DIR, 'cmudict-en-us.dict'));
  const extra = { ...BUILT_IN_PRONUNCIATIONS, ...(options.extraPronunciations ?? {}) };
  const lines = new Map<string, string[]>();
  const keyphrases: SpotterPlan['keyphrases'] = [];
  const skipped: string[] = [];
  for (const phrase of phrases) {
    for (const form of new Set([phrase.phrase, ...(phrase.variants ?? [])].map((f) => tokenize(f).join(' ')))) {
      const words = form.split(' ');
      const known = words.every((word) => lines.has(word) || extra[word] || dictionary.has(word));
      if (!known) {
        skipped.push(form);
        continue;
      }
      for (const word of words)
        if (!lines.has(word)) lines.set(word, extra[word] ? [extra[word]] : dictionary.get(word)!);
      keyphrases.push({ text: form, phrase });
    }
  }
  const dictionaryText = [...lines]
    .flatMap(([word, prons]) => prons.map((p, i) => `${i === 0 ? word : `${word}(${i + 1})`} ${p}`))
    .join('\n');
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

/**
 * Keyword spotting on the audio (pocketsphinx keyphrase mode) over the speech segments only. Independent of any
 * transcript, so it catches a wake phrase the recogniser's language model would turn into other words.
 */
export async function spotPhrasesInAudio(
  pcm: Float32Array,
  speech: readonly SpeechSegment[],
  phrases: readonly WatchedPhrase[],
  options: KeywordSpotterOptions = {},
): Promise<PhraseHit[]> {
  const sampleRate = options.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const plan = planKeywordSpotting(phrases, options);
  const windows = planSpeechWindows(speech, pcm.length / sampleRate, { padSec: 0.5 });
  if (plan.keyphrases.length === 0 || windows.length === 0) return [];
  const thresholds = options.defaultThresholds ?? DEFAULT_SPOT_THRESHOLDS;
  const { joined, toOriginalSec } = joinWindows(pcm, windows, sampleRate, 0.5);
  const kws = plan.keyphrases.map(
    ({ text, phrase }) =>
      `${text} /${(phrase.spotThreshold ?? (text.includes(' ') ? thresholds.multiWord : thresholds.oneWord)).toExponential()}/`,
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
  const byText = new Map(plan.keyphrases.map((k) => [k.text, k.phrase]));
  return parseSpotterOutput(output).flatMap((detection) => {
    const phrase = byText.get(detection.text);
    if (!phrase) return [];
    return [
      {
        phrase: phrase.phrase,
        kind: phrase.kind,
        startSec: toOriginalSec(detection.startSec),
        endSec: toOriginalSec(detection.endSec),
        heard: detection.text,
        sources: ['keyword-spotter' as const],
      },
    ];
  });
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
