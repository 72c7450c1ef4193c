import { ConfigError } from '@earshot/config';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('runs every stage with the offline engines and the neural wake spotter by default', () => {
    expect(loadConfig({})).toMatchObject({
      transcriber: { engine: 'pocketsphinx' },
      phraseSpotting: true,
      wakeSpotter: true,
      flagThreshold: 0.5,
    });
  });

  it('leaves wake phrases to pocketsphinx, or turns audio spotting off altogether', () => {
    expect(loadConfig({ WAKE_SPOTTER: 'pocketsphinx' })).toMatchObject({ phraseSpotting: true, wakeSpotter: false });
    expect(loadConfig({ PHRASE_SPOTTING: 'false' })).toMatchObject({ phraseSpotting: false, wakeSpotter: false });
  });

  it('takes one wake threshold for every phrase', () => {
    expect(loadConfig({ WAKE_THRESHOLD: '0.9' })).toMatchObject({ wakeThreshold: 0.9 });
    expect(loadConfig({})).not.toHaveProperty('wakeThreshold');
  });

  it('rejects an unknown wake spotter, a threshold outside 0-1, an unknown stage and openai without a key', () => {
    expect(() => loadConfig({ WAKE_SPOTTER: 'porcupine' })).toThrow(ConfigError);
    expect(() => loadConfig({ WAKE_THRESHOLD: '1.5' })).toThrow(ConfigError);
    expect(() => loadConfig({ ANALYZER_STAGES: 'chunk.vad,chunk.nope' })).toThrow(/unknown jobs/);
    expect(() => loadConfig({ TRANSCRIBER: 'openai' })).toThrow(/OPENAI_API_KEY/);
  });
});
