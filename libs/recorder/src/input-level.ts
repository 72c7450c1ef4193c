import type { LevelEvent } from './recorder-events';

/**
 * Samples the input level every `intervalMs` (a timer, not requestAnimationFrame, so it keeps going in a
 * background tab). Returns a function that stops it and releases the AudioContext.
 */
export function watchInputLevel(
  stream: MediaStream,
  onLevel: (level: LevelEvent) => void,
  intervalMs: number,
): () => void {
  const AudioContextClass =
    globalThis.AudioContext ??
    (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!AudioContextClass) return () => undefined;
  const context = new AudioContextClass();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  // Without a user gesture the context may start suspended; the page's Start click usually resumes it.
  if (context.state === 'suspended') void context.resume().catch(() => undefined);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sumSquares = 0;
    let peak = 0;
    for (const sample of samples) {
      sumSquares += sample * sample;
      peak = Math.max(peak, Math.abs(sample));
    }
    onLevel({ rms: Math.sqrt(sumSquares / samples.length), peak });
  }, intervalMs);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close().catch(() => undefined);
  };
}
