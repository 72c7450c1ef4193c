import { encodeWav, joinWindows, planSpeechWindows } from './speech-windows';

describe('planSpeechWindows', () => {
  it('pads segments, merges close ones and keeps distant ones apart', () => {
    const windows = planSpeechWindows(
      [
        { startSec: 1, endSec: 2 },
        { startSec: 2.5, endSec: 3 },
        { startSec: 10, endSec: 11 },
      ],
      20,
      { padSec: 0.2, mergeGapSec: 1 },
    );
    expect(windows).toEqual([
      { startSec: 0.8, endSec: 3.2 },
      { startSec: 9.8, endSec: 11.2 },
    ]);
  });

  it('cuts speech longer than the maximum window', () => {
    const windows = planSpeechWindows([{ startSec: 0, endSec: 70 }], 70, { maxWindowSec: 28, padSec: 0 });
    expect(windows.length).toBe(3);
    expect(windows.every((w) => w.endSec - w.startSec <= 28)).toBe(true);
    expect(windows[windows.length - 1]!.endSec).toBe(70);
  });

  it('clamps to the input', () => {
    expect(planSpeechWindows([{ startSec: 0.05, endSec: 4.95 }], 5, { padSec: 0.2 })).toEqual([
      { startSec: 0, endSec: 5 },
    ]);
  });
});

describe('joinWindows', () => {
  it('maps times in the joined signal back to the original', () => {
    const pcm = new Float32Array(16000 * 20);
    const { joined, toOriginalSec } = joinWindows(
      pcm,
      [
        { startSec: 2, endSec: 4 },
        { startSec: 10, endSec: 11 },
      ],
      16000,
      0.5,
    );
    expect(joined.length).toBe(16000 * 3.5);
    expect(toOriginalSec(0.5)).toBeCloseTo(2.5, 3);
    expect(toOriginalSec(2.6)).toBeCloseTo(10.1, 3);
  });
});

describe('encodeWav', () => {
  it('writes a 16-bit mono RIFF header and clipped samples', () => {
    const wav = encodeWav(Float32Array.from([0, 0.5, -2]), 16000);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(40)).toBe(6);
    expect(wav.readInt16LE(46)).toBe(16384);
    expect(wav.readInt16LE(48)).toBe(-32767);
  });
});
