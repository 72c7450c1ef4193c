import { frameScores, wordErrorRate } from './metrics';

describe('frameScores', () => {
  it('is perfect for identical spans and counts misses and false alarms in seconds', () => {
    expect(frameScores([{ startSec: 1, endSec: 2 }], [{ startSec: 1, endSec: 2 }], 5).f1).toBeCloseTo(1, 5);
    const scores = frameScores([{ startSec: 1, endSec: 3 }], [{ startSec: 2, endSec: 4 }], 5);
    expect(scores.precision).toBeCloseTo(0.5, 2);
    expect(scores.recall).toBeCloseTo(0.5, 2);
    expect(scores.falsePositiveSec).toBeCloseTo(1, 2);
    expect(scores.falseNegativeSec).toBeCloseTo(1, 2);
  });
});

describe('wordErrorRate', () => {
  it('counts substitutions, deletions and insertions after normalisation', () => {
    expect(wordErrorRate('Okay, Google: what is it?', 'ok google what is it').wer).toBe(0);
    const scores = wordErrorRate('ask not what your country can do', 'ask what your county can do for');
    expect(scores).toMatchObject({ substitutions: 1, deletions: 1, insertions: 1, referenceWords: 7 });
    expect(scores.wer).toBeCloseTo(3 / 7, 5);
  });
});
