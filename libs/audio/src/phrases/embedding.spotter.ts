import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import type { SpeechSegment } from '../types';
import { round3 } from '../vad/speech-segments';
import type { PhraseHit, WatchedPhrase } from './phrases.types';
import {
  centerEmbeddings,
  createSpeechEmbedder,
  EMBEDDING_HOP_SEC,
  type SpeechEmbedder,
  type SpeechEmbedderOptions,
  type SpeechEmbeddings,
} from './speech-embedding';
import { loadWakeHead, PHRASE_MARGIN_AFTER_SEC, PHRASE_MARGIN_BEFORE_SEC, type WakeHead } from './wake-head';

/**
 * Wake-phrase spotting with a neural keyword classifier: Google's speech embedding (shipped, no download) and
 * Earshot's trained heads (libs/audio/models/wake-phrases). It hears only the phrases its heads were trained on
 * (the default wake phrases); exam watch phrases stay with the transcript matcher and pocketsphinx.
 */
export interface WakeWindowDetection {
  phrase: string;
  startSec: number;
  endSec: number;
  /** Highest window probability of the phrase. */
  probability: number;
}

/** When the detected windows do not pin the phrase down, report this much around their common centre. */
const MIN_REPORTED_SEC = 0.6;

/**
 * Runs of at least `minWindows` consecutive windows whose probability for one phrase reaches its threshold. The
 * phrase lies inside every window of a run (that is what the head learnt), so its times are their intersection.
 * Where two phrases fire on the same stretch ("ok google" / "hey google"), the more probable one is kept.
 */
export function detectWakeWindows(
  head: WakeHead,
  embeddings: SpeechEmbeddings,
  thresholds: Readonly<Record<string, number>>,
  minWindows: number,
  offsetSec = 0,
): WakeWindowDetection[] {
  return findWakeRuns(head, head.scoreWindows(embeddings), thresholds, minWindows, offsetSec);
}

/** `detectWakeWindows` on window probabilities already computed (calibration tries many thresholds on them). */
export function findWakeRuns(
  head: Pick<WakeHead, 'model' | 'windowSpanSec'>,
  scored: { probabilities: Float32Array; windows: number },
  thresholds: Readonly<Record<string, number>>,
  minWindows: number,
  offsetSec = 0,
): WakeWindowDetection[] {
  const { probabilities, windows } = scored;
  const classes = head.model.classes;
  const found: WakeWindowDetection[] = [];
  for (let c = 1; c < classes.length; c++) {
    const phrase = classes[c]!;
    const threshold = thresholds[phrase];
    if (threshold === undefined) continue;
    let runStart = -1;
    let peak = 0;
    for (let j = 0; j <= windows; j++) {
      const p = j < windows ? probabilities[j * classes.length + c]! : 0;
      if (p >= threshold) {
        if (runStart < 0) runStart = j;
        peak = Math.max(peak, p);
        continue;
      }
      if (runStart >= 0 && j - runStart >= minWindows) {
        const firstEnd = runStart * EMBEDDING_HOP_SEC + head.windowSpanSec - PHRASE_MARGIN_AFTER_SEC;
        const lastStart = (j - 1) * EMBEDDING_HOP_SEC + PHRASE_MARGIN_BEFORE_SEC;
        let startSec = lastStart;
        let endSec = firstEnd;
        if (endSec - startSec < MIN_REPORTED_SEC) {
          const centre = (startSec + endSec) / 2;
          startSec = centre - MIN_REPORTED_SEC / 2;
          endSec = centre + MIN_REPORTED_SEC / 2;
        }
        found.push({
          phrase,
          startSec: round3(startSec + offsetSec),
          endSec: round3(endSec + offsetSec),
          probability: Math.round(peak * 1000) / 1000,
        });
      }
      runStart = -1;
      peak = 0;
    }
  }
  return found
    .sort((a, b) => b.probability - a.probability)
    .filter((d, i, all) => !all.slice(0, i).some((o) => o.startSec < d.endSec && d.startSec < o.endSec))
    .sort((a, b) => a.startSec - b.startSec);
}

export interface WakePhraseSpotterOptions {
  /** Trained heads (JSON). Default: the committed libs/audio/models/wake-phrases/wake-heads.json. */
  headPath?: string;
  embedder?: SpeechEmbedderOptions;
  /** Per-phrase probability a window needs; default the model's calibrated ones. */
  thresholds?: Partial<Record<string, number>>;
  /** One probability for every phrase (applied before `thresholds`). */
  threshold?: number;
  /** Consecutive windows that must reach it; default the model's. */
  minWindows?: number;
}

export interface WakePhraseSpotter {
  engine: 'speech-embedding';
  /** The phrases its heads know. */
  phrases: readonly string[];
  /** The probability each phrase needs, and the windows in a row. */
  thresholds: Readonly<Record<string, number>>;
  minWindows: number;
  spot(
    pcm: Float32Array,
    segments: readonly SpeechSegment[],
    phrases: readonly WatchedPhrase[],
    opts?: { sampleRate?: number },
  ): Promise<PhraseHit[]>;
  /** The window probabilities `spot` decides on, per stretch of speech (for calibration and the eval's sweep). */
  scoreRegions(
    pcm: Float32Array,
    segments: readonly SpeechSegment[],
    opts?: { sampleRate?: number },
  ): Promise<ScoredRegion[]>;
  /** `spot`'s decision on regions already scored: `spot` is `scoreRegions` then this. */
  hitsOf(regions: readonly ScoredRegion[], phrases: readonly WatchedPhrase[], durationSec: number): PhraseHit[];
  head: WakeHead;
  close(): Promise<void>;
}

export interface ScoredRegion {
  startSec: number;
  endSec: number;
  scored: { probabilities: Float32Array; windows: number };
}

/** Context around speech the windows need (a phrase at a segment's edge still gets its margins). */
const REGION_PAD_BEFORE_SEC = 1;
const REGION_PAD_AFTER_SEC = 1;

/**
 * Stretches to embed: speech segments with context, merged where they touch, each at least one window long. They
 * may reach past either end of the input (the caller pads with silence), so a phrase at the very start or end of
 * a chunk still has the context its windows need.
 */
export function planWakeRegions(
  segments: readonly SpeechSegment[],
  windowSpanSec: number,
): Array<{ startSec: number; endSec: number }> {
  const regions: Array<{ startSec: number; endSec: number }> = [];
  for (const s of [...segments].sort((a, b) => a.startSec - b.startSec)) {
    const startSec = s.startSec - REGION_PAD_BEFORE_SEC;
    const endSec = s.endSec + REGION_PAD_AFTER_SEC;
    const last = regions[regions.length - 1];
    if (last && startSec <= last.endSec) last.endSec = Math.max(last.endSec, endSec);
    else regions.push({ startSec, endSec });
  }
  const minimum = windowSpanSec + 0.05;
  for (const r of regions) {
    const missing = minimum - (r.endSec - r.startSec);
    if (missing <= 0) continue;
    r.startSec -= missing / 2;
    r.endSec += missing / 2;
  }
  return regions.map((r) => ({ startSec: round3(r.startSec), endSec: round3(r.endSec) }));
}

export async function createWakePhraseSpotter(options: WakePhraseSpotterOptions = {}): Promise<WakePhraseSpotter> {
  const head = loadWakeHead(options.headPath);
  const embedder: SpeechEmbedder = await createSpeechEmbedder(options.embedder);
  const known = head.model.classes.slice(1);
  const thresholds = {
    ...head.model.thresholds,
    ...(options.threshold !== undefined ? Object.fromEntries(known.map((phrase) => [phrase, options.threshold])) : {}),
    ...options.thresholds,
  } as Record<string, number>;
  const minWindows = options.minWindows ?? head.model.minWindows;
  const spotter: WakePhraseSpotter = {
    engine: 'speech-embedding',
    phrases: known,
    thresholds,
    minWindows,
    head,
    async scoreRegions(pcm, segments, opts = {}) {
      const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
      const scored: ScoredRegion[] = [];
      for (const region of planWakeRegions(segments, head.windowSpanSec)) {
        const first = Math.round(region.startSec * sampleRate);
        const length = Math.round((region.endSec - region.startSec) * sampleRate);
        // silence where the region reaches past the input
        const audio = new Float32Array(length);
        audio.set(pcm.subarray(Math.max(0, first), Math.min(pcm.length, first + length)), Math.max(0, -first));
        const raw = await embedder.embed(audio);
        scored.push({ ...region, scored: head.scoreWindows(head.model.centered ? centerEmbeddings(raw) : raw) });
      }
      return scored;
    },
    hitsOf(regions, phrases, durationSec) {
      const wanted = new Set(phrases.filter((p) => p.kind === 'wake').map((p) => p.phrase));
      const active = Object.fromEntries(Object.entries(thresholds).filter(([phrase]) => wanted.has(phrase)));
      return regions.flatMap((region) =>
        findWakeRuns(head, region.scored, active, minWindows, region.startSec).map((d): PhraseHit => ({
          phrase: d.phrase,
          kind: 'wake',
          startSec: Math.max(0, d.startSec),
          endSec: Math.min(d.endSec, durationSec),
          heard: `${d.phrase} (p ${d.probability})`,
          sources: ['speech-embedding'],
        })),
      );
    },
    async spot(pcm, segments, phrases, opts = {}) {
      const asked = phrases.some((p) => p.kind === 'wake' && thresholds[p.phrase] !== undefined);
      if (!asked || !segments.length) return [];
      const durationSec = round3(pcm.length / (opts.sampleRate ?? ANALYSIS_SAMPLE_RATE));
      return spotter.hitsOf(await spotter.scoreRegions(pcm, segments, opts), phrases, durationSec);
    },
    close: () => embedder.close(),
  };
  return spotter;
}
