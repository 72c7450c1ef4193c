import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createFixtureDir, type FixtureDir } from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import { buildPhraseList } from './phrases.types';
import { DEFAULT_MAX_BOUNDARY_GAP_SEC, minScoreOf } from './spot-verification';
import { findPhraseCandidates, mergePhraseHits, planKeywordSpotting, spotPhrasesInAudio } from './pocketsphinx.spotter';

const JFK = path.join(__dirname, '../../test/fixtures/jfk.webm');

/** A sentence in a natural flite voice (Debian flite), as 16 kHz PCM with its speech segments. */
async function fliteSpeech(fixtures: FixtureDir, name: string, text: string, voice: string) {
  const raw = fixtures.file(`${name}.raw.wav`);
  const out = fixtures.file(`${name}.wav`);
  execFileSync('flite', ['-voice', voice, '-t', text, '-o', raw]);
  // half a second of silence either side, as in a chunk
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.5', '0.5']);
  const pcm = await decodeToPcm(out);
  const vad = await createVad();
  const { segments } = await vad.detect(pcm);
  await vad.close();
  return { pcm, segments };
}

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

  it('spots each pronunciation variant as its own keyphrase and reports the phrase form', () => {
    const plan = planKeywordSpotting(buildPhraseList());
    expect(plan.dictionary).toMatch(/^cortana_2 K AO R T AA N AH$/m);
    expect(plan.keyphrases).toEqual(
      expect.arrayContaining([expect.objectContaining({ text: 'hey cortana_2', form: 'hey cortana' })]),
    );
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

  describe('on a natural voice (flite slt, not used to choose the settings)', () => {
    let fixtures: FixtureDir;
    beforeAll(() => {
      fixtures = createFixtureDir();
    });
    afterAll(() => fixtures.remove());

    it.each([
      ['hey siri', 'Hey Siri, what is the capital of Peru?', 0.5, 1.6],
      ['alexa', 'What is the square root of eighty one, Alexa?', 2, 3.6],
    ])('finds "%s" in a sentence, with its time', async (phrase, text, fromSec, toSec) => {
      const { pcm, segments } = await fliteSpeech(fixtures, phrase.replace(' ', '-'), text, 'slt');
      const hits = await spotPhrasesInAudio(pcm, segments, buildPhraseList());
      expect(hits.map((h) => h.phrase)).toEqual([phrase]);
      expect(hits[0]!.startSec).toBeGreaterThanOrEqual(fromSec);
      expect(hits[0]!.endSec).toBeLessThanOrEqual(toSec);
    });

    it.each([
      ['alexander', 'I met Alexander at the library yesterday.'],
      ['serious', 'That is a serious question about the maps.'],
      ['lexicon', 'The lexicon of this language is very large.'],
    ])('does not fire on the near miss "%s"', async (name, text) => {
      const { pcm, segments } = await fliteSpeech(fixtures, name, text, 'slt');
      expect(await spotPhrasesInAudio(pcm, segments, buildPhraseList())).toEqual([]);
    });

    it('rejects "alexa" spotted at the start of "lexicon" because the decoded word runs on', async () => {
      const { pcm, segments } = await fliteSpeech(
        fixtures,
        'lexicon2',
        'The lexicon of this language is very large.',
        'slt',
      );
      const alexa = (await findPhraseCandidates(pcm, segments, buildPhraseList())).filter(
        (c) => c.phrase.phrase === 'alexa' && c.score >= minScoreOf(c.phrase),
      );
      // it scores like a real "alexa"; only the word boundary tells them apart
      expect(alexa.length).toBeGreaterThan(0);
      expect(alexa.every((c) => !c.heardByDecoder && c.boundaryGapSec! > DEFAULT_MAX_BOUNDARY_GAP_SEC)).toBe(true);
    });
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
