/** 32 ms at 16 kHz: Silero's frame, and the frame every level figure is measured on. */
const FRAME_SAMPLES = 512;

/**
 * Mean power of each frame in dBFS, and the energy (sum of squares) of all of `pcm`, the tail after the last whole
 * frame included: one indexed pass (a `for…of` over the samples cost more than the frame levels themselves).
 */
export function frameLevels(
  pcm: Float32Array,
  frameSamples = FRAME_SAMPLES,
): { levelsDb: Float32Array; energy: number } {
  const frames = Math.floor(pcm.length / frameSamples);
  const levelsDb = new Float32Array(frames);
  let energy = 0;
  for (let f = 0; f < frames; f++) {
    let frameEnergy = 0;
    for (let i = f * frameSamples, end = i + frameSamples; i < end; i++) frameEnergy += pcm[i]! * pcm[i]!;
    levelsDb[f] = 10 * Math.log10(frameEnergy / frameSamples + 1e-12);
    energy += frameEnergy;
  }
  for (let i = frames * frameSamples; i < pcm.length; i++) energy += pcm[i]! * pcm[i]!;
  return { levelsDb, energy };
}

/** Mean power of each frame in dBFS. */
export function frameLevelsDb(pcm: Float32Array, frameSamples = FRAME_SAMPLES): Float32Array {
  return frameLevels(pcm, frameSamples).levelsDb;
}
