import { existsSync } from 'node:fs';
import { createMfccBicSpeakerEngine } from './mfcc-bic.speakers';
import { createSherpaSpeakerEngine, type SherpaSpeakerOptions } from './sherpa-onnx.speakers';
import type { SpeakerEngine, SpeakerOptions } from './speakers.types';

export type SpeakerEngineConfig =
  ({ engine: 'mfcc-bic' } & SpeakerOptions) | ({ engine: 'sherpa-onnx' } & SherpaSpeakerOptions);

/**
 * The configured speaker engine. sherpa-onnx with a missing model, or a model or addon that fails to load, falls
 * back to mfcc-bic and says why in `notice`.
 */
export async function createSpeakerEngine(
  config: SpeakerEngineConfig = { engine: 'mfcc-bic' },
): Promise<SpeakerEngine & { notice?: string }> {
  if (config.engine === 'mfcc-bic') return createMfccBicSpeakerEngine(config);
  const fallback = (reason: string): SpeakerEngine & { notice: string } => {
    const notice = `sherpa-onnx speaker engine unavailable (${reason}); used mfcc-bic`;
    const engine = createMfccBicSpeakerEngine();
    return {
      ...engine,
      notice,
      async analyze(pcm, segments, opts) {
        return { ...(await engine.analyze(pcm, segments, opts)), notice };
      },
    };
  };
  if (!existsSync(config.modelPath)) return fallback(`model ${config.modelPath} not found`);
  try {
    // sherpa-onnx aborts the whole process (a C++ exception) on a file it cannot parse; onnxruntime throws a JS
    // error for the same file, so it checks the model first.
    const ort = await import('onnxruntime-node');
    const probe = await ort.InferenceSession.create(config.modelPath, { logSeverityLevel: 3 });
    await probe.release();
  } catch (error) {
    return fallback(
      `model ${config.modelPath} does not load: ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}`,
    );
  }
  try {
    return await createSherpaSpeakerEngine(config);
  } catch (error) {
    return fallback(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}
