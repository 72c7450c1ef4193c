/**
 * Full-covariance Gaussian sufficient statistics and the Bayesian Information Criterion used to decide whether
 * two stretches of speech come from one voice. Serialisable: a voice profile is plain arrays.
 */
export interface GaussianStats {
  /** Frames summed. */
  count: number;
  /** Sum of feature vectors (d). */
  sum: number[];
  /** Sum of outer products, row-major (d × d). */
  sumOuter: number[];
}

const COVARIANCE_FLOOR = 1e-3;

export function emptyStats(dimensions: number): GaussianStats {
  return {
    count: 0,
    sum: new Array<number>(dimensions).fill(0),
    sumOuter: new Array<number>(dimensions * dimensions).fill(0),
  };
}

export function accumulateFrame(stats: GaussianStats, features: ArrayLike<number>, offset: number): void {
  const d = stats.sum.length;
  stats.count++;
  for (let i = 0; i < d; i++) {
    const xi = features[offset + i]!;
    stats.sum[i]! += xi;
    for (let j = 0; j < d; j++) stats.sumOuter[i * d + j]! += xi * features[offset + j]!;
  }
}

export function mergeStats(a: GaussianStats, b: GaussianStats): GaussianStats {
  return {
    count: a.count + b.count,
    sum: a.sum.map((v, i) => v + b.sum[i]!),
    sumOuter: a.sumOuter.map((v, i) => v + b.sumOuter[i]!),
  };
}

export function meanOf(stats: GaussianStats): number[] {
  return stats.sum.map((v) => v / Math.max(1, stats.count));
}

/** log-determinant of the covariance, via Cholesky (with a small diagonal floor for short stretches). */
export function logDetCovariance(stats: GaussianStats): number {
  const d = stats.sum.length;
  const n = Math.max(1, stats.count);
  const mean = meanOf(stats);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) cov[i * d + j] = stats.sumOuter[i * d + j]! / n - mean[i]! * mean[j]!;
    cov[i * d + i]! += COVARIANCE_FLOOR;
  }
  let logDet = 0;
  // Cholesky in place (lower triangle)
  for (let j = 0; j < d; j++) {
    let diagonal = cov[j * d + j]!;
    for (let k = 0; k < j; k++) diagonal -= cov[j * d + k]! ** 2;
    if (diagonal <= 0) diagonal = COVARIANCE_FLOOR;
    const root = Math.sqrt(diagonal);
    cov[j * d + j] = root;
    logDet += 2 * Math.log(root);
    for (let i = j + 1; i < d; i++) {
      let value = cov[i * d + j]!;
      for (let k = 0; k < j; k++) value -= cov[i * d + k]! * cov[j * d + k]!;
      cov[i * d + j] = value / root;
    }
  }
  return logDet;
}

/**
 * ΔBIC of modelling a and b with one Gaussian versus two. Positive: two voices explain the data better than one
 * by more than the model-size penalty (weighted by `penaltyWeight`, the usual λ).
 */
export function deltaBic(
  a: GaussianStats,
  b: GaussianStats,
  penaltyWeight: number,
  logDetA?: number,
  logDetB?: number,
): number {
  const d = a.sum.length;
  const merged = mergeStats(a, b);
  const n = merged.count;
  const likelihoodGain =
    0.5 *
    (n * logDetCovariance(merged) -
      a.count * (logDetA ?? logDetCovariance(a)) -
      b.count * (logDetB ?? logDetCovariance(b)));
  const parameters = d + (d * (d + 1)) / 2;
  return likelihoodGain - penaltyWeight * 0.5 * parameters * Math.log(n);
}
