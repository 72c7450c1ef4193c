export * from './types';
export * from './decode/audio-decode.error';
export * from './decode/ffmpeg.decoder';
export * from './vad/vad.types';
export * from './vad/speech-segments';
export * from './vad/vad';
export { createSileroVad, defaultSileroModelPath, type SileroVadOptions } from './vad/silero.vad';
export { createEnergyVad } from './vad/energy.vad';
export { frameLevelsDb } from './vad/frame-levels';
export * from './speakers/speakers.types';
export * from './speakers/gaussian-stats';
export {
  analyzeSpeakersMfccBic,
  createMfccBicSpeakerEngine,
  DEFAULT_SPEAKER_OPTIONS,
} from './speakers/mfcc-bic.speakers';
export { computeMfcc, type MfccOptions, type MfccFrames } from './speakers/mfcc.features';
export * from './speakers/session-voices';
export * from './speakers/speaker-engine';
export {
  createSherpaSpeakerEngine,
  clusterEmbeddings,
  type SherpaSpeakerOptions,
} from './speakers/sherpa-onnx.speakers';
export { cosineSimilarity } from './speakers/cosine-similarity';
export { trackPitch } from './speakers/pitch';
export * from './transcribe/transcriber.types';
export * from './transcribe/transcriber';
export { planSpeechWindows, encodeWav, slicePcm, type SpeechWindowOptions } from './transcribe/speech-windows';
export { createOpenAiTranscriber, type OpenAiTranscriberOptions } from './transcribe/openai.transcriber';
export {
  createPocketsphinxTranscriber,
  parsePocketsphinxTimes,
  type PocketsphinxOptions,
} from './transcribe/pocketsphinx.transcriber';
export {
  createWhisperCppTranscriber,
  parseWhisperCppJson,
  type WhisperCppOptions,
} from './transcribe/whisper-cpp.transcriber';
export * from './phrases/phrases.types';
export { matchPhrasesInTranscript, isSameWord, tokenize } from './phrases/transcript-phrase.matcher';
export {
  spotPhrasesInAudio,
  findPhraseCandidates,
  mergePhraseHits,
  planKeywordSpotting,
  parseSpotterOutput,
  type KeywordSpotterOptions,
} from './phrases/pocketsphinx.spotter';
export * from './phrases/spot-verification';
export {
  createWakePhraseSpotter,
  detectWakeWindows,
  findWakeRuns,
  planWakeRegions,
  type WakePhraseSpotter,
  type WakePhraseSpotterOptions,
  type WakeWindowDetection,
} from './phrases/embedding.spotter';
export {
  centerEmbeddings,
  createSpeechEmbedder,
  defaultSpeechEmbeddingDir,
  EMBEDDING_DIM,
  EMBEDDING_HOP_SEC,
  type SpeechEmbedder,
  type SpeechEmbedderOptions,
  type SpeechEmbeddings,
} from './phrases/speech-embedding';
export {
  createWakeHead,
  loadWakeHead,
  defaultWakeHeadPath,
  type WakeHead,
  type WakeHeadModel,
} from './phrases/wake-head';
export * from './score/levels';
export * from './score/score';
export * from './pipeline/stages';
export * from './pipeline/analyze';
export * from './models/model-manifest';
export * from './eval/metrics';
