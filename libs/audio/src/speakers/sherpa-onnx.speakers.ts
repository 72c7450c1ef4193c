// sherpa-onnx-node ships no types; the reference lets every consumer's tsconfig (e.g. apps/analyzer) see them.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../types/sherpa-onnx-node.d.ts" />
import type { SpeechSegment } from '../types';
import { round3 } from '../vad/speech-segments';
import { cosineSimilarity } from './cosine-similarity';
import { trackPitch, voicedShare } from './pitch';
import { buildTurns } from './speaker-turns';
import type { SpeakerAnalysis, SpeakerEngine, VoiceProfile } from './speakers.types';

export interface SherpaSpeakerOptions {
  /** ONNX speaker-embedding model (CAM++, WeSpeaker, 3D-Speaker ERes2Net) as sherpa-onnx loads them. */
  modelPath: string;
  numThreads?: number;
  /** Clusters whose mean embeddings have a cosine similarity at or above this are one voice. Default 0.5. */
  similarityThreshold?: number;
  /** Speech is embedded in pieces of this length. Default 1.5 s. */
  pieceSec?: number;
  /** Shorter leftovers are not embedded on their own. Default 0.5 s. */
  minPieceSec?: number;
  /** Clusters with less speech are folded into the most similar one. Default 1.5 s. */
  minSpeakerSec?: number;
  sampleRate?: number;
}

interface EmbeddingStream {
  acceptWaveform(wave: { sampleRate: number; samples: Float32Array }): void;
}
interface EmbeddingExtractor {
  dim: number;
  createStream(): EmbeddingStream;
  compute(stream: EmbeddingStream): Float32Array;
}
interface SherpaModule {
  SpeakerEmbeddingExtractor: new (config: { model: string; numThreads: number; debug: boolean }) => EmbeddingExtractor;
}

interface EmbeddedPiece {
  startSec: number;
  endSec: number;
  embedding: Float32Array;
}

interface EmbeddingCluster {
  pieces: number[];
  sum: Float64Array;
  speechSec: number;
}

function mergeInto(a: EmbeddingCluster, b: EmbeddingCluster): EmbeddingCluster {
  return {
    pieces: [...a.pieces, ...b.pieces],
    sum: a.sum.map((v, i) => v + b.sum[i]!),
    speechSec: a.speechSec + b.speechSec,
  };
}

/** Agglomerative clustering of piece embeddings by cosine similarity of cluster means. */
export function clusterEmbeddings(
  pieces: readonly EmbeddedPiece[],
  threshold: number,
  minSpeakerSec: number,
): { clusters: EmbeddingCluster[]; margin: number } {
  const clusters: EmbeddingCluster[] = pieces.map((p, i) => ({
    pieces: [i],
    sum: Float64Array.from(p.embedding),
    speechSec: p.endSec - p.startSec,
  }));
  let margin = Infinity;
  const closestPair = (): { similarity: number; i: number; j: number } => {
    let best = { similarity: -Infinity, i: -1, j: -1 };
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const similarity = cosineSimilarity(clusters[i]!.sum, clusters[j]!.sum);
        if (similarity > best.similarity) best = { similarity, i, j };
      }
    }
    return best;
  };
  while (clusters.length > 1) {
    const best = closestPair();
    margin = Math.min(margin, Math.abs(best.similarity - threshold));
    if (best.similarity < threshold) break;
    clusters[best.i] = mergeInto(clusters[best.i]!, clusters[best.j]!);
    clusters.splice(best.j, 1);
  }
  for (;;) {
    if (clusters.length < 2) break;
    const smallest = clusters.reduce((min, c, i) => (c.speechSec < clusters[min]!.speechSec ? i : min), 0);
    if (clusters[smallest]!.speechSec >= minSpeakerSec) break;
    const [small] = clusters.splice(smallest, 1);
    let target = 0;
    clusters.forEach((c, i) => {
      if (cosineSimilarity(c.sum, small!.sum) > cosineSimilarity(clusters[target]!.sum, small!.sum)) target = i;
    });
    clusters[target] = mergeInto(clusters[target]!, small!);
  }
  return { clusters, margin };
}

/**
 * Neural speaker engine through sherpa-onnx-node, given a model file: speech in 1.5 s pieces, one embedding each,
 * clustered by cosine similarity. Voices carry their mean embedding for the session stage.
 */
export async function createSherpaSpeakerEngine(options: SherpaSpeakerOptions): Promise<SpeakerEngine> {
  const sherpa = (await import('sherpa-onnx-node')) as unknown as SherpaModule;
  const extractor = new sherpa.SpeakerEmbeddingExtractor({
    model: options.modelPath,
    numThreads: options.numThreads ?? 1,
    debug: false,
  });
  const sampleRate = options.sampleRate ?? 16_000;
  const pieceSec = options.pieceSec ?? 1.5;
  const minPieceSec = options.minPieceSec ?? 0.5;
  const threshold = options.similarityThreshold ?? 0.5;
  const minSpeakerSec = options.minSpeakerSec ?? 1.5;

  const embed = (samples: Float32Array): Float32Array => {
    const stream = extractor.createStream();
    stream.acceptWaveform({ sampleRate, samples: Float32Array.from(samples) });
    return extractor.compute(stream);
  };

  return {
    engine: 'sherpa-onnx',
    async analyze(pcm: Float32Array, segments: readonly SpeechSegment[]): Promise<SpeakerAnalysis> {
      const pieces: EmbeddedPiece[] = [];
      for (const segment of segments) {
        for (let start = segment.startSec; segment.endSec - start >= minPieceSec; start += pieceSec) {
          const end =
            segment.endSec - (start + pieceSec) < minPieceSec
              ? segment.endSec
              : Math.min(segment.endSec, start + pieceSec);
          pieces.push({
            startSec: start,
            endSec: end,
            embedding: embed(pcm.subarray(Math.floor(start * sampleRate), Math.ceil(end * sampleRate))),
          });
          if (end === segment.endSec) break;
        }
      }
      const segmentVoicedRatios = segments.map((segment) =>
        voicedShare(
          trackPitch(
            pcm.subarray(Math.floor(segment.startSec * sampleRate), Math.ceil(segment.endSec * sampleRate)),
            sampleRate,
          ).pitchHz,
        ),
      );
      if (pieces.length === 0)
        return {
          engine: 'sherpa-onnx',
          speakerCount: 0,
          speakerChanges: [],
          confidence: 1,
          turns: [],
          voices: [],
          segmentVoicedRatios,
        };
      const { clusters, margin } = clusterEmbeddings(pieces, threshold, minSpeakerSec);
      const clusterOfPiece = new Map<number, number>();
      clusters.forEach((c, ci) => c.pieces.forEach((p) => clusterOfPiece.set(p, ci)));
      const { turns, speakerChanges, order } = buildTurns(pieces, (p) => clusterOfPiece.get(p)!);
      const voices: VoiceProfile[] = order.map((cluster, speaker) => {
        const c = clusters[cluster]!;
        return { speaker, speechSec: round3(c.speechSec), embedding: Array.from(c.sum, (v) => v / c.pieces.length) };
      });
      // A similarity 0.2 away from the threshold maps to a confidence of about 0.88.
      const confidence = Number.isFinite(margin) ? round3(1 / (1 + Math.exp(-margin / 0.1))) : 1;
      return {
        engine: 'sherpa-onnx',
        speakerCount: clusters.length,
        speakerChanges,
        confidence,
        turns,
        voices,
        segmentVoicedRatios,
      };
    },
    async close() {},
  };
}
