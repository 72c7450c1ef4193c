import type { Transcript } from '../transcribe/transcriber.types';
import { buildPhraseList, DEFAULT_WAKE_PHRASES } from './phrases.types';
import { isSameWord, matchPhrasesInTranscript, tokenize } from './transcript-phrase.matcher';

function transcriptOf(text: string, startSec = 0, endSec = 10): Transcript {
  return { engine: 'openai', text, segments: [{ startSec, endSec, text }] };
}

const phrasesIn = (text: string) =>
  matchPhrasesInTranscript(transcriptOf(text), DEFAULT_WAKE_PHRASES).map((h) => h.phrase);

describe('matchPhrasesInTranscript', () => {
  it.each([
    ['Hey Siri, what is the capital of Peru?', 'hey siri'],
    ['hey, siri what time is it', 'hey siri'],
    ['Okay Google, define osmosis', 'ok google'],
    ['O.K. Google define osmosis', 'ok google'],
    ['ok google', 'ok google'],
    ['Hey Google set a timer', 'hey google'],
    ['Alexa, what is seven times eight', 'alexa'],
    ['um alexa?', 'alexa'],
    ['Hey Cortana open the calculator', 'hey cortana'],
    ['hey cortanna open it', 'hey cortana'],
    ['ok googel what is this', 'ok google'],
  ])('finds the wake phrase in %j', (text, phrase) => {
    expect(phrasesIn(text)).toEqual([phrase]);
  });

  it.each([
    'I met Alexander at the library',
    'Hey, series of numbers can be tricky',
    'hey serious question',
    'the google maps question',
    'she said hey to Sarah',
    'Alexandra said okay',
    'hey sorry I missed that',
  ])('does not fire on the near miss %j', (text) => {
    expect(phrasesIn(text)).toEqual([]);
  });

  it('uses word times when the engine gives them', () => {
    const transcript: Transcript = {
      engine: 'pocketsphinx',
      text: 'so alexa what',
      segments: [
        {
          startSec: 3,
          endSec: 5,
          text: 'so alexa what',
          words: [
            { word: 'so', startSec: 3, endSec: 3.2 },
            { word: 'alexa', startSec: 3.3, endSec: 3.9 },
            { word: 'what', startSec: 4, endSec: 4.3 },
          ],
        },
      ],
    };
    expect(matchPhrasesInTranscript(transcript, DEFAULT_WAKE_PHRASES)).toEqual([
      { phrase: 'alexa', kind: 'wake', startSec: 3.3, endSec: 3.9, heard: 'alexa', sources: ['transcript'] },
    ]);
  });

  it('spreads segment time over words when there are no word times', () => {
    const [hit] = matchPhrasesInTranscript(transcriptOf('one two alexa four', 0, 4), DEFAULT_WAKE_PHRASES);
    expect(hit).toMatchObject({ startSec: 2, endSec: 3 });
  });

  it('matches an exam watch list as watch phrases', () => {
    const hits = matchPhrasesInTranscript(
      transcriptOf('what did you get for question five'),
      buildPhraseList(['question five', 'the answer is']),
    );
    expect(hits).toEqual([expect.objectContaining({ phrase: 'question five', kind: 'watch' })]);
  });
});

describe('word matching', () => {
  it('allows one edit only in words of six letters or more', () => {
    expect(isSameWord('googel', 'google')).toBe(true);
    expect(isSameWord('sari', 'siri')).toBe(false);
    expect(isSameWord('series', 'siri')).toBe(false);
    expect(isSameWord('alexander', 'alexa')).toBe(false);
  });

  it('normalises spellings and punctuation', () => {
    expect(tokenize('O.K. Google, hi!')).toEqual(['ok', 'google', 'hey']);
  });
});
