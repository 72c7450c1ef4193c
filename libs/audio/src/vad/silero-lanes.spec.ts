import { activeFrames, DEFAULT_SKIP_QUIET, packLanes, planPieces, type FrameRange } from './silero.vad';

const QUIET = { ...DEFAULT_SKIP_QUIET, quietDbfs: -65 };
const FRAME_MS = 32;

/** 30 s of frames at `floorDb` (± a steady ripple), with `loud` frame ranges at `loudDb`. */
function levels(floorDb: number, loud: FrameRange[], loudDb = -30): Float32Array {
  const frames = new Float32Array(938);
  frames.forEach((_, i) => (frames[i] = floorDb + (i % 3) - 1));
  for (const range of loud) frames.fill(loudDb, range.start, range.end);
  return frames;
}

const covered = (ranges: FrameRange[]): number => ranges.reduce((sum, r) => sum + r.end - r.start, 0);

describe('activeFrames: what the model must see', () => {
  it('skips long stretches of steady background and keeps loud frames with their padding', () => {
    const ranges = activeFrames(levels(-55, [{ start: 400, end: 450 }]), QUIET);
    const pad = Math.ceil(DEFAULT_SKIP_QUIET.padMs / FRAME_MS);
    expect(ranges).toEqual([{ start: 400 - pad, end: 450 + pad }]);
  });

  it('bridges pauses shorter than minSkipMs, so words of one utterance run together', () => {
    const shortGap = Math.floor(DEFAULT_SKIP_QUIET.minSkipMs / FRAME_MS) - 1;
    const pad = Math.ceil(DEFAULT_SKIP_QUIET.padMs / FRAME_MS);
    const ranges = activeFrames(
      levels(-55, [
        { start: 300, end: 320 },
        { start: 320 + shortGap + 2 * pad, end: 360 + shortGap + 2 * pad },
      ]),
      QUIET,
    );
    expect(ranges).toHaveLength(1);
  });

  it('runs everything when no frame is steady enough to call background (speech throughout)', () => {
    const speechy = new Float32Array(938).map((_, i) => -45 + 20 * Math.abs(Math.sin(i / 7)));
    expect(covered(activeFrames(speechy, QUIET))).toBe(938);
  });

  it('keeps quiet speech over digital silence: the threshold follows the floor, not a fixed level', () => {
    const whisper = levels(-90, [{ start: 100, end: 200 }], -58);
    expect(covered(activeFrames(whisper, QUIET))).toBeGreaterThanOrEqual(100);
  });

  it('extends a stretch to the chunk edges when the gap to them is too short to skip', () => {
    const ranges = activeFrames(levels(-55, [{ start: 5, end: 100 }, { start: 900, end: 930 }]), QUIET);
    expect(ranges[0]!.start).toBe(0);
    expect(ranges[ranges.length - 1]!.end).toBe(938);
  });
});

describe('planPieces and packLanes: balanced batches', () => {
  it('splits one long stretch into one piece per lane, each later piece warming up first', () => {
    const pieces = planPieces([{ start: 0, end: 938 }], { lanes: 8, warmupFrames: 16, minLaneFrames: 32 });
    expect(pieces).toHaveLength(8);
    expect(pieces[0]).toMatchObject({ fedStart: 0, keptStart: 0 });
    for (const piece of pieces.slice(1)) expect(piece.keptStart - piece.fedStart).toBe(16);
    // Kept frames tile the stretch exactly.
    const kept = pieces.map((p) => [p.keptStart, p.fedEnd]).sort((a, b) => a[0]! - b[0]!);
    kept.forEach(([start], i) => expect(start).toBe(i === 0 ? 0 : kept[i - 1]![1]));
    expect(kept[kept.length - 1]![1]).toBe(938);
  });

  it('uses one lane (the exact sequential model) for short inputs', () => {
    expect(planPieces([{ start: 0, end: 40 }], { lanes: 8, warmupFrames: 16, minLaneFrames: 32 })).toEqual([
      { fedStart: 0, keptStart: 0, fedEnd: 40 },
    ]);
  });

  it('packs pieces so no lane carries much more than its share, in time order within a lane', () => {
    const pieces = planPieces(
      [
        { start: 0, end: 120 },
        { start: 300, end: 340 },
        { start: 600, end: 900 },
      ],
      { lanes: 4, warmupFrames: 16, minLaneFrames: 32 },
    );
    const lanes = packLanes(pieces, 4);
    expect(lanes.flat()).toHaveLength(pieces.length);
    const loads = lanes.map((lane) => lane.reduce((sum, p) => sum + p.fedEnd - p.fedStart, 0));
    const total = loads.reduce((a, b) => a + b, 0);
    expect(Math.max(...loads)).toBeLessThanOrEqual(Math.ceil(total / lanes.length) + 60);
    for (const lane of lanes) lane.forEach((p, i) => i > 0 && expect(p.fedStart).toBeGreaterThan(lane[i - 1]!.fedStart));
  });
});
