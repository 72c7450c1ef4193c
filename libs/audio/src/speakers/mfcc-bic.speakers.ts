import type { SpeechSegment } from '../types';
import { round3 } from '../vad/speech-segments';
import {
  accumulateFrame,
  deltaBic,
  emptyStats,
  logDetCovariance,
  mergeStats,
  type GaussianStats,
} from './gaussian-stats';
import { computeMfcc, frameEnergiesDb } from './mfcc.features';
import { buildTurns } from './speaker-turns';
import { medianSemitones, trackPitch, voicedShare } from './pitch';
import type { SpeakerAnalysis, SpeakerEngine, SpeakerOptions, VoiceProfile } from './speakers.types';

export const DEFAULT_SPEAKER_OPTIONS: Required<SpeakerOptions> = {
  sampleRate: 16_000,
  pieceSec: 2,
  minSpeakerSec: 1.5,
  penaltyWeight: 1.5,
  energyRangeDb: 15,
  mfccCoefficients: 16,
  pitchVetoSemitones: 5,
  hopSec: 0.01,
  windowSec: 0.016,
  lowHz: 300,
  highHz: 7800,
  splitMarginPerFrame: 0.08,
  minPieceSec: 0.6,
  shortTurnSemitones: 8,
  minShortVoiceSec: 0.2,
  minTurnVoicedWindows: 6,
  minVoicePitchWindows: 10,
};

/** Clusters this close in median pitch get `splitMarginPerFrame` (eval: 1-2.5 semitones counted the same). */
const SAME_PITCH_SEMITONES = 1.5;
/** Speech of a voice found by pitch alone from which its pitch margin counts in full for the confidence. */
const FULL_EVIDENCE_SEC = 1;
/** ΔBIC per frame that maps to a confidence of about 0.73 (logistic). Heuristic scale. */
const CONFIDENCE_SCALE_PER_FRAME = 0.02;

interface Piece {
  /** Index of the speech segment the piece comes from. */
  segment: number;
  startSec: number;
  endSec: number;
  stats: GaussianStats;
  /** Voiced pitch values (Hz) inside the piece; empty when pitch is not used. */
  pitchesHz: number[];
}

interface Cluster {
  pieces: number[];
  stats: GaussianStats;
  logDet: number;
  pitchSemitones: number | undefined;
}

/** Cuts speech into pieces of MFCC statistics, ignoring frames near the noise floor. */
function extractPieces(
  pcm: Float32Array,
  segments: readonly SpeechSegment[],
  opts: Required<SpeakerOptions>,
): { pieces: Piece[]; voicedRatios: number[] } {
  const hopSamples = Math.round(opts.hopSec * opts.sampleRate);
  const windowSamples = Math.round(opts.windowSec * opts.sampleRate);
  const spans = segments.map((segment) => {
    const start = Math.max(0, Math.floor(segment.startSec * opts.sampleRate));
    const end = Math.min(pcm.length, Math.ceil(segment.endSec * opts.sampleRate));
    return { offsetSec: start / opts.sampleRate, pcm: pcm.subarray(start, end) };
  });
  // The loudness floor first (cheap), so that frames under it cost no FFT.
  const spanEnergies = spans.map((span) => frameEnergiesDb(span.pcm, windowSamples, hopSamples));
  const energies = new Float64Array(spanEnergies.reduce((sum, e) => sum + e.length, 0));
  spanEnergies.reduce((at, e) => (energies.set(e, at), at + e.length), 0);
  energies.sort();
  const floorDb = energies.length > 0 ? energies[Math.floor(energies.length * 0.95)]! - opts.energyRangeDb : Infinity;
  const perSegment = spans.map((span) => ({
    offsetSec: span.offsetSec,
    mfcc: computeMfcc(span.pcm, {
      sampleRate: opts.sampleRate,
      windowSamples,
      coefficients: opts.mfccCoefficients,
      hopSamples,
      lowHz: opts.lowHz,
      highHz: opts.highHz,
      minEnergyDb: floorDb,
    }),
    pitch: trackPitch(span.pcm, opts.sampleRate),
  }));
  const voicedRatios = perSegment.map(({ pitch }) => voicedShare(pitch.pitchHz));
  if (energies.length === 0) return { pieces: [], voicedRatios };

  const pieces: Piece[] = [];
  for (const [segment, { offsetSec, mfcc, pitch }] of perSegment.entries()) {
    const framesPerPiece = Math.max(1, Math.round(opts.pieceSec / mfcc.hopSec));
    const segmentPieces: Piece[] = [];
    let current: Piece | undefined;
    for (let f = 0; f < mfcc.frameCount; f++) {
      if (mfcc.energyDb[f]! < floorDb) continue;
      const timeSec = offsetSec + f * mfcc.hopSec;
      if (!current || current.stats.count >= framesPerPiece) {
        current = { segment, startSec: timeSec, endSec: timeSec, stats: emptyStats(mfcc.coefficients), pitchesHz: [] };
        segmentPieces.push(current);
      }
      accumulateFrame(current.stats, mfcc.features, f * mfcc.coefficients);
      current.endSec = timeSec + mfcc.hopSec;
    }
    // A short tail joins the piece before it in the same segment.
    const last = segmentPieces[segmentPieces.length - 1];
    const previous = segmentPieces[segmentPieces.length - 2];
    if (last && previous && last.stats.count < framesPerPiece / 2) {
      previous.stats = mergeStats(previous.stats, last.stats);
      previous.endSec = last.endSec;
      segmentPieces.pop();
    }
    if (opts.pitchVetoSemitones > 0 || opts.shortTurnSemitones > 0) {
      pitch.pitchHz.forEach((hz, w) => {
        const timeSec = offsetSec + w * pitch.hopSec;
        // The last piece starting before the window (frames under the energy floor belong to no piece).
        const piece = segmentPieces.findLast((p) => p.startSec <= timeSec) ?? segmentPieces[0];
        piece?.pitchesHz.push(hz);
      });
    }
    pieces.push(...segmentPieces);
  }
  return { pieces, voicedRatios };
}

/** Voices whose typical pitch differs this much are not merged, however alike their spectra look. */
function isPitchVetoed(a: Cluster, b: Cluster, vetoSemitones: number): boolean {
  return (
    vetoSemitones > 0 &&
    a.pitchSemitones !== undefined &&
    b.pitchSemitones !== undefined &&
    Math.abs(a.pitchSemitones - b.pitchSemitones) > vetoSemitones
  );
}

function clusterOf(pieces: Piece[], indices: number[]): Cluster {
  const stats = indices.map((i) => pieces[i]!.stats).reduce((a, b) => mergeStats(a, b));
  const pitchSemitones = medianSemitones(indices.flatMap((i) => pieces[i]!.pitchesHz));
  return { pieces: indices, stats, logDet: logDetCovariance(stats), pitchSemitones };
}

/**
 * ΔBIC per frame of one voice against two for a and b: positive means two voices. BIC's penalty grows with log n,
 * so over 20 s of speech it can outweigh the real difference of two similar voices; with `splitMarginPerFrame`, two
 * clusters of the same pitch stay apart while their ΔBIC per frame is above −margin (a spectral difference that
 * comes with a pitch change may be one person's intonation; one at the same pitch is more likely another throat).
 */
function splitScore(a: Cluster, b: Cluster, opts: Required<SpeakerOptions>): number {
  const bic = deltaBic(a.stats, b.stats, opts.penaltyWeight, a.logDet, b.logDet);
  const samePitch =
    a.pitchSemitones !== undefined &&
    b.pitchSemitones !== undefined &&
    Math.abs(a.pitchSemitones - b.pitchSemitones) <= SAME_PITCH_SEMITONES;
  return bic / (a.stats.count + b.stats.count) + (samePitch ? opts.splitMarginPerFrame : 0);
}

/** Agglomerative clustering: merge the pair with the lowest ΔBIC while one voice explains both. */
function clusterPieces(
  pieces: Piece[],
  candidates: number[],
  opts: Required<SpeakerOptions>,
): { clusters: Cluster[]; worstMerge: number } {
  const clusters = candidates.map((i) => clusterOf(pieces, [i]));
  let worstMerge = -Infinity; // the least convincing merge made (split score, negative)
  while (clusters.length > 1) {
    let best = { bic: Infinity, i: -1, j: -1 };
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const a = clusters[i]!;
        const b = clusters[j]!;
        if (isPitchVetoed(a, b, opts.pitchVetoSemitones)) continue;
        const bic = deltaBic(a.stats, b.stats, opts.penaltyWeight, a.logDet, b.logDet);
        if (bic < best.bic) best = { bic, i, j };
      }
    }
    if (best.i < 0) break;
    const score = splitScore(clusters[best.i]!, clusters[best.j]!, opts);
    if (score >= 0) break;
    worstMerge = Math.max(worstMerge, score);
    const merged = clusterOf(pieces, [...clusters[best.i]!.pieces, ...clusters[best.j]!.pieces]);
    clusters.splice(best.j, 1);
    clusters.splice(best.i, 1, merged);
  }
  return { clusters, worstMerge };
}

function nearestCluster(stats: GaussianStats, clusters: Cluster[], penaltyWeight: number): number {
  let best = { bic: Infinity, index: 0 };
  clusters.forEach((cluster, index) => {
    const bic = deltaBic(stats, cluster.stats, penaltyWeight, undefined, cluster.logDet);
    if (bic < best.bic) best = { bic, index };
  });
  return best.index;
}

/**
 * Short turns by a voice of clearly different pitch (a helper's "yes", a whispered-then-voiced answer): speech
 * segments whose median pitch lies more than `shortTurnSemitones` from the pitch of every voice found, with at
 * least `minShortVoiceSec` of such speech in the chunk. Too short for a covariance, long enough for a pitch.
 */
function findShortTurnVoice(
  pieces: Piece[],
  clusters: Cluster[],
  labelOfPiece: Map<number, number>,
  opts: Required<SpeakerOptions>,
): { pieces: Set<number>; marginSemitones: number; speechSec: number } | undefined {
  const voicePitches = clusters.map((_, c) =>
    medianSemitones(
      pieces.filter((_, p) => labelOfPiece.get(p) === c).flatMap((piece) => piece.pitchesHz),
      opts.minVoicePitchWindows,
    ),
  );
  if (voicePitches.some((pitch) => pitch === undefined)) return undefined;
  const bySegment = new Map<number, number[]>();
  pieces.forEach((piece, p) => bySegment.set(piece.segment, [...(bySegment.get(piece.segment) ?? []), p]));
  const outliers: number[] = [];
  let outlierSec = 0;
  let marginSemitones = Infinity;
  for (const members of bySegment.values()) {
    const pitch = medianSemitones(
      members.flatMap((p) => pieces[p]!.pitchesHz),
      opts.minTurnVoicedWindows,
    );
    if (pitch === undefined) continue;
    const distance = Math.min(...voicePitches.map((voice) => Math.abs(voice! - pitch)));
    if (distance <= opts.shortTurnSemitones) continue;
    const sec = members.reduce((sum, p) => sum + pieces[p]!.stats.count * opts.hopSec, 0);
    outliers.push(...members);
    outlierSec += sec;
    marginSemitones = Math.min(marginSemitones, distance - opts.shortTurnSemitones);
  }
  if (outlierSec < opts.minShortVoiceSec) return undefined;
  const total = pieces.reduce((sum, piece) => sum + piece.stats.count * opts.hopSec, 0);
  if (outlierSec > total / 2) return undefined; // most of the speech: the voices found are the odd ones out
  return { pieces: new Set(outliers), marginSemitones, speechSec: outlierSec };
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Counts voices in one chunk's speech with MFCC statistics and BIC agglomerative clustering (no model file). */
export function analyzeSpeakersMfccBic(
  pcm: Float32Array,
  segments: readonly SpeechSegment[],
  options: SpeakerOptions = {},
): SpeakerAnalysis {
  const opts = { ...DEFAULT_SPEAKER_OPTIONS, ...options };
  const { pieces, voicedRatios } = extractPieces(pcm, segments, opts);
  const frameSec = opts.hopSec;
  const empty: SpeakerAnalysis = {
    engine: 'mfcc-bic',
    speakerCount: 0,
    speakerChanges: [],
    confidence: 1,
    turns: [],
    voices: [],
    segmentVoicedRatios: voicedRatios,
  };
  if (pieces.length === 0) return empty;

  const long = pieces.map((_, i) => i).filter((i) => pieces[i]!.stats.count * frameSec >= opts.minPieceSec);
  const seeds = long.length > 0 ? long : pieces.map((_, i) => i);
  const { clusters, worstMerge } = clusterPieces(pieces, seeds, opts);

  // Fold clusters with too little speech into their nearest neighbour: brief noises and coughs are not voices.
  for (;;) {
    if (clusters.length < 2) break;
    const smallest = clusters.reduce((min, c, i) => (c.stats.count < clusters[min]!.stats.count ? i : min), 0);
    if (clusters[smallest]!.stats.count * frameSec >= opts.minSpeakerSec) break;
    const [small] = clusters.splice(smallest, 1);
    const target = nearestCluster(small!.stats, clusters, opts.penaltyWeight);
    clusters[target] = clusterOf(pieces, [...clusters[target]!.pieces, ...small!.pieces]);
  }

  const labelOfPiece = new Map<number, number>();
  clusters.forEach((cluster, c) => cluster.pieces.forEach((p) => labelOfPiece.set(p, c)));
  pieces.forEach((piece, p) => {
    if (!labelOfPiece.has(p)) labelOfPiece.set(p, nearestCluster(piece.stats, clusters, opts.penaltyWeight));
  });

  let pitchMarginSemitones = Infinity;
  let shortTurnCluster: Cluster | undefined;
  if (opts.shortTurnSemitones > 0) {
    const found = findShortTurnVoice(pieces, clusters, labelOfPiece, opts);
    // Every voice found must keep some speech: otherwise its own turns were the outliers.
    const emptied = clusters.some((_, c) => pieces.every((_, p) => labelOfPiece.get(p) !== c || found?.pieces.has(p)));
    if (found && !emptied) {
      // A voice heard for a fraction of a second is less certain however far its pitch is: the margin counts in
      // full from FULL_EVIDENCE_SEC of its speech.
      pitchMarginSemitones = found.marginSemitones * Math.min(1, found.speechSec / FULL_EVIDENCE_SEC);
      found.pieces.forEach((p) => labelOfPiece.set(p, clusters.length));
      // Each voice is rebuilt from every piece it is left with (short ones included: the new voice is all short).
      const members = (c: number): number[] => pieces.map((_, p) => p).filter((p) => labelOfPiece.get(p) === c);
      clusters.forEach((_, c) => (clusters[c] = clusterOf(pieces, members(c))));
      shortTurnCluster = clusterOf(pieces, members(clusters.length));
      clusters.push(shortTurnCluster);
    }
  }

  const { turns, speakerChanges, order } = buildTurns(pieces, (p) => labelOfPiece.get(p)!);

  // Confidence: how far the decisions were from the split boundary, per frame (and, for a voice found by its
  // pitch alone, how far past the pitch threshold it was).
  let separation = Infinity;
  for (let i = 0; i < clusters.length; i++) {
    for (let j = i + 1; j < clusters.length; j++) {
      const a = clusters[i]!;
      const b = clusters[j]!;
      if (isPitchVetoed(a, b, opts.pitchVetoSemitones) || a === shortTurnCluster || b === shortTurnCluster) continue;
      separation = Math.min(separation, splitScore(a, b, opts));
    }
  }
  const margin = Math.min(
    separation,
    Number.isFinite(worstMerge) ? -worstMerge : Infinity,
    pitchMarginSemitones * CONFIDENCE_SCALE_PER_FRAME,
  );
  const confidence = Number.isFinite(margin) ? round3(logistic(margin / CONFIDENCE_SCALE_PER_FRAME)) : 0.5;

  const voices: VoiceProfile[] = order.map((cluster, speaker) => ({
    speaker,
    speechSec: round3(clusters[cluster]!.stats.count * frameSec),
    stats: clusters[cluster]!.stats,
  }));
  return {
    engine: 'mfcc-bic',
    speakerCount: clusters.length,
    speakerChanges,
    confidence,
    turns,
    voices,
    segmentVoicedRatios: voicedRatios,
  };
}

export function createMfccBicSpeakerEngine(defaults: SpeakerOptions = {}): SpeakerEngine {
  return {
    engine: 'mfcc-bic',
    async analyze(pcm, segments, opts) {
      return analyzeSpeakersMfccBic(pcm, segments, { ...defaults, ...opts });
    },
    async close() {},
  };
}
