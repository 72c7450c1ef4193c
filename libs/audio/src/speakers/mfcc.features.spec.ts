import { computeMfcc, frameEnergiesDb, powerSpectrum, powerSpectrum512 } from './mfcc.features';

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

describe('powerSpectrum', () => {
  it('matches a direct DFT for a 256-point frame too', () => {
    const samples = new Float64Array(256).map((_, n) => Math.sin(n * 0.7) + ((n * 31) % 7) / 7 - 0.5);
    const power = new Float64Array(129);
    powerSpectrum(samples, power, 256);
    for (const k of [0, 1, 28, 64, 127, 128]) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 256; n++) {
        re += samples[n]! * Math.cos((-2 * Math.PI * k * n) / 256);
        im += samples[n]! * Math.sin((-2 * Math.PI * k * n) / 256);
      }
      expect(power[k]).toBeCloseTo(re * re + im * im, 6);
    }
  });
});

describe('frames under minEnergyDb', () => {
  it('get no coefficients, and the others are the same as without the floor', () => {
    const pcm = new Float32Array(16000).map((_, i) => (i < 8000 ? 0.001 : 0.3) * Math.sin(i * 0.2));
    const all = computeMfcc(pcm, { windowSamples: 256 });
    const loudOnly = computeMfcc(pcm, { windowSamples: 256, minEnergyDb: -30 });
    const energies = frameEnergiesDb(pcm, 256, 160);
    expect(Array.from(energies)).toEqual(Array.from(all.energyDb));
    const quiet = 10;
    const loud = 80;
    expect(energies[quiet]).toBeLessThan(-30);
    expect(energies[loud]).toBeGreaterThan(-30);
    expect(Array.from(loudOnly.features.subarray(quiet * 12, (quiet + 1) * 12))).toEqual(new Array(12).fill(0));
    expect(Array.from(loudOnly.features.subarray(loud * 12, (loud + 1) * 12))).toEqual(
      Array.from(all.features.subarray(loud * 12, (loud + 1) * 12)),
    );
  });
});
