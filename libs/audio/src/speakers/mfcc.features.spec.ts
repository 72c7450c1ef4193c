import { computeMfcc, powerSpectrum512 } from './mfcc.features';

describe('powerSpectrum512', () => {
  it('matches a direct DFT of 512 real samples', () => {
    const samples = new Float64Array(512).map(
      (_, n) => Math.sin(n * 0.3) + 0.5 * Math.cos(n * 1.1 + 0.2) + ((n * 7919) % 13) / 13 - 0.5,
    );
    const power = new Float64Array(257);
    powerSpectrum512(samples, power);
    for (const k of [0, 1, 24, 25, 90, 128, 200, 255, 256]) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 512; n++) {
        re += samples[n]! * Math.cos((-2 * Math.PI * k * n) / 512);
        im += samples[n]! * Math.sin((-2 * Math.PI * k * n) / 512);
      }
      expect(power[k]).toBeCloseTo(re * re + im * im, 6);
    }
  });
});

describe('computeMfcc', () => {
  it('frames every 10 ms and separates two different tones', () => {
    const tone = (hz: number) => new Float32Array(16000).map((_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / 16000));
    const low = computeMfcc(tone(300));
    const high = computeMfcc(tone(3000));
    expect(low.frameCount).toBe(98);
    expect(low.coefficients).toBe(12);
    const distance = Array.from(
      { length: 12 },
      (_, c) => (low.features[50 * 12 + c]! - high.features[50 * 12 + c]!) ** 2,
    ).reduce((a, b) => a + b);
    expect(Math.sqrt(distance)).toBeGreaterThan(5);
  });
});
