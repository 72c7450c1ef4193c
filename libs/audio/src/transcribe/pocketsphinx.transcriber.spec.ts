import { parsePocketsphinxTimes } from './pocketsphinx.transcriber';

describe('parsePocketsphinxTimes', () => {
  it('reads utterances and word times, dropping fillers and pronunciation variants', () => {
    const output = [
      'mr quilter is the',
      '<s> 0.000 0.180 0.999300',
      '<sil> 0.190 0.520 0.761297',
      'mr 0.530 0.770 0.950748',
      'quilter 0.780 1.260 0.737171',
      '[NOISE] 1.260 1.300 0.5',
      'is(2) 1.270 1.410 0.880809',
      '</s> 1.520 1.830 1.000000',
      'glad',
      '<s> 5.000 5.100 0.9',
      'glad 5.660 6.060 1.000000',
      '</s> 6.060 6.100 1.0',
    ].join('\n');
    const segments = parsePocketsphinxTimes(output, (sec) => sec + 10);
    expect(segments).toHaveLength(2);
    expect(segments[0]!.text).toBe('mr quilter is');
    expect(segments[0]!.words![2]).toEqual({ word: 'is', startSec: 11.27, endSec: 11.41, confidence: 0.880809 });
    expect(segments[1]!.startSec).toBeCloseTo(15.66, 3);
  });
});
