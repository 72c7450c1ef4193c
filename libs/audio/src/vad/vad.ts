import { createEnergyVad } from './energy.vad';
import { createSileroVad, type SileroVadOptions } from './silero.vad';
import type { DetectSpeechOptions, Vad, VadEngineName, VadResult } from './vad.types';

export interface CreateVadOptions extends SileroVadOptions {
  /** Which engine to load. Default silero-v5, falling back to energy (with a notice) if the model cannot load. */
  engine?: VadEngineName;
}

/** Creates a VAD once per worker; call `close()` on shutdown. Never throws for a missing model: it falls back. */
export async function createVad(options: CreateVadOptions = {}): Promise<Vad> {
  if (options.engine === 'energy') return createEnergyVad();
  try {
    return await createSileroVad(options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return createEnergyVad(`silero-v5 unavailable (${reason.split('\n')[0]}); used the energy VAD`);
  }
}

/** One-shot convenience: loads a VAD, runs it, releases it. Workers should hold a `createVad()` instead. */
export async function detectSpeech(
  pcm: Float32Array,
  opts: DetectSpeechOptions & CreateVadOptions = {},
): Promise<VadResult> {
  const vad = await createVad(opts);
  try {
    return await vad.detect(pcm, opts);
  } finally {
    await vad.close();
  }
}
