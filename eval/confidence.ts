/**
 * Exact (Clopper-Pearson) 95 % confidence intervals for the evals' proportions: with 45 or 60 cases a recall of
 * 75.6 % could be anything from 60 % to 87 %, and the tables say so.
 */
import { jStat } from 'jstat';

/** The 95 % interval of `k` successes in `n` trials, as fractions [low, high]. */
export function proportionInterval(k: number, n: number, level = 0.95): [number, number] {
  if (n <= 0) return [0, 1];
  const tail = (1 - level) / 2;
  const low = k === 0 ? 0 : jStat.beta.inv(tail, k, n - k + 1);
  const high = k === n ? 1 : jStat.beta.inv(1 - tail, k + 1, n - k);
  return [low, high];
}

/** "75.6 % (34/45, 95 % CI 60-87 %)". */
export function percentWithInterval(k: number, n: number): string {
  if (n <= 0) return '-';
  const [low, high] = proportionInterval(k, n);
  return `${((100 * k) / n).toFixed(1)} % (${k}/${n}, 95 % CI ${Math.round(100 * low)}-${Math.round(100 * high)} %)`;
}
