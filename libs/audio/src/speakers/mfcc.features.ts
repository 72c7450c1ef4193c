/** MFCC features for speaker analysis: 25 ms Hamming windows every 10 ms, a mel filterbank, DCT-II. */

export interface MfccOptions {
  sampleRate?: number;
  /** Window length in samples. Default 400 (25 ms at 16 kHz). */
  windowSamples?: number;
  /** Hop in samples. Default 160 (10 ms at 16 kHz). */
  hopSamples?: number;
  /** Mel filters. Default 26. */
  melFilters?: number;
  /** Cepstral coefficients kept, c1 onwards (c0, the loudness, is dropped). Default 12. */
  coefficients?: number;
  lowHz?: number;
  highHz?: number;
}

export interface MfccFrames {
  /** frames × coefficients, row-major. */
  features: Float64Array;
  /** Log energy per frame (dB), to drop frames near the noise floor. */
  energyDb: Float64Array;
  frameCount: number;
  coefficients: number;
  hopSec: number;
}

const FFT_SIZE = 512;

function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

interface MfccPlan {
  window: Float64Array;
  filters: Array<{ start: number; weights: Float64Array }>;
  dct: Float64Array;
  cosTable: Float64Array;
  sinTable: Float64Array;
  bitReverse: Uint16Array;
}

const planCache = new Map<string, MfccPlan>();

function makePlan(
  windowSamples: number,
  melFilters: number,
  coefficients: number,
  sampleRate: number,
  lowHz: number,
  highHz: number,
): MfccPlan {
  const key = [windowSamples, melFilters, coefficients, sampleRate, lowHz, highHz].join(':');
  const cached = planCache.get(key);
  if (cached) return cached;
  const window = new Float64Array(windowSamples).map(
    (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (windowSamples - 1)),
  );
  const bins = FFT_SIZE / 2 + 1;
  const lowMel = hzToMel(lowHz);
  const highMel = hzToMel(highHz);
  const edges = Array.from({ length: melFilters + 2 }, (_, i) =>
    Math.floor(((FFT_SIZE + 1) * melToHz(lowMel + ((highMel - lowMel) * i) / (melFilters + 1))) / sampleRate),
  );
  const filters = Array.from({ length: melFilters }, (_, m) => {
    const [left, center, right] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const weights = new Float64Array(Math.max(1, Math.min(bins - 1, right) - left + 1));
    for (let k = left; k <= Math.min(bins - 1, right); k++) {
      weights[k - left] =
        k <= center ? (k - left) / Math.max(1, center - left) : (right - k) / Math.max(1, right - center);
    }
    return { start: left, weights };
  });
  const dct = new Float64Array(coefficients * melFilters);
  for (let c = 0; c < coefficients; c++) {
    for (let m = 0; m < melFilters; m++)
      dct[c * melFilters + m] = Math.cos((Math.PI * (c + 1) * (m + 0.5)) / melFilters);
  }
  const cosTable = new Float64Array(FFT_SIZE / 2).map((_, i) => Math.cos((-2 * Math.PI * i) / FFT_SIZE));
  const sinTable = new Float64Array(FFT_SIZE / 2).map((_, i) => Math.sin((-2 * Math.PI * i) / FFT_SIZE));
  const bits = Math.log2(FFT_SIZE);
  const bitReverse = new Uint16Array(FFT_SIZE).map((_, i) => {
    let reversed = 0;
    for (let b = 0; b < bits; b++) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    return reversed;
  });
  const plan = { window, filters, dct, cosTable, sinTable, bitReverse };
  planCache.set(key, plan);
  return plan;
}

/** In-place iterative radix-2 FFT on FFT_SIZE points. */
function fft(re: Float64Array, im: Float64Array, plan: MfccPlan): void {
  for (let i = 0; i < FFT_SIZE; i++) {
    const j = plan.bitReverse[i]!;
    if (j > i) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let size = 2; size <= FFT_SIZE; size *= 2) {
    const half = size / 2;
    const step = FFT_SIZE / size;
    for (let start = 0; start < FFT_SIZE; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = plan.cosTable[k * step]!;
        const wi = plan.sinTable[k * step]!;
        const a = start + k;
        const b = a + half;
        const tr = wr * re[b]! - wi * im[b]!;
        const ti = wr * im[b]! + wi * re[b]!;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

/** MFCCs of a stretch of PCM. Frames are numbered from `pcm[0]`. */
export function computeMfcc(pcm: Float32Array, options: MfccOptions = {}): MfccFrames {
  const sampleRate = options.sampleRate ?? 16_000;
  const windowSamples = options.windowSamples ?? 400;
  const hopSamples = options.hopSamples ?? 160;
  const melFilters = options.melFilters ?? 26;
  const coefficients = options.coefficients ?? 12;
  const plan = makePlan(
    windowSamples,
    melFilters,
    coefficients,
    sampleRate,
    options.lowHz ?? 100,
    options.highHz ?? 7_000,
  );
  const frameCount = pcm.length >= windowSamples ? 1 + Math.floor((pcm.length - windowSamples) / hopSamples) : 0;
  const features = new Float64Array(frameCount * coefficients);
  const energyDb = new Float64Array(frameCount);
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  const logMel = new Float64Array(melFilters);
  for (let f = 0; f < frameCount; f++) {
    const offset = f * hopSamples;
    re.fill(0);
    im.fill(0);
    let energy = 0;
    let previous = offset > 0 ? pcm[offset - 1]! : 0;
    for (let i = 0; i < windowSamples; i++) {
      const sample = pcm[offset + i]!;
      energy += sample * sample;
      re[i] = (sample - 0.97 * previous) * plan.window[i]!; // pre-emphasis
      previous = sample;
    }
    energyDb[f] = 10 * Math.log10(energy / windowSamples + 1e-12);
    fft(re, im, plan);
    for (let m = 0; m < melFilters; m++) {
      const { start, weights } = plan.filters[m]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        const bin = start + k;
        sum += weights[k]! * (re[bin]! * re[bin]! + im[bin]! * im[bin]!);
      }
      logMel[m] = Math.log(sum + 1e-10);
    }
    for (let c = 0; c < coefficients; c++) {
      let sum = 0;
      for (let m = 0; m < melFilters; m++) sum += plan.dct[c * melFilters + m]! * logMel[m]!;
      features[f * coefficients + c] = sum;
    }
  }
  return { features, energyDb, frameCount, coefficients, hopSec: hopSamples / sampleRate };
}
