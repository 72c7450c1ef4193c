import { concat, createFixtureDir, mix, noise, silence, speak, type FixtureDir } from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import type { Vad } from '../vad/vad.types';
import { analyzeSpeakersMfccBic } from './mfcc-bic.speakers';

const LINES = [
  'The first question asks about the causes of the industrial revolution in Britain.',
  'I think the answer to number four is the second option, the one about steam power.',
  'Write down the formula for the area of a circle and then show your working.',
  'Remember that the exam finishes at eleven o clock so keep an eye on the time.',
];

describe('mfcc-bic speaker counting (generated voices)', () => {
  let fx: FixtureDir;
  let vad: Vad;
  beforeAll(async () => {
    fx = createFixtureDir();
    vad = await createVad();
  });
  afterAll(async () => {
    await vad.close();
    fx.remove();
  });

  async function analyze(file: string) {
    const pcm = await decodeToPcm(file);
    const { segments } = await vad.detect(pcm);
    return analyzeSpeakersMfccBic(pcm, segments);
  }

  it('counts one voice reading several sentences', async () => {
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`one${i}.wav`), line, { voice: 'en-us' }),
      silence(fx.file(`gap${i}.wav`), 0.6),
    ]);
    const result = await analyze(concat(fx.file('one.wav'), parts));
    expect(result.engine).toBe('mfcc-bic');
    expect(result.speakerCount).toBe(1);
    expect(result.speakerChanges).toEqual([]);
  });

  it('counts two voices taking turns and places the changes near the turn boundaries', async () => {
    const voices = ['en-us', 'en+f4', 'en-us', 'en+f4'];
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`two${i}.wav`), line, { voice: voices[i] }),
      silence(fx.file(`g${i}.wav`), 0.6),
    ]);
    const result = await analyze(concat(fx.file('two.wav'), parts));
    expect(result.speakerCount).toBe(2);
    expect(result.speakerChanges.length).toBeGreaterThanOrEqual(3);
    expect(result.voices).toHaveLength(2);
    expect(result.voices.every((voice) => voice.speechSec > 2)).toBe(true);
  });

  it('hears a second voice that only cuts in briefly, in another pitch', async () => {
    // About 1.2 s of a second voice in two short turns: too little for its own covariance, plain in its pitch.
    const cutIns: Record<number, string> = { 1: 'Yes.', 3: 'No, the other one.' };
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`main${i}.wav`), line, { voice: 'en+f4' }),
      silence(fx.file(`mg${i}.wav`), 0.5),
      ...(cutIns[i]
        ? [speak(fx.file(`cut${i}.wav`), cutIns[i], { voice: 'en-us' }), silence(fx.file(`cg${i}.wav`), 0.5)]
        : []),
    ]);
    const result = await analyze(concat(fx.file('cut-in.wav'), parts));
    expect(result.speakerCount).toBe(2);
    // The brief voice is labelled on short turns of its own, not on the reader's sentences.
    const brief = result.voices.find((voice) => voice.speechSec < 3);
    expect(brief).toBeDefined();
    const briefTurns = result.turns.filter((turn) => turn.speaker === brief!.speaker);
    expect(briefTurns.length).toBeGreaterThanOrEqual(1);
    expect(briefTurns.every((turn) => turn.endSec - turn.startSec < 1.5)).toBe(true);
  });

  it('hears a one-word answer in another pitch in a chunk with little speech', async () => {
    // A sparse meeting chunk (like the real ami_tst01_sparse): 2 s of one woman, then a man's "Yes, I do.", of
    // which the pitched part loud enough to count is about 0.4 s.
    const parts = [
      silence(fx.file('sp0.wav'), 3),
      speak(fx.file('sp1.wav'), 'Okay, so what do you think?', { voice: 'en+f4' }),
      silence(fx.file('sp2.wav'), 0.8),
      speak(fx.file('sp3.wav'), 'Yes, I do.', { voice: 'en-us' }),
      silence(fx.file('sp4.wav'), 1),
    ];
    const pcm = await decodeToPcm(concat(fx.file('sparse.wav'), parts));
    const { segments } = await vad.detect(pcm);
    const found = analyzeSpeakersMfccBic(pcm, segments);
    expect(found.speakerCount).toBe(2);
    // Heard for well under a second: less certain than the same pitch gap over a longer turn.
    expect(found.confidence).toBeLessThan(0.99);
    expect(found.confidence).toBeGreaterThan(0.5);
    // What the earlier thresholds (0.5 s of such speech, 8 and 20 voiced windows) left at one voice.
    const before = { minShortVoiceSec: 0.5, minTurnVoicedWindows: 8, minVoicePitchWindows: 20 };
    expect(analyzeSpeakersMfccBic(pcm, segments, before).speakerCount).toBe(1);
  });

  it('keeps one voice whose pitch and pace change from sentence to sentence', async () => {
    const prosody = [
      { pitch: 30, speedWpm: 140 },
      { pitch: 70, speedWpm: 190 },
      { pitch: 40, speedWpm: 160 },
      { pitch: 65, speedWpm: 150 },
    ];
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`p${i}.wav`), line, { voice: 'en-gb', ...prosody[i] }),
      silence(fx.file(`pg${i}.wav`), 0.6),
    ]);
    const result = await analyze(concat(fx.file('prosody.wav'), parts));
    expect(result.speakerCount).toBe(1);
  });

  it('keeps one voice that exclaims in a raised pitch between sentences', async () => {
    // espeak-ng's pitch 86 is about 6 semitones over its default 50: an "Oh no!", not another person.
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`ex${i}.wav`), line, { voice: 'en-us' }),
      silence(fx.file(`exg${i}.wav`), 0.5),
      ...(i === 1 || i === 2
        ? [speak(fx.file(`oh${i}.wav`), 'Oh no!', { voice: 'en-us', pitch: 86 }), silence(fx.file(`ohg${i}.wav`), 0.5)]
        : []),
    ]);
    const result = await analyze(concat(fx.file('exclaim.wav'), parts));
    expect(result.speakerCount).toBe(1);
  });

  it('returns no voices for silence', async () => {
    const result = await analyze(silence(fx.file('quiet.wav'), 3));
    expect(result.speakerCount).toBe(0);
  });

  it('still counts one voice over steady background noise', async () => {
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`n${i}.wav`), line, { voice: 'en-gb' }),
      silence(fx.file(`ng${i}.wav`), 0.6),
    ]);
    const speech = concat(fx.file('noisy-speech.wav'), parts);
    const noisy = mix(fx.file('noisy.wav'), [speech, noise(fx.file('bg.wav'), 30, 'pink', 0.03)]);
    const result = await analyze(noisy);
    expect(result.speakerCount).toBe(1);
  });
});

describe('findOtherVoices across chunks', () => {
  let fx: FixtureDir;
  let vad: Vad;
  beforeAll(async () => {
    fx = createFixtureDir();
    vad = await createVad();
  });
  afterAll(async () => {
    await vad.close();
    fx.remove();
  });

  it('learns the candidate from the first steady voice and flags a different voice in a later chunk', async () => {
    const { findOtherVoices } = await import('./session-voices');
    const chunkFor = async (voice: string, name: string) => {
      const parts = LINES.map((line, i) => speak(fx.file(`${name}${i}.wav`), line, { voice }));
      const pcm = await decodeToPcm(concat(fx.file(`${name}.wav`), parts));
      const { segments } = await vad.detect(pcm);
      return analyzeSpeakersMfccBic(pcm, segments);
    };
    const first = await chunkFor('en-us', 'a');
    const same = await chunkFor('en-us', 'b');
    const other = await chunkFor('en+f4', 'c');
    const result = findOtherVoices([
      { chunkIndex: 0, chunkStartSec: 0, ...first },
      { chunkIndex: 1, chunkStartSec: 30, ...same },
      { chunkIndex: 2, chunkStartSec: 60, ...other },
    ]);
    expect(result.candidate).toBeDefined();
    expect(result.otherVoices.map((v) => v.chunkIndex)).toEqual([2]);
    expect(result.otherVoices[0]!.startSec).toBeGreaterThanOrEqual(60);
  });

  it('uses an enrolment sample as the candidate: a different first voice is flagged from the first chunk', async () => {
    const { findOtherVoices, profileFromEnrolment } = await import('./session-voices');
    const analyse = async (voice: string, name: string, lines: string[]) => {
      const parts = lines.map((line, i) => speak(fx.file(`${name}${i}.wav`), line, { voice }));
      const pcm = await decodeToPcm(concat(fx.file(`${name}.wav`), parts));
      const { segments } = await vad.detect(pcm);
      return analyzeSpeakersMfccBic(pcm, segments);
    };
    const enrolment = profileFromEnrolment(await analyse('en-us', 'enrol', LINES.slice(0, 2)));
    expect(enrolment).toBeDefined();
    const impostor = await analyse('en+f4', 'imp', LINES);
    const genuine = await analyse('en-us', 'gen', LINES.slice(2));
    const result = findOtherVoices(
      [
        { chunkIndex: 0, chunkStartSec: 0, ...impostor },
        { chunkIndex: 1, chunkStartSec: 30, ...genuine },
      ],
      { candidate: enrolment! },
    );
    expect(result.otherVoices.map((v) => v.chunkIndex)).toEqual([0]);
  });
});
