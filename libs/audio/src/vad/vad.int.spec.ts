import {
  concat,
  createFixtureDir,
  durationOf,
  noise,
  silence,
  speak,
  type FixtureDir,
} from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createSileroVad } from './silero.vad';
import { createVad, detectSpeech } from './vad';
import type { Vad } from './vad.types';

describe('VAD on real audio (onnxruntime + Silero v5)', () => {
  let fx: FixtureDir;
  let vad: Vad;
  let speechFile: string;
  let truth: Array<[number, number]>;
  beforeAll(async () => {
    fx = createFixtureDir();
    const a = speak(fx.file('a.wav'), 'Please open your exam booklet and read the first question carefully.');
    const b = speak(fx.file('b.wav'), 'You have thirty minutes to answer it.', { voice: 'en+f3' });
    const parts = [
      silence(fx.file('s1.wav'), 2),
      a,
      silence(fx.file('s2.wav'), 2.5),
      b,
      silence(fx.file('s3.wav'), 1.5),
    ];
    speechFile = concat(fx.file('speech.wav'), parts);
    const [s1, da, s2, db] = parts.map(durationOf) as [number, number, number, number];
    truth = [
      [s1, s1 + da],
      [s1 + da + s2, s1 + da + s2 + db],
    ];
    vad = await createVad();
  });
  afterAll(async () => {
    await vad.close();
    fx.remove();
  });

  it('loads Silero v5 by default', () => {
    expect(vad.engine).toBe('silero-v5');
  });

  it('finds both utterances within 0.3 s of their true edges', async () => {
    const pcm = await decodeToPcm(speechFile);
    const result = await vad.detect(pcm, { minSilenceMs: 300 });
    expect(result.engine).toBe('silero-v5');
    expect(result.segments).toHaveLength(2);
    result.segments.forEach((segment, i) => {
      // espeak pads its output with a little silence, so edges sit inside the true pieces
      expect(segment.startSec).toBeGreaterThan(truth[i]![0] - 0.3);
      expect(segment.endSec).toBeLessThan(truth[i]![1] + 0.3);
      expect(segment.endSec - segment.startSec).toBeGreaterThan((truth[i]![1] - truth[i]![0]) * 0.7);
    });
    const speechSec = truth.reduce((sum, [s, e]) => sum + e - s, 0);
    expect(result.voiceActivityRatio).toBeGreaterThan((speechSec / (pcm.length / 16000)) * 0.7);
  });

  it('also runs the model at 8 kHz (decimated input) and finds the same utterances', async () => {
    const fast = await createSileroVad({ modelRate: 8000 });
    try {
      const pcm = await decodeToPcm(speechFile);
      const result = await fast.detect(pcm, { minSilenceMs: 300 });
      expect(result.segments).toHaveLength(2);
      result.segments.forEach((segment, i) => {
        expect(segment.startSec).toBeGreaterThan(truth[i]![0] - 0.3);
        expect(segment.endSec).toBeLessThan(truth[i]![1] + 0.3);
      });
    } finally {
      await fast.close();
    }
  });

  it('finds no speech in pink or brown noise', async () => {
    for (const color of ['pink', 'brown'] as const) {
      const pcm = await decodeToPcm(noise(fx.file(`${color}.wav`), 6, color, 0.3));
      const result = await vad.detect(pcm);
      expect(result.segments).toEqual([]);
    }
  });

  it('treats an input whose every frame is below the quiet level as silence, and still hears quiet speech', async () => {
    const hiss = await decodeToPcm(noise(fx.file('hiss.wav'), 30, 'white', 0.0002)); // about -80 dBFS
    expect((await vad.detect(hiss)).segments).toEqual([]);
    const speech = await decodeToPcm(speechFile);
    const quiet = speech.map((sample) => sample * 0.01); // speech 40 dB down
    expect((await vad.detect(quiet, { minSilenceMs: 300 })).segments.length).toBeGreaterThanOrEqual(1);
  });

  it('carries state across blocks exactly like one pass (lanes: 1, every frame)', async () => {
    const exact = await createSileroVad({ lanes: 1, skipQuiet: false });
    try {
      const pcm = await decodeToPcm(speechFile);
      const cut = 512 * 200;
      const whole = await exact.frameProbabilities(pcm);
      const first = await exact.frameProbabilities(pcm.subarray(0, cut));
      const second = await exact.frameProbabilities(pcm.subarray(cut), { reset: false });
      const joined = [...first.probabilities, ...second.probabilities];
      expect(joined).toHaveLength(whole.probabilities.length);
      joined.forEach((p, i) => expect(p).toBeCloseTo(whole.probabilities[i]!, 4));
    } finally {
      await exact.close();
    }
  });

  it('batched lanes agree with the sequential model on nearly every frame', async () => {
    const exact = await createSileroVad({ lanes: 1, skipQuiet: false });
    const batched = await createSileroVad();
    try {
      const pcm = await decodeToPcm(speechFile);
      const a = (await exact.frameProbabilities(pcm)).probabilities;
      const b = (await batched.frameProbabilities(pcm)).probabilities;
      let disagreements = 0;
      a.forEach((p, i) => (disagreements += p >= 0.5 !== b[i]! >= 0.5 ? 1 : 0));
      expect(disagreements / a.length).toBeLessThan(0.03);
    } finally {
      await exact.close();
      await batched.close();
    }
  });

  it('skips steady room noise without losing quiet speech in it (same segments as running every frame)', async () => {
    // Speech about 6 dB over pink room noise, 4 s of it in a 30 s chunk: the common exam case.
    const speech = await decodeToPcm(speechFile);
    const room = await decodeToPcm(noise(fx.file('room.wav'), 30, 'pink', 0.01));
    const chunk = room.slice();
    const at = 12 * 16_000;
    for (let i = 0; i < speech.length && at + i < chunk.length; i++) chunk[at + i]! += speech[i]! * 0.05;
    const everyFrame = await createSileroVad({ skipQuiet: false });
    try {
      const gated = await vad.detect(chunk);
      const full = await everyFrame.detect(chunk);
      expect(gated.segments.length).toBeGreaterThanOrEqual(2);
      expect(gated.segments).toHaveLength(full.segments.length);
      gated.segments.forEach((segment, i) => {
        expect(Math.abs(segment.startSec - full.segments[i]!.startSec)).toBeLessThan(0.2);
        expect(Math.abs(segment.endSec - full.segments[i]!.endSec)).toBeLessThan(0.2);
      });
    } finally {
      await everyFrame.close();
    }
  });

  it('falls back to the energy VAD with a notice when the model cannot load', async () => {
    const pcm = await decodeToPcm(speechFile);
    const result = await detectSpeech(pcm, { modelPath: fx.file('missing.onnx'), minSilenceMs: 300 });
    expect(result.engine).toBe('energy');
    expect(result.notice).toMatch(/silero-v5 unavailable/);
    expect(result.segments.length).toBeGreaterThanOrEqual(2);
    expect(result.segments[0]!.startSec).toBeGreaterThan(truth[0]![0] - 0.3);
  });
});
