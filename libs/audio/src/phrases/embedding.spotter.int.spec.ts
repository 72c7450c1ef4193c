import { execFileSync } from 'node:child_process';
import { createFixtureDir, type FixtureDir } from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import type { Vad } from '../vad/vad.types';
import { createWakePhraseSpotter, type WakePhraseSpotter } from './embedding.spotter';
import { buildPhraseList } from './phrases.types';
import { createSpeechEmbedder, EMBEDDING_DIM } from './speech-embedding';

/**
 * The shipped speech-embedding models and trained heads on speech the heads never heard: flite's slt voice is
 * held out of their training (eval/wake-model/training-data.ts), and so are these sentences.
 */
describe('speech-embedding wake spotter (shipped models)', () => {
  let fixtures: FixtureDir;
  let spotter: WakePhraseSpotter;
  let vad: Vad;

  beforeAll(async () => {
    fixtures = createFixtureDir();
    spotter = await createWakePhraseSpotter();
    vad = await createVad();
  });
  afterAll(async () => {
    await spotter.close();
    await vad.close();
    fixtures.remove();
  });

  async function spoken(name: string, text: string) {
    const raw = fixtures.file(`${name}.raw.wav`);
    const out = fixtures.file(`${name}.wav`);
    execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', raw]);
    // a second of silence before, as in a chunk
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '1', '0.5']);
    const pcm = await decodeToPcm(out);
    const { segments } = await vad.detect(pcm);
    return { pcm, segments };
  }

  it('embeds 16 kHz audio into 96 values every 80 ms', async () => {
    const embedder = await createSpeechEmbedder();
    const { count, data } = await embedder.embed(new Float32Array(16_000 * 3).map((_, i) => Math.sin(i / 10) * 0.1));
    await embedder.close();
    // 3 s: 297 mel frames, windows of 76 every 8
    expect(count).toBe(Math.floor((297 - 76) / 8) + 1);
    expect(data.length).toBe(count * EMBEDDING_DIM);
    expect(data.every(Number.isFinite)).toBe(true);
  });

  it('knows the default wake phrases, with calibrated thresholds that options override', async () => {
    expect([...spotter.phrases].sort()).toEqual(['alexa', 'hey cortana', 'hey google', 'hey siri', 'ok google']);
    expect(Object.values(spotter.thresholds).every((t) => t >= 0.5 && t < 1)).toBe(true);
    const tuned = await createWakePhraseSpotter({ threshold: 0.9, thresholds: { alexa: 0.95 }, minWindows: 3 });
    expect(tuned.thresholds).toEqual({
      'hey siri': 0.9,
      'ok google': 0.9,
      'hey google': 0.9,
      alexa: 0.95,
      'hey cortana': 0.9,
    });
    expect(tuned.minWindows).toBe(3);
    await tuned.close();
  });

  it('hears "Alexa" in a sentence, with its time', async () => {
    const { pcm, segments } = await spoken('alexa', 'Tell me quickly, Alexa, what is the square root of two?');
    const hits = await spotter.spot(pcm, segments, buildPhraseList());
    expect(hits.map((h) => h.phrase)).toEqual(['alexa']);
    expect(hits[0]!.sources).toEqual(['speech-embedding']);
    expect(hits[0]!.kind).toBe('wake');
    // "Alexa" is spoken at about 2.0-2.6 s (1 s of padding, then "tell me quickly")
    expect(hits[0]!.startSec).toBeGreaterThan(1.2);
    expect(hits[0]!.endSec).toBeLessThan(3.6);
  });

  it('does not fire on "Alexander" or "hey, series"', async () => {
    for (const [name, text] of [
      ['alexander', 'My brother Alexander plays the violin.'],
      ['series', 'Hey, series like this one converge slowly.'],
    ] as const) {
      const { pcm, segments } = await spoken(name, text);
      expect(await spotter.spot(pcm, segments, buildPhraseList())).toEqual([]);
    }
  });

  it('spots only the wake phrases it is asked for', async () => {
    const { pcm, segments } = await spoken('alexa-2', 'Tell me quickly, Alexa, what is the square root of two?');
    expect(await spotter.spot(pcm, segments, buildPhraseList(['calculator'], false))).toEqual([]);
    expect(await spotter.spot(pcm, [], buildPhraseList())).toEqual([]);
  });
});
