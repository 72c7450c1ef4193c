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
  /** Frames quieter than this (dB, as in `energyDb`) get no coefficients (left 0): saves the FFT. */
  minEnergyDb?: number;
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

function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

interface MfccPlan {
  fftSize: number;
  window: Float64Array;
  filters: Array<{ start: number; weights: Float64Array }>;
  dct: Float64Array;
}

/** Tables of a real N-point FFT done as an N/2-point complex FFT plus a split step. */
interface FftTables {
  half: number;
  cosTable: Float64Array;
  sinTable: Float64Array;
  bitReverse: Uint16Array;
  splitCos: Float64Array;
  splitSin: Float64Array;
}

const fftTablesCache = new Map<number, FftTables>();

function fftTables(size: number): FftTables {
  const cached = fftTablesCache.get(size);
  if (cached) return cached;
  const half = size / 2;
  const bits = Math.log2(half);
  const tables = {
    half,
    cosTable: new Float64Array(half / 2).map((_, i) => Math.cos((-2 * Math.PI * i) / half)),
    sinTable: new Float64Array(half / 2).map((_, i) => Math.sin((-2 * Math.PI * i) / half)),
    bitReverse: new Uint16Array(half).map((_, i) => {
      let reversed = 0;
      for (let b = 0; b < bits; b++) reversed |= ((i >> b) & 1) << (bits - 1 - b);
      return reversed;
    }),
    splitCos: new Float64Array(half + 1).map((_, k) => Math.cos((-2 * Math.PI * k) / size)),
    splitSin: new Float64Array(half + 1).map((_, k) => Math.sin((-2 * Math.PI * k) / size)),
  };
  fftTablesCache.set(size, tables);
  return tables;
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
  const fftSize = 2 ** Math.ceil(Math.log2(Math.max(4, windowSamples)));
  const window = new Float64Array(windowSamples).map(
    (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (windowSamples - 1)),
  );
  const bins = fftSize / 2 + 1;
  const lowMel = hzToMel(lowHz);
  const highMel = hzToMel(highHz);
  const edges = Array.from({ length: melFilters + 2 }, (_, i) =>
    Math.floor(((fftSize + 1) * melToHz(lowMel + ((highMel - lowMel) * i) / (melFilters + 1))) / sampleRate),
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
  const plan = { fftSize, window, filters, dct };
  planCache.set(key, plan);
  return plan;
}

/** In-place iterative radix-2 complex FFT of `half` points (no allocation: it runs for every frame). */
function complexFft(re: Float64Array, im: Float64Array, tables: FftTables): void {
  const { half: n, bitReverse, cosTable, sinTable } = tables;
  for (let i = 0; i < n; i++) {
    const j = bitReverse[i]!;
    if (j > i) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const halfSize = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < halfSize; k++) {
        const wr = cosTable[k * step]!;
        const wi = sinTable[k * step]!;
        const a = start + k;
        const b = a + halfSize;
        const rb = re[b]!;
        const ib = im[b]!;
        const tr = wr * rb - wi * ib;
        const ti = wr * ib + wi * rb;
        const ra = re[a]!;
        const ia = im[a]!;
        re[b] = ra - tr;
        im[b] = ia - ti;
        re[a] = ra + tr;
        im[a] = ia + ti;
      }
    }
  }
}

/**
 * Power spectrum (bins 0..N/2) of N real samples (N a power of two): packs even/odd samples into one N/2-point
 * complex FFT and splits the result, half the work of an N-point complex FFT.
 */
export function powerSpectrum(
  samples: Float64Array,
  power: Float64Array,
  size: number,
  scratchRe = new Float64Array(size / 2),
  scratchIm = new Float64Array(size / 2),
): void {
  spectrumWith(fftTables(size), samples, power, scratchRe, scratchIm);
}

function spectrumWith(
  tables: FftTables,
  samples: Float64Array,
  power: Float64Array,
  scratchRe: Float64Array,
  scratchIm: Float64Array,
): void {
  const { half, splitCos, splitSin } = tables;
  for (let n = 0; n < half; n++) {
    scratchRe[n] = samples[2 * n]!;
    scratchIm[n] = samples[2 * n + 1]!;
  }
  complexFft(scratchRe, scratchIm, tables);
  for (let k = 0; k <= half; k++) {
    const k1 = k === half ? 0 : k; // k mod half, without a division per bin
    const k2 = k === 0 ? 0 : half - k;
    const zr = scratchRe[k1]!;
    const zi = scratchIm[k1]!;
    const cr = scratchRe[k2]!;
    const ci = -scratchIm[k2]!;
    const evenRe = 0.5 * (zr + cr);
    const evenIm = 0.5 * (zi + ci);
    const oddRe = 0.5 * (zi - ci);
    const oddIm = -0.5 * (zr - cr);
    const wr = splitCos[k]!;
    const wi = splitSin[k]!;
    const xr = evenRe + wr * oddRe - wi * oddIm;
    const xi = evenIm + wr * oddIm + wi * oddRe;
    power[k] = xr * xr + xi * xi;
  }
}

/** `powerSpectrum` of 512 samples (bins 0..256). */
export function powerSpectrum512(
  samples: Float64Array,
  power: Float64Array,
  scratchRe?: Float64Array<ArrayBuffer>,
  scratchIm?: Float64Array<ArrayBuffer>,
): void {
  powerSpectrum(samples, power, 512, scratchRe, scratchIm);
}

/** Log energy (dB) of each analysis window, as `computeMfcc` numbers its frames; cheap next to the MFCCs. */
export function frameEnergiesDb(pcm: Float32Array, windowSamples = 400, hopSamples = 160): Float64Array {
  const frameCount = pcm.length >= windowSamples ? 1 + Math.floor((pcm.length - windowSamples) / hopSamples) : 0;
  const energyDb = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    const offset = f * hopSamples;
    let energy = 0;
    for (let i = 0; i < windowSamples; i++) energy += pcm[offset + i]! * pcm[offset + i]!;
    energyDb[f] = 10 * Math.log10(energy / windowSamples + 1e-12);
  }
  return energyDb;
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
  const { fftSize } = plan;
  const tables = fftTables(fftSize);
  const frame = new Float64Array(fftSize); // samples past the window stay 0
  const power = new Float64Array(fftSize / 2 + 1);
  const scratchRe = new Float64Array(fftSize / 2);
  const scratchIm = new Float64Array(fftSize / 2);
  const logMel = new Float64Array(melFilters);
  for (let f = 0; f < frameCount; f++) {
    const offset = f * hopSamples;
    let energy = 0;
    let previous = offset > 0 ? pcm[offset - 1]! : 0;
    for (let i = 0; i < windowSamples; i++) {
      const sample = pcm[offset + i]!;
      energy += sample * sample;
      frame[i] = (sample - 0.97 * previous) * plan.window[i]!; // pre-emphasis
      previous = sample;
    }
    energyDb[f] = 10 * Math.log10(energy / windowSamples + 1e-12);
    if (options.minEnergyDb !== undefined && energyDb[f]! < options.minEnergyDb) continue;
    spectrumWith(tables, frame, power, scratchRe, scratchIm);
    for (let m = 0; m < melFilters; m++) {
      const { start, weights } = plan.filters[m]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        sum += weights[k]! * power[start + k]!;
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
