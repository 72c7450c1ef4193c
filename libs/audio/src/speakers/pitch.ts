/**
 * A cheap pitch track for speaker separation: the signal is averaged down to 4 kHz and each 40 ms window's
 * period is the lag with the lowest average magnitude difference (AMDF) between 80 and 400 Hz, every 40 ms. Only the median
 * over seconds of speech is used, so an octave error here and there does not matter.
 */
const DECIMATION = 4;
const WINDOW_SEC = 0.04;
const HOP_SEC = 0.04;
const MIN_HZ = 80;
const MAX_HZ = 400;
/** A window is voiced when its best lag's difference is this far under the mean difference. */
const VOICING_RATIO = 0.45;
/** How close (as a share of mean - best) to the deepest dip an earlier dip must be to count as the period. */
const SUBHARMONIC_TOLERANCE = 0.2;

export interface PitchTrack {
  /** Pitch per 40 ms hop in Hz, 0 where unvoiced. */
  pitchHz: Float32Array;
  hopSec: number;
}

export function trackPitch(pcm: Float32Array, sampleRate = 16_000): PitchTrack {
  const rate = sampleRate / DECIMATION;
  const low = new Float32Array(Math.floor(pcm.length / DECIMATION));
  for (let i = 0; i < low.length; i++) {
    const o = i * DECIMATION;
    low[i] = (pcm[o]! + pcm[o + 1]! + pcm[o + 2]! + pcm[o + 3]!) / DECIMATION;
  }
  const window = Math.round(WINDOW_SEC * rate);
  const hop = Math.round(HOP_SEC * rate);
  const minLag = Math.floor(rate / MAX_HZ);
  const maxLag = Math.ceil(rate / MIN_HZ);
  const frames = low.length >= window + maxLag ? 1 + Math.floor((low.length - window - maxLag) / hop) : 0;
  const pitchHz = new Float32Array(frames);
  const diffs = new Float64Array(maxLag + 2);
  for (let f = 0; f < frames; f++) {
    const start = f * hop;
    let best = Infinity;
    let total = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let diff = 0;
      for (let i = 0; i < window; i++) diff += Math.abs(low[start + i]! - low[start + i + lag]!);
      diffs[lag] = diff;
      total += diff;
      if (diff < best) best = diff;
    }
    const mean = total / (maxLag - minLag + 1);
    if (!(mean > 1e-6 && best < VOICING_RATIO * mean)) continue;
    // The shortest lag that is a local minimum nearly as deep as the best: multiples of the period are as deep
    // (or deeper, when the period is not a whole number of samples) and would halve or third the pitch.
    for (let lag = minLag; lag <= maxLag; lag++) {
      const diff = diffs[lag]!;
      const isMinimum = (lag === minLag || diff <= diffs[lag - 1]!) && (lag === maxLag || diff <= diffs[lag + 1]!);
      if (isMinimum && diff <= best + SUBHARMONIC_TOLERANCE * (mean - best)) {
        pitchHz[f] = rate / lag;
        break;
      }
    }
  }
  return { pitchHz, hopSec: HOP_SEC };
}

/** Median of the voiced values, in semitones above 55 Hz (undefined with fewer than `minVoiced` values). */
export function medianSemitones(pitchesHz: readonly number[], minVoiced = 20): number | undefined {
  const voiced = pitchesHz.filter((hz) => hz > 0).sort((a, b) => a - b);
  if (voiced.length < minVoiced) return undefined;
  return 12 * Math.log2(voiced[Math.floor(voiced.length / 2)]! / 55);
}

/** Share of windows with a pitch (0..1, two decimals): ordinary speech 0.3-0.7, whispering near 0. */
export function voicedShare(pitchHz: ArrayLike<number>): number {
  let voiced = 0;
  for (let i = 0; i < pitchHz.length; i++) if (pitchHz[i]! > 0) voiced++;
  return pitchHz.length ? Math.round((voiced / pitchHz.length) * 100) / 100 : 0;
}
