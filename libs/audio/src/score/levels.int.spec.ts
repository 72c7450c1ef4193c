import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { concat, createFixtureDir, silence, speak, type FixtureDir } from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import { summarizeLevels } from './levels';
import { scoreChunk } from './score';
import { analyzeSpeakersMfccBic } from '../speakers/mfcc-bic.speakers';

describe('levels and flags on generated audio', () => {
  let fx: FixtureDir;
  beforeAll(() => (fx = createFixtureDir()));
  afterAll(() => fx.remove());

  it('finds a loud bang outside speech and quiet (whisper-level) speech', async () => {
    const normal = speak(fx.file('normal.wav'), 'I am reading the question now.');
    const quiet = fx.file('quiet.wav');
    execFileSync('sox', [speak(fx.file('q.wav'), 'and this part is very quiet indeed'), quiet, 'vol', '0.01']);
    const bang = fx.file('bang.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', bang, 'synth', '0.3', 'whitenoise', 'vol', '0.9']);
    const file = concat(fx.file('all.wav'), [
      silence(fx.file('s1.wav'), 1),
      normal,
      silence(fx.file('s2.wav'), 1.5),
      bang,
      silence(fx.file('s3.wav'), 1.5),
      quiet,
      silence(fx.file('s4.wav'), 1),
    ]);
    const pcm = await decodeToPcm(file);
    const vad = await createVad();
    const { segments } = await vad.detect(pcm, { threshold: 0.3 });
    await vad.close();
    const levels = summarizeLevels(pcm, segments);
    const { flags } = scoreChunk({ durationSec: pcm.length / 16000, speechSegments: segments, levels });
    expect(flags.some((f) => f.type === 'loud_non_speech')).toBe(true);
    expect(flags.some((f) => f.type === 'low_level_speech')).toBe(true);
    expect(flags.some((f) => f.type === 'silent_microphone')).toBe(false);
  });

  it('flags whispering (unvoiced speech) at a normal level, and not ordinary speech', async () => {
    const whisper = speak(fx.file('whisper.wav'), 'can you tell me the answer to question number four please', {
      voice: 'en+whisper',
    });
    const normal = speak(fx.file('normal2.wav'), 'can you tell me the answer to question number four please', {
      voice: 'en-us',
    });
    const vad = await createVad();
    const flagsOf = async (file: string) => {
      const pcm = await decodeToPcm(
        concat(fx.file(`pad-${path.basename(file)}`), [
          silence(fx.file('p1.wav'), 1),
          file,
          silence(fx.file('p2.wav'), 1),
        ]),
      );
      const { segments } = await vad.detect(pcm);
      return scoreChunk({
        durationSec: pcm.length / 16000,
        speechSegments: segments,
        levels: summarizeLevels(pcm, segments),
        speakers: analyzeSpeakersMfccBic(pcm, segments),
      }).flags;
    };
    const whisperFlags = await flagsOf(whisper);
    const normalFlags = await flagsOf(normal);
    await vad.close();
    expect(whisperFlags).toEqual([
      expect.objectContaining({ type: 'low_level_speech', evidence: expect.stringMatching(/whisper-like/) }),
    ]);
    expect(normalFlags.filter((f) => f.type === 'low_level_speech')).toEqual([]);
  });

  it('reports digital silence as a silent microphone', async () => {
    const pcm = await decodeToPcm(silence(fx.file('dead.wav'), 5));
    const levels = summarizeLevels(pcm, []);
    expect(scoreChunk({ durationSec: 5, speechSegments: [], levels }).flags.map((f) => f.type)).toEqual([
      'silent_microphone',
    ]);
  });
});
