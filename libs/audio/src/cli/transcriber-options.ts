import path from 'node:path';
import type { TranscriberConfig } from '../transcribe/transcriber';

/** The command-line options that choose a transcriber (`earshot analyze`, the eval), for node:util parseArgs. */
export const TRANSCRIBER_ARGS = {
  transcriber: { type: 'string' },
  'openai-base-url': { type: 'string' },
  'openai-model': { type: 'string' },
  'whisper-cpp-bin': { type: 'string' },
  'whisper-model': { type: 'string' },
} as const;

/**
 * The transcriber those options name: pocketsphinx (default), openai (key given by the caller), whisper-cpp (model
 * in `modelsDir` unless given) or none (false).
 */
export function transcriberConfig(
  values: Record<string, string | boolean | undefined>,
  modelsDir: string,
  openAiKey: string | undefined,
): TranscriberConfig | false {
  const name = (values.transcriber as string | undefined) ?? 'pocketsphinx';
  switch (name) {
    case 'none':
      return false;
    case 'pocketsphinx':
      return { engine: 'pocketsphinx' };
    case 'openai':
      return {
        engine: 'openai',
        apiKey: openAiKey ?? 'unset',
        ...(values['openai-base-url'] ? { baseURL: values['openai-base-url'] as string } : {}),
        ...(values['openai-model'] ? { model: values['openai-model'] as string } : {}),
      };
    case 'whisper-cpp':
      return {
        engine: 'whisper-cpp',
        binaryPath: (values['whisper-cpp-bin'] as string | undefined) ?? 'whisper-cli',
        modelPath: (values['whisper-model'] as string | undefined) ?? path.join(modelsDir, 'ggml-base.en.bin'),
      };
    default:
      throw new Error(`unknown transcriber ${name}`);
  }
}
