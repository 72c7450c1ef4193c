/** Evaluation metrics shared by `npm run eval` and tests. */
import type { TimeSpan } from '../types';
import { tokenize } from '../phrases/transcript-phrase.matcher';

export interface FrameScores {
  precision: number;
  recall: number;
  f1: number;
  truePositiveSec: number;
  falsePositiveSec: number;
  falseNegativeSec: number;
}

function coveredFrames(spans: ReadonlyArray<TimeSpan>, frames: number, frameSec: number): Uint8Array {
  const covered = new Uint8Array(frames);
  for (const span of spans) {
    for (
      let f = Math.max(0, Math.floor(span.startSec / frameSec));
      f < Math.min(frames, Math.ceil(span.endSec / frameSec));
      f++
    )
      covered[f] = 1;
  }
  return covered;
}

/** Frame-level precision/recall/F1 of detected speech against reference speech (10 ms frames by default). */
export function frameScores(
  reference: ReadonlyArray<TimeSpan>,
  detected: ReadonlyArray<TimeSpan>,
  durationSec: number,
  frameSec = 0.01,
): FrameScores {
  const frames = Math.ceil(durationSec / frameSec);
  const ref = coveredFrames(reference, frames, frameSec);
  const hyp = coveredFrames(detected, frames, frameSec);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let f = 0; f < frames; f++) {
    if (ref[f] && hyp[f]) tp++;
    else if (hyp[f]) fp++;
    else if (ref[f]) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return {
    precision,
    recall,
    f1,
    truePositiveSec: tp * frameSec,
    falsePositiveSec: fp * frameSec,
    falseNegativeSec: fn * frameSec,
  };
}

export interface WerScores {
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

/** Word error rate after normalising case, punctuation and spelling variants ("okay" = "ok"). */
export function wordErrorRate(reference: string, hypothesis: string): WerScores {
  const ref = tokenize(reference);
  const hyp = tokenize(hypothesis);
  // dp over (ref, hyp) keeping edit counts for the cheapest path
  type Cell = { cost: number; s: number; d: number; i: number };
  let previous: Cell[] = Array.from({ length: hyp.length + 1 }, (_, j) => ({ cost: j, s: 0, d: 0, i: j }));
  for (let r = 1; r <= ref.length; r++) {
    const current: Cell[] = [{ cost: r, s: 0, d: r, i: 0 }];
    for (let h = 1; h <= hyp.length; h++) {
      const same = ref[r - 1] === hyp[h - 1];
      const diagonal = previous[h - 1]!;
      const up = previous[h]!;
      const left = current[h - 1]!;
      const options: Cell[] = [
        { cost: diagonal.cost + (same ? 0 : 1), s: diagonal.s + (same ? 0 : 1), d: diagonal.d, i: diagonal.i },
        { cost: up.cost + 1, s: up.s, d: up.d + 1, i: up.i },
        { cost: left.cost + 1, s: left.s, d: left.d, i: left.i + 1 },
      ];
      current.push(options.reduce((best, o) => (o.cost < best.cost ? o : best)));
    }
    previous = current;
  }
  const last = previous[hyp.length]!;
  return {
    wer: ref.length ? last.cost / ref.length : hyp.length ? 1 : 0,
    substitutions: last.s,
    deletions: last.d,
    insertions: last.i,
    referenceWords: ref.length,
  };
}
