import { accumulateFrame, deltaBic, emptyStats, type GaussianStats } from './gaussian-stats';

/** Deterministic pseudo-random normal samples (Box-Muller over a linear congruential generator). */
function gaussianFrames(count: number, mean: number[], spread: number, seed: number): GaussianStats {
  let state = seed;
  const uniform = (): number => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return (state + 0.5) / 4294967296;
  };
  const stats = emptyStats(mean.length);
  for (let n = 0; n < count; n++) {
    const frame = mean.map((m) => m + spread * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
    accumulateFrame(stats, frame, 0);
  }
  return stats;
}

describe('deltaBic', () => {
  const d = 6;
  it('is negative for two stretches drawn from one distribution', () => {
    const a = gaussianFrames(200, new Array<number>(d).fill(0), 1, 1);
    const b = gaussianFrames(200, new Array<number>(d).fill(0), 1, 2);
    expect(deltaBic(a, b, 1)).toBeLessThan(0);
  });

  it('is positive when the means differ clearly', () => {
    const a = gaussianFrames(200, new Array<number>(d).fill(0), 1, 1);
    const b = gaussianFrames(200, new Array<number>(d).fill(1.5), 1, 2);
    expect(deltaBic(a, b, 1)).toBeGreaterThan(0);
  });

  it('grows with the penalty weight toward merging', () => {
    const a = gaussianFrames(200, new Array<number>(d).fill(0), 1, 1);
    const b = gaussianFrames(200, new Array<number>(d).fill(0.4), 1, 2);
    expect(deltaBic(a, b, 4)).toBeLessThan(deltaBic(a, b, 1));
  });
});
