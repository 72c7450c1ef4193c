import { existsSync } from 'node:fs';
import { createOpenAiTranscriber, type OpenAiTranscriberOptions } from './openai.transcriber';
import { createPocketsphinxTranscriber, type PocketsphinxOptions } from './pocketsphinx.transcriber';
import type { Transcriber } from './transcriber.types';
import { createWhisperCppTranscriber, type WhisperCppOptions } from './whisper-cpp.transcriber';

export type TranscriberConfig =
  | ({ engine: 'openai' } & OpenAiTranscriberOptions)
  | ({ engine: 'pocketsphinx' } & PocketsphinxOptions)
  | ({ engine: 'whisper-cpp' } & WhisperCppOptions);

/**
 * Builds the configured transcriber. whisper-cpp with a missing model or binary falls back to pocketsphinx and
 * says so in `notice` (and in every transcript it returns).
 */
export function createTranscriber(
  config: TranscriberConfig = { engine: 'pocketsphinx' },
): Transcriber & { notice?: string } {
  switch (config.engine) {
    case 'openai':
      return createOpenAiTranscriber(config);
    case 'pocketsphinx':
      return createPocketsphinxTranscriber(config);
    case 'whisper-cpp': {
      const missing = [config.modelPath, config.binaryPath].filter((file) => !existsSync(file));
      if (missing.length === 0) return createWhisperCppTranscriber(config);
      const notice = `whisper-cpp unavailable (missing ${missing.join(', ')}); used pocketsphinx`;
      const fallback = createPocketsphinxTranscriber();
      return {
        ...fallback,
        notice,
        async transcribe(pcm, speech, opts) {
          return { ...(await fallback.transcribe(pcm, speech, opts)), notice };
        },
      };
    }
  }
}
