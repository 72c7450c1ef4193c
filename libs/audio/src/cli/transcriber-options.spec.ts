import path from 'node:path';
import { transcriberConfig } from './transcriber-options';

describe('transcriberConfig', () => {
  it('defaults to pocketsphinx and turns transcription off with none', () => {
    expect(transcriberConfig({}, '/models', undefined)).toEqual({ engine: 'pocketsphinx' });
    expect(transcriberConfig({ transcriber: 'none' }, '/models', undefined)).toBe(false);
  });

  it('passes the OpenAI-compatible server, model and the key the caller gives', () => {
    expect(
      transcriberConfig(
        { transcriber: 'openai', 'openai-base-url': 'http://127.0.0.1:9/v1', 'openai-model': 'whisper-1' },
        '/models',
        'sk-test',
      ),
    ).toEqual({ engine: 'openai', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', model: 'whisper-1' });
  });

  it('looks for the whisper.cpp model in the models folder unless one is given', () => {
    expect(transcriberConfig({ transcriber: 'whisper-cpp' }, '/models', undefined)).toEqual({
      engine: 'whisper-cpp',
      binaryPath: 'whisper-cli',
      modelPath: path.join('/models', 'ggml-base.en.bin'),
    });
    expect(
      transcriberConfig({ transcriber: 'whisper-cpp', 'whisper-model': '/m/tiny.bin' }, '/models', undefined),
    ).toMatchObject({ modelPath: '/m/tiny.bin' });
  });

  it('rejects an unknown engine by name', () => {
    expect(() => transcriberConfig({ transcriber: 'kaldi' }, '/models', undefined)).toThrow(
      'unknown transcriber kaldi',
    );
  });
});
