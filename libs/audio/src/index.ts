export * from './types';
export * from './decode/audio-decode.error';
export * from './decode/ffmpeg.decoder';
export * from './vad/vad.types';
export * from './vad/speech-segments';
export * from './vad/vad';
export { createSileroVad, defaultSileroModelPath, type SileroVadOptions } from './vad/silero.vad';
export { createEnergyVad, frameLevelsDb } from './vad/energy.vad';
