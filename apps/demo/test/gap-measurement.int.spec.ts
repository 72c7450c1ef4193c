// The gap measurement the browser test relies on, checked on chunks cut from the fake microphone at known
// places and encoded as the recorder sends them (webm/opus, 48 kHz): known gaps and overlaps, a chunk that
// straddles the file's loop point, and chunks whose audio also occurs (spoken the same way) elsewhere.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeFakeMicrophoneWav, measureChunkPlacement } from './browser-harness';

const run = promisify(execFile);
let micWav: string;
let work: string;

beforeAll(async () => {
  micWav = await makeFakeMicrophoneWav();
  work = mkdtempSync(path.join(os.tmpdir(), 'earshot-gap-measure-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A webm/opus chunk holding [startSec, startSec + durationSec) of the microphone file, looping like Chromium. */
async function cut(name: string, startSec: number, durationSec: number): Promise<string> {
  const file = path.join(work, `${name}.webm`);
  await run('ffmpeg', [
    '-v', 'error', '-y', '-stream_loop', '-1', '-i', micWav,
    '-ss', String(startSec), '-t', String(durationSec),
    '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '64k', file,
  ]); // prettier-ignore
  return file;
}

it('reports the true gap at every boundary, across the loop point, within 2 ms', async () => {
  // 140 s file: chunk 1 straddles the loop (130-160 s), gaps +20 ms, -60 ms, 0 ms.
  const plan = [
    { start: 100, duration: 30 },
    { start: 130.02, duration: 30 },
    { start: 159.96, duration: 30 },
    { start: 189.96, duration: 5 },
  ];
  const files: string[] = [];
  for (const [index, { start, duration }] of plan.entries()) files.push(await cut(`c${index}`, start, duration));
  const { gapsMs, chunks } = await measureChunkPlacement(micWav, files);
  expect(gapsMs).toHaveLength(3);
  const expected = [20, -60, 0];
  gapsMs.forEach((gap, index) => expect(Math.abs(gap - expected[index]!)).toBeLessThan(2));
  expect(chunks[0]!.startSec).toBeCloseTo(100, 1);
  for (const chunk of chunks) expect(chunk.score).toBeGreaterThan(0.9);
}, 120_000);

it('stops with a clear error when a chunk is not where the previous one ended (no lock onto another place)', async () => {
  const files = [await cut('far0', 10, 30), await cut('far1', 80, 30)];
  await expect(measureChunkPlacement(micWav, files, 8_000, 5)).rejects.toThrow(
    /chunk 1 head: no unambiguous match within 5 s/,
  );
}, 120_000);
