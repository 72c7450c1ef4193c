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

  it('watches sessions every 30 s: stream lost after 180 s, abandoned after 30 min, claims dead after 60 s', () => {
    expect(loadConfig({}).sweep).toEqual({ intervalMs: 30_000, inactivitySec: 180, abandonSec: 1800, claimStaleMs: 60_000, batchSize: 500 });
    expect(
      loadConfig({ SESSION_SWEEP_INTERVAL_MS: '200', SESSION_INACTIVITY_SEC: '1', SESSION_ABANDON_SEC: '3', CLAIM_STALE_MS: '1000' }).sweep,
    ).toMatchObject({ intervalMs: 200, inactivitySec: 1, abandonSec: 3, claimStaleMs: 1000 });
  });

  it('rejects an abandon delay not longer than the inactivity delay, and a claim staleness under 1 s', () => {
    expect(() => loadConfig({ SESSION_INACTIVITY_SEC: '600', SESSION_ABANDON_SEC: '600' })).toThrow(/SESSION_ABANDON_SEC/);
    expect(() => loadConfig({ CLAIM_STALE_MS: '10' })).toThrow(ConfigError);
    expect(() => loadConfig({ SESSION_SWEEP_INTERVAL_MS: 'soon' })).toThrow(ConfigError);
  });
});
