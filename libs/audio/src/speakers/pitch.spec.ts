import { medianSemitones, trackPitch } from './pitch';

/** A glottal-like pulse train: harmonics of f0 with falling amplitude. */
function voiced(f0: number, seconds = 1): Float32Array {
  return new Float32Array(16000 * seconds).map(
    (_, i) => [1, 2, 3, 4, 5].reduce((sum, h) => sum + Math.sin((2 * Math.PI * f0 * h * i) / 16000) / h, 0) * 0.2,
  );
}

describe('trackPitch', () => {
  it.each([110, 200, 300])('finds %i Hz in a harmonic signal', (f0) => {
    const { pitchHz } = trackPitch(voiced(f0));
    const median = [...pitchHz].filter((hz) => hz > 0).sort((a, b) => a - b)[Math.floor(pitchHz.length / 2)]!;
    expect(Math.abs(12 * Math.log2(median / f0))).toBeLessThan(0.7); // within a semitone step
  });

  it('calls noise unvoiced', () => {
    let seed = 7;
    const noise = new Float32Array(16000).map(
      () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.3,
    );
    const { pitchHz } = trackPitch(noise);
    expect(pitchHz.filter((hz) => hz > 0).length / pitchHz.length).toBeLessThan(0.2);
  });

  it('medianSemitones needs enough voiced values', () => {
    expect(medianSemitones([110, 0, 0], 2)).toBeUndefined();
    expect(medianSemitones([110, 110, 220], 2)).toBeCloseTo(12, 5);
  });
});
