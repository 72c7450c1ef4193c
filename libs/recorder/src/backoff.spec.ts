import { backoffDelayMs, parseRetryAfterMs } from './backoff';

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 1_000, maxDelayMs: 30_000 };

  it('doubles per attempt between half and all of base·2^(n-1), capped', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, options, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, options, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(backoffDelayMs(20, options, () => 1)).toBe(30_000);
    expect(backoffDelayMs(20, options, () => 0)).toBe(15_000);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds and HTTP dates, ignores the rest', () => {
    expect(parseRetryAfterMs('3')).toBe(3_000);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterMs(null)).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });
});
