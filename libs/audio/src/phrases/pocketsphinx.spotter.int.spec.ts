import path from 'node:path';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import { buildPhraseList } from './phrases.types';
import { mergePhraseHits, planKeywordSpotting, spotPhrasesInAudio } from './pocketsphinx.spotter';

const JFK = path.join(__dirname, '../../test/fixtures/jfk.webm');

describe('pocketsphinx keyword spotting', () => {
  it('builds a dictionary with only the phrase words, including built-in ones cmudict lacks', () => {
    const plan = planKeywordSpotting(buildPhraseList(['zqxv blorp']));
    expect(plan.keyphrases.map((k) => k.text)).toEqual(
      expect.arrayContaining(['hey siri', 'ok google', 'hey cortana', 'alexa']),
    );
    expect(plan.dictionary).toMatch(/^cortana K AO R T AE N AH$/m);
    expect(plan.dictionary).toMatch(/^siri S IH R IY$/m);
    expect(plan.skipped).toEqual(['zqxv blorp']);
  });

  it('spots a watch phrase in real speech with its time, and no wake phrase', async () => {
    const pcm = await decodeToPcm(JFK);
    const vad = await createVad();
    const { segments } = await vad.detect(pcm);
    await vad.close();
    const hits = await spotPhrasesInAudio(pcm, segments, buildPhraseList(['your country']));
    expect(hits.length).toBeGreaterThanOrEqual(1);
    expect(hits.every((h) => h.phrase === 'your country' && h.kind === 'watch')).toBe(true);
    // "ask not what your country" is spoken at about 5.4-7.5 s
    expect(hits[0]!.startSec).toBeGreaterThan(5);
    expect(hits[0]!.endSec).toBeLessThan(8);
    expect(hits[0]!.sources).toEqual(['keyword-spotter']);
  });

  it('merges transcript and audio hits of one phrase at one time', () => {
    const merged = mergePhraseHits([
      { phrase: 'alexa', kind: 'wake', startSec: 3.3, endSec: 3.9, heard: 'alexa', sources: ['transcript'] },
      { phrase: 'alexa', kind: 'wake', startSec: 3.2, endSec: 3.8, heard: 'alexa', sources: ['keyword-spotter'] },
      { phrase: 'alexa', kind: 'wake', startSec: 20, endSec: 20.5, heard: 'alexa', sources: ['transcript'] },
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ startSec: 3.2, endSec: 3.9, sources: ['keyword-spotter', 'transcript'] });
  });
});
