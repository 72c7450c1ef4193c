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
import { computeMfcc } from './mfcc.features';
import { buildTurns } from './speaker-turns';
import { medianSemitones, trackPitch, voicedShare } from './pitch';
import type { SpeakerAnalysis, SpeakerEngine, SpeakerOptions, VoiceProfile } from './speakers.types';

export const DEFAULT_SPEAKER_OPTIONS: Required<SpeakerOptions> = {
  sampleRate: 16_000,
  pieceSec: 2,
  minSpeakerSec: 1.5,
  penaltyWeight: 1.8,
  energyRangeDb: 30,
  mfccCoefficients: 16,
  pitchVetoSemitones: 5,
  hopSec: 0.01,
};

/** Pieces with fewer frames than this give no stable covariance: they are labelled after clustering. */
const MIN_CLUSTER_SEC = 0.6;
/** ΔBIC per frame that maps to a confidence of about 0.73 (logistic). Heuristic scale. */
const CONFIDENCE_SCALE_PER_FRAME = 0.02;

interface Piece {
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
  const perSegment = segments.map((segment) => {
    const start = Math.max(0, Math.floor(segment.startSec * opts.sampleRate));
    const end = Math.min(pcm.length, Math.ceil(segment.endSec * opts.sampleRate));
    return {
      offsetSec: start / opts.sampleRate,
      mfcc: computeMfcc(pcm.subarray(start, end), {
        sampleRate: opts.sampleRate,
        coefficients: opts.mfccCoefficients,
        hopSamples: Math.round(opts.hopSec * opts.sampleRate),
      }),
      pitch: trackPitch(pcm.subarray(start, end), opts.sampleRate),
    };
  });
  const energies = perSegment.flatMap(({ mfcc }) => Array.from(mfcc.energyDb)).sort((a, b) => a - b);
  const voicedRatios = perSegment.map(({ pitch }) => voicedShare(pitch.pitchHz));
  if (energies.length === 0) return { pieces: [], voicedRatios };
  const loudDb = energies[Math.floor(energies.length * 0.95)]!;
  const floorDb = loudDb - opts.energyRangeDb;

  const pieces: Piece[] = [];
  for (const { offsetSec, mfcc, pitch } of perSegment) {
    const framesPerPiece = Math.max(1, Math.round(opts.pieceSec / mfcc.hopSec));
    const segmentPieces: Piece[] = [];
    let current: Piece | undefined;
    for (let f = 0; f < mfcc.frameCount; f++) {
      if (mfcc.energyDb[f]! < floorDb) continue;
      const timeSec = offsetSec + f * mfcc.hopSec;
      if (!current || current.stats.count >= framesPerPiece) {
        current = { startSec: timeSec, endSec: timeSec, stats: emptyStats(mfcc.coefficients), pitchesHz: [] };
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
    if (opts.pitchVetoSemitones > 0) {
      pitch.pitchHz.forEach((hz, w) => {
        const timeSec = offsetSec + w * pitch.hopSec;
        segmentPieces.find((p) => timeSec >= p.startSec && timeSec < p.endSec)?.pitchesHz.push(hz);
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

/** Agglomerative clustering: merge the closest pair while ΔBIC says one voice explains both. */
function clusterPieces(
  pieces: Piece[],
  candidates: number[],
  penaltyWeight: number,
  pitchVetoSemitones: number,
): { clusters: Cluster[]; worstMergeBic: number } {
  const clusters = candidates.map((i) => clusterOf(pieces, [i]));
  let worstMergeBic = -Infinity; // the least convincing merge made
  const distance = (a: Cluster, b: Cluster): number => {
    if (isPitchVetoed(a, b, pitchVetoSemitones)) return Infinity;
    return deltaBic(a.stats, b.stats, penaltyWeight, a.logDet, b.logDet);
  };
  while (clusters.length > 1) {
    let best = { bic: Infinity, i: -1, j: -1 };
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const bic = distance(clusters[i]!, clusters[j]!);
        if (bic < best.bic) best = { bic, i, j };
      }
    }
    if (best.bic >= 0) break;
    worstMergeBic = Math.max(worstMergeBic, best.bic / (clusters[best.i]!.stats.count + clusters[best.j]!.stats.count));
    const merged = clusterOf(pieces, [...clusters[best.i]!.pieces, ...clusters[best.j]!.pieces]);
    clusters.splice(best.j, 1);
    clusters.splice(best.i, 1, merged);
  }
  return { clusters, worstMergeBic };
}

function nearestCluster(stats: GaussianStats, clusters: Cluster[], penaltyWeight: number): number {
  let best = { bic: Infinity, index: 0 };
  clusters.forEach((cluster, index) => {
    const bic = deltaBic(stats, cluster.stats, penaltyWeight, undefined, cluster.logDet);
    if (bic < best.bic) best = { bic, index };
  });
  return best.index;
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

  const long = pieces.map((_, i) => i).filter((i) => pieces[i]!.stats.count * frameSec >= MIN_CLUSTER_SEC);
  const seeds = long.length > 0 ? long : pieces.map((_, i) => i);
  const { clusters, worstMergeBic } = clusterPieces(pieces, seeds, opts.penaltyWeight, opts.pitchVetoSemitones);

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

  const { turns, speakerChanges, order } = buildTurns(pieces, (p) => labelOfPiece.get(p)!);

  // Confidence: how far the decisions were from the ΔBIC = 0 boundary, per frame.
  let separation = Infinity;
  for (let i = 0; i < clusters.length; i++) {
    for (let j = i + 1; j < clusters.length; j++) {
      const a = clusters[i]!;
      const b = clusters[j]!;
      if (isPitchVetoed(a, b, opts.pitchVetoSemitones)) continue; // kept apart by pitch, not by ΔBIC
      separation = Math.min(
        separation,
        deltaBic(a.stats, b.stats, opts.penaltyWeight, a.logDet, b.logDet) / (a.stats.count + b.stats.count),
      );
    }
  }
  const margin = Math.min(separation, Number.isFinite(worstMergeBic) ? -worstMergeBic : Infinity);
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
