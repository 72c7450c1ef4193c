import { mergeSegments, segmentSpeech, voiceActivityRatio } from './speech-segments';

const FRAME = 512;
const RATE = 16000;
const frameSec = FRAME / RATE;

function probs(pattern: Array<[value: number, frames: number]>): Float32Array {
  return Float32Array.from(pattern.flatMap(([value, frames]) => Array<number>(frames).fill(value)));
}

describe('segmentSpeech', () => {
  it('finds one segment with padding at its edges', () => {
    const p = probs([
      [0, 31],
      [0.9, 31],
      [0, 32],
    ]);
    const [segment, ...rest] = segmentSpeech(p, FRAME, p.length * FRAME, RATE, { speechPadMs: 30 });
    expect(rest).toHaveLength(0);
    expect(segment!.startSec).toBeCloseTo(31 * frameSec - 0.03, 2);
    expect(segment!.endSec).toBeCloseTo(62 * frameSec + 0.03, 2);
  });

  it('drops speech shorter than minSpeechMs', () => {
    const p = probs([
      [0, 10],
      [0.9, 5],
      [0, 40],
    ]); // 5 frames = 160 ms
    expect(segmentSpeech(p, FRAME, p.length * FRAME, RATE, { minSpeechMs: 250 })).toEqual([]);
    expect(segmentSpeech(p, FRAME, p.length * FRAME, RATE, { minSpeechMs: 100 })).toHaveLength(1);
  });

  it('bridges pauses shorter than minSilenceMs and splits on longer ones', () => {
    const p = probs([
      [0.9, 20],
      [0, 5],
      [0.9, 20],
      [0, 40],
    ]); // 160 ms pause
    expect(segmentSpeech(p, FRAME, p.length * FRAME, RATE, { minSilenceMs: 300, speechPadMs: 0 })).toHaveLength(1);
    expect(segmentSpeech(p, FRAME, p.length * FRAME, RATE, { minSilenceMs: 100, speechPadMs: 0 })).toHaveLength(2);
  });

  it('keeps speech through values between the two thresholds (hysteresis)', () => {
    const p = probs([
      [0.9, 20],
      [0.4, 30],
      [0.9, 20],
      [0, 40],
    ]);
    expect(
      segmentSpeech(p, FRAME, p.length * FRAME, RATE, { threshold: 0.5, minSilenceMs: 100, speechPadMs: 0 }),
    ).toHaveLength(1);
    expect(
      segmentSpeech(p, FRAME, p.length * FRAME, RATE, {
        threshold: 0.5,
        negThreshold: 0.45,
        minSilenceMs: 100,
        speechPadMs: 0,
      }),
    ).toHaveLength(2);
  });

  it('closes speech that runs to the end of the input', () => {
    const p = probs([
      [0, 10],
      [0.9, 30],
    ]);
    const segments = segmentSpeech(p, FRAME, p.length * FRAME, RATE);
    expect(segments[segments.length - 1]!.endSec).toBeCloseTo((p.length * FRAME) / RATE, 3);
  });
});

describe('voiceActivityRatio and mergeSegments', () => {
  it('computes the speech share of the duration', () => {
    expect(
      voiceActivityRatio(
        [
          { startSec: 1, endSec: 2 },
          { startSec: 5, endSec: 6.5 },
        ],
        10,
      ),
    ).toBeCloseTo(0.25, 3);
    expect(voiceActivityRatio([], 0)).toBe(0);
  });

  it('merges overlapping and close segments only', () => {
    expect(
      mergeSegments(
        [
          { startSec: 3, endSec: 4 },
          { startSec: 0, endSec: 1 },
          { startSec: 1.05, endSec: 2 },
        ],
        0.1,
      ),
    ).toEqual([
      { startSec: 0, endSec: 2 },
      { startSec: 3, endSec: 4 },
    ]);
  });
});
