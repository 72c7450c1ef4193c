import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sessionBaseKey, type Chunk, type ChunkProcessedEvent, type SessionWithChunks } from '@earshot/contracts';
import { sha256Hex, uniquePrefix } from '@earshot/testing';
import {
  buildDemo,
  decodeAlone,
  launchChromium,
  makeFakeMicrophoneWav,
  measureChunkPlacement,
  probeDurationSec,
  startPlatform,
  type Platform,
} from './browser-harness';

/**
 * The recorder in real (headless) Chromium with a file-fed microphone, through the demo exam page the gateway
 * serves, against every service running as its own process.
 */
let platform: Platform;
let browser: Browser;
let staticDir: string;
let micWav: string;
const workDir = path.join(os.tmpdir(), uniquePrefix('earshot-browser'));

beforeAll(async () => {
  [staticDir, micWav] = await Promise.all([buildDemo(), makeFakeMicrophoneWav()]);
  platform = await startPlatform(staticDir);
  browser = await launchChromium(micWav);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

interface Logged {
  type: string;
  atMs: number;
  payload: any;
}

async function openExamPage(
  query: string,
  beforeLoad?: (page: Page) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.grantPermissions(['microphone'], { origin: platform.gatewayUrl });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await beforeLoad?.(page);
  await page.goto(`${platform.gatewayUrl}/?${query}`);
  await page.waitForFunction(() => window.earshot !== undefined);
  return { context, page };
}

const logOf = (page: Page): Promise<Logged[]> => page.evaluate(() => window.earshot!.log as Logged[]);
const ofType = (log: Logged[], type: string) => log.filter((event) => event.type === type);
const pageNow = (page: Page) => page.evaluate(() => performance.now());
const problem = (status: number, code: string) => JSON.stringify({ type: 'about:blank', title: code, status, code });

async function startRecording(page: Page): Promise<{ sessionId: string; startedAtMs: number }> {
  await page.getByTestId('record-button').click();
  await page.waitForFunction(() => window.earshot!.recorder.state === 'recording');
  return page.evaluate(() => ({
    sessionId: window.earshot!.recorder.sessionId!,
    startedAtMs: window.earshot!.log.find((event) => event.type === 'state' && event.payload === 'recording')!.atMs,
  }));
}

/** Stops the recorder `afterSec` after it started (page clock); returns the wall time recorded, in seconds. */
function stopAt(page: Page, startedAtMs: number, afterSec: number): Promise<number> {
  return page.evaluate(
    async ({ startedAtMs, afterSec }) => {
      await new Promise((resolve) => setTimeout(resolve, startedAtMs + afterSec * 1000 - performance.now()));
      const stoppedAtMs = performance.now();
      await window.earshot!.recorder.stop();
      return (stoppedAtMs - startedAtMs) / 1000;
    },
    { startedAtMs, afterSec },
  );
}

async function until(
  page: Page,
  check: (log: Logged[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Logged[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await logOf(page);
    if (check(log)) return log;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; log: ${JSON.stringify(log.filter((event) => event.type !== 'queue')).slice(0, 4000)}`,
      );
    await page.waitForTimeout(250);
  }
}

async function apiSession(sessionId: string): Promise<SessionWithChunks> {
  const response = await fetch(`${platform.gatewayUrl}/api/audio/sessions/${sessionId}`, {
    headers: { authorization: `Bearer ${await platform.token()}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as SessionWithChunks;
}

/** The stored bytes of a chunk, read by its row's key (as every reader must), copied to a file. */
async function storedChunkFile(chunk: Pick<Chunk, 'session_id' | 'chunk_index' | 's3_key'>): Promise<{ file: string; bytes: Buffer }> {
  const bytes = await platform.storage.getBytes(chunk.s3_key);
  const file = path.join(workDir, chunk.session_id, path.basename(chunk.s3_key));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return { file, bytes };
}

const indexesOf = (events: Logged[]) => events.map((event) => (event.payload as { chunkIndex: number }).chunkIndex);
const range = (count: number) => Array.from({ length: count }, (_, index) => index);

describe('the exam page in headless Chromium', () => {
  it('records 95 s as 3 × 30 s + 1 partial self-contained chunks, matching wall time, and shows every analysis', async () => {
    const { context, page } = await openExamPage('chunk_sec=30&raw_audio=1&exam=browser-95s');
    const { sessionId, startedAtMs } = await startRecording(page);
    const wallSec = await stopAt(page, startedAtMs, 95);
    const log = await until(
      page,
      (events) =>
        events.some((event) => event.type === 'session-complete-sent') &&
        events.filter((event) => event.type === 'analysis').length >= 4,
      120_000,
      'session-complete and 4 analysis events',
    );

    const recorded = log.filter((event) => event.type === 'chunk-recorded');
    expect(indexesOf(recorded)).toEqual([0, 1, 2, 3]);
    expect(log.filter((event) => event.type === 'chunk-failed')).toEqual([]);
    const analysis = log
      .filter((event) => event.type === 'analysis')
      .map((event) => event.payload as ChunkProcessedEvent);
    expect(analysis.map((event) => event.chunk_index).sort()).toEqual([0, 1, 2, 3]);
    for (const event of analysis) {
      expect(event.processing_status).toBe('completed');
      expect(event.voice_activity_ratio).toBeGreaterThan(0.1);
    }

    const expected = [30, 30, 30, 5];
    const session = await apiSession(sessionId);
    expect(session.chunks.map((chunk) => chunk.chunk_index)).toEqual([0, 1, 2, 3]);
    const durations: number[] = [];
    const files: string[] = [];
    for (const chunk of session.chunks) {
      const { file, bytes } = await storedChunkFile(chunk);
      expect(chunk.content_sha256).toBe(sha256Hex(bytes));
      await decodeAlone(file);
      durations.push(await probeDurationSec(file));
      files.push(file);
      expect(chunk.start_time_seconds).toBeCloseTo(30 * chunk.chunk_index, 0);
    }
    const total = durations.reduce((sum, value) => sum + value, 0);
    console.log(
      `95 s recording: wall ${wallSec.toFixed(3)} s, chunk durations ${durations.map((d) => d.toFixed(3)).join(', ')} s, total ${total.toFixed(3)} s`,
    );
    durations.forEach((duration, index) => expect(Math.abs(duration - expected[index]!)).toBeLessThan(0.3));
    expect(Math.abs(total - wallSec)).toBeLessThan(0.5);

    // The gap between chunks, measured on the audio itself.
    const { gapsMs, chunks } = await measureChunkPlacement(micWav, files);
    console.log(
      `chunks in the microphone file: ${chunks.map((chunk) => `${chunk.startSec.toFixed(3)}-${chunk.endSec.toFixed(3)} s (match ${chunk.score.toFixed(2)})`).join(', ')}; ` +
        `inter-chunk gaps (audio lost between consecutive chunks; negative = overlap): ${gapsMs.map((gap) => gap.toFixed(1)).join(', ')} ms`,
    );
    // At most one Opus frame (20 ms) lost. The overlap is the latency of the next recorder's start event
    // (40-60 ms here), which a loaded machine stretches.
    for (const gap of gapsMs) {
      expect(gap).toBeLessThanOrEqual(25);
      expect(gap).toBeGreaterThanOrEqual(-300);
    }

    const rows = page.getByTestId('chunk-row');
    expect(await rows.count()).toBe(4);
    expect(await page.getByTestId('earshot-recorder').textContent()).not.toContain('waiting…');
    await context.close();
  }, 300_000);

  it('loses nothing over a 40 s network cut: every chunk is uploaded after reconnecting, in index order, once', async () => {
    const { context, page } = await openExamPage('chunk_sec=5&backoff_ms=500&exam=browser-offline');
    const { sessionId, startedAtMs } = await startRecording(page);
    await page.waitForTimeout(7_000);
    await context.setOffline(true);
    const offlineAtMs = await pageNow(page);
    await page.waitForTimeout(40_000);
    await context.setOffline(false);
    const onlineAtMs = await pageNow(page);
    await stopAt(page, startedAtMs, 56);
    const count = 12; // 56 s in 5 s chunks
    const log = await until(
      page,
      (events) => ofType(events, 'session-complete-sent').length > 0 && ofType(events, 'analysis').length >= count,
      90_000,
      'session-complete and every analysis after the cut',
    );

    expect(indexesOf(ofType(log, 'chunk-recorded'))).toEqual(range(count));
    const uploaded = ofType(log, 'chunk-uploaded');
    expect(indexesOf(uploaded)).toEqual(range(count));
    expect(uploaded.every((event) => (event.payload as { duplicate: boolean }).duplicate === false)).toBe(true);
    const networkFailures = ofType(log, 'chunk-failed').filter(
      (event) => event.atMs > offlineAtMs && event.atMs < onlineAtMs,
    );
    expect(networkFailures.length).toBeGreaterThan(0);
    expect(
      networkFailures.every((event) => (event.payload as { code: string; permanent: boolean }).permanent === false),
    ).toBe(true);
    // Chunks recorded during the cut went up only after it.
    const recordedOffline = ofType(log, 'chunk-recorded').filter(
      (event) => event.atMs > offlineAtMs && event.atMs < onlineAtMs,
    );
    expect(recordedOffline.length).toBeGreaterThanOrEqual(7);
    for (const index of indexesOf(recordedOffline)) {
      expect(
        uploaded.find((event) => (event.payload as { chunkIndex: number }).chunkIndex === index)!.atMs,
      ).toBeGreaterThan(onlineAtMs);
    }
    // Back online, the queue goes at once rather than at the end of its backoff.
    const firstAfterCut = uploaded.find((event) => event.atMs > onlineAtMs)!;
    expect(firstAfterCut.atMs - onlineAtMs).toBeLessThan(3_000);
    const queueDuringCut = ofType(log, 'queue').filter((event) => event.atMs > offlineAtMs && event.atMs < onlineAtMs);
    expect(
      Math.max(...queueDuringCut.map((event) => (event.payload as { pending: number }).pending)),
    ).toBeGreaterThanOrEqual(7);

    const session = await apiSession(sessionId);
    expect(session.chunks.map((chunk) => chunk.chunk_index)).toEqual(range(count));
    expect(session.uploaded_chunks).toBe(count);
    for (const chunk of session.chunks) {
      expect(chunk.start_time_seconds).toBeCloseTo(5 * chunk.chunk_index, 0);
      const { bytes } = await storedChunkFile(chunk);
      expect(sha256Hex(bytes)).toBe(chunk.content_sha256);
    }
    expect(await platform.storage.listKeys(sessionBaseKey(sessionId))).toEqual(session.chunks.map((chunk) => chunk.s3_key));
    expect(await page.evaluate(() => window.earshot!.recorder.storedChunks().then((chunks) => chunks.length))).toBe(0);
    await context.close();
  }, 240_000);

  it('after a reload mid-session, the new page uploads the chunks kept in IndexedDB, including the interrupted one', async () => {
    let blocked = true;
    const block = async (page: Page) => {
      await page.route('**/api/audio/upload-chunk', (route) =>
        blocked ? route.abort('internetdisconnected') : route.continue(),
      );
    };
    // A long backoff: no retry happens between unblocking and the reload.
    const { context, page } = await openExamPage('chunk_sec=5&backoff_ms=20000&exam=browser-reload', block);
    const { sessionId, startedAtMs } = await startRecording(page);
    await page.evaluate(
      (until) => new Promise((resolve) => setTimeout(resolve, until - performance.now())),
      startedAtMs + 12_600,
    );
    const saved = await page.evaluate(() =>
      window
        .earshot!.recorder.storedChunks()
        .then((chunks) => chunks.map((chunk) => ({ index: chunk.chunkIndex, status: chunk.status }))),
    );
    expect(saved).toEqual([
      { index: 0, status: 'pending' },
      { index: 1, status: 'pending' },
      { index: 2, status: 'recording' },
    ]);
    expect((await apiSession(sessionId)).chunks).toEqual([]);

    blocked = false;
    await page.goto(`${platform.gatewayUrl}/?chunk_sec=5&backoff_ms=500&exam=browser-reload`);
    await page.waitForFunction(() => window.earshot !== undefined);
    const log = await until(
      page,
      (events) => ofType(events, 'chunk-uploaded').length >= 3,
      30_000,
      'the three stored chunks uploaded after the reload',
    );
    expect(indexesOf(ofType(log, 'chunk-uploaded'))).toEqual([0, 1, 2]);
    expect(ofType(log, 'chunk-recorded').map((event): unknown => event.payload)).toEqual([
      expect.objectContaining({ sessionId, chunkIndex: 2, recovered: true }),
    ]);

    // The page offers the interrupted session; finishing it sends session-complete with every index.
    await page.getByTestId('interrupted').getByRole('button', { name: 'Finish' }).click();
    const done = await until(
      page,
      (events) => ofType(events, 'session-complete-sent').length > 0,
      15_000,
      'session-complete',
    );
    expect(ofType(done, 'session-complete-sent')[0]!.payload).toEqual({ sessionId, totalChunks: 3 });
    const session = await apiSession(sessionId);
    expect(session.chunks.map((chunk) => chunk.chunk_index)).toEqual([0, 1, 2]);
    expect(session.total_chunks).toBe(3);
    // The page was killed mid-chunk: the file ends where the last saved piece ended (ffmpeg notes the cut
    // element) and decodes up to there, its header being the first piece.
    const { file } = await storedChunkFile(session.chunks.find((chunk) => chunk.chunk_index === 2)!);
    const interruptedSec = await probeDurationSec(file);
    // Pieces are saved every second: about 2 s were recorded, at least the first piece must be there.
    expect(interruptedSec).toBeGreaterThan(0.8);
    expect(interruptedSec).toBeLessThan(2.7);
    await context.close();
  }, 120_000);

  it('retries while the server answers 429 and 503, honouring Retry-After and backing off, then succeeds', async () => {
    const requestTimes: number[] = [];
    const failing = async (page: Page) => {
      await page.route('**/api/audio/upload-chunk', async (route) => {
        requestTimes.push(Date.now());
        if (requestTimes.length === 1) {
          return route.fulfill({
            status: 429,
            headers: { 'retry-after': '2' },
            contentType: 'application/problem+json',
            body: problem(429, 'RATE_LIMITED'),
          });
        }
        if (Date.now() - requestTimes[0]! < 8_000) {
          return route.fulfill({
            status: 503,
            contentType: 'application/problem+json',
            body: problem(503, 'UNAVAILABLE'),
          });
        }
        return route.continue();
      });
    };
    const { context, page } = await openExamPage('chunk_sec=3&backoff_ms=300&exam=browser-503', failing);
    const { sessionId, startedAtMs } = await startRecording(page);
    await stopAt(page, startedAtMs, 7);
    const log = await until(
      page,
      (events) => ofType(events, 'session-complete-sent').length > 0,
      60_000,
      'session-complete after the outage',
    );

    const failures = ofType(log, 'chunk-failed').map(
      (event) =>
        event.payload as { chunkIndex: number; code: string; attempts: number; retryInMs: number; permanent: boolean },
    );
    expect(failures.every((failure) => failure.chunkIndex === 0 && !failure.permanent)).toBe(true);
    expect(failures[0]).toMatchObject({ code: 'RATE_LIMITED', attempts: 1 });
    expect(failures[0]!.retryInMs).toBeGreaterThanOrEqual(2_000);
    const outage = failures.slice(1);
    expect(outage.length).toBeGreaterThanOrEqual(3);
    outage.forEach((failure, index) => {
      const exponential = Math.min(300 * 16, 300 * 2 ** (failure.attempts - 1));
      expect(failure).toMatchObject({ code: 'UNAVAILABLE', attempts: index + 2 });
      expect(failure.retryInMs).toBeGreaterThanOrEqual(exponential / 2);
      expect(failure.retryInMs).toBeLessThanOrEqual(exponential);
    });
    // The page really waited that long between attempts.
    failures.forEach((failure, index) =>
      expect(requestTimes[index + 1]! - requestTimes[index]!).toBeGreaterThanOrEqual(failure.retryInMs - 50),
    );
    const uploaded = ofType(log, 'chunk-uploaded');
    expect(indexesOf(uploaded)).toEqual([0, 1, 2]);
    expect(uploaded[0]!.payload).toMatchObject({ attempts: failures.length + 1 });
    console.log(
      `outage: ${failures.length} failed attempts, delays ${failures.map((failure) => failure.retryInMs).join(', ')} ms`,
    );
    expect((await apiSession(sessionId)).chunks.map((chunk) => chunk.chunk_index)).toEqual([0, 1, 2]);
    await context.close();
  }, 120_000);

  it('surfaces an upload the server will never accept (session closed) and does not retry it', async () => {
    let uploadRequests = 0;
    const { context, page } = await openExamPage('chunk_sec=3&backoff_ms=300&exam=browser-4xx', async (page) => {
      page.on('request', (request) => {
        if (request.url().endsWith('/api/audio/upload-chunk')) uploadRequests += 1;
      });
    });
    const { sessionId, startedAtMs } = await startRecording(page);
    // Someone closes the session under the page's feet.
    const closed = await fetch(`${platform.gatewayUrl}/api/audio/session-complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await platform.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, total_chunks: 0 }),
    });
    expect(closed.status).toBe(200);
    await stopAt(page, startedAtMs, 7);
    const log = await until(
      page,
      (events) => ofType(events, 'chunk-failed').length >= 3,
      20_000,
      'three refused chunks',
    );
    await page.waitForTimeout(3_000);

    const failures = ofType(await logOf(page), 'chunk-failed').map(
      (event) => event.payload as { chunkIndex: number; status: number; code: string; permanent: boolean },
    );
    expect(failures).toEqual(
      [0, 1, 2].map((chunkIndex): unknown =>
        expect.objectContaining({ chunkIndex, status: 409, code: 'SESSION_CLOSED', permanent: true }),
      ),
    );
    expect(uploadRequests).toBe(3);
    expect(ofType(log, 'error').some((event) => (event.payload as { code?: string }).code === 'SESSION_CLOSED')).toBe(
      true,
    );
    expect(await page.getByTestId('errors').textContent()).toContain('SESSION_CLOSED');
    expect(await page.getByTestId('queue').textContent()).toContain('3 refused');
    // Kept in the browser, not thrown away: the page may still export or retry them.
    expect(
      await page.evaluate(() =>
        window.earshot!.recorder.storedChunks().then((chunks) => chunks.map((chunk) => chunk.status)),
      ),
    ).toEqual(['failed', 'failed', 'failed']);
    await context.close();
  }, 60_000);

  it('reports a muted and then lost microphone, keeps what was recorded, and finishes the session', async () => {
    const { context, page } = await openExamPage('chunk_sec=3&exam=browser-mic');
    const { sessionId } = await startRecording(page);
    await page.waitForTimeout(4_000);
    // Chromium's fake device cannot be unplugged: the track's own events stand in for the operating system's.
    await page.evaluate(() => window.earshot!.recorder.microphoneTrack!.dispatchEvent(new Event('mute')));
    await page.waitForTimeout(500);
    await page.evaluate(() => window.earshot!.recorder.microphoneTrack!.dispatchEvent(new Event('ended')));
    await page.waitForFunction(() => window.earshot!.recorder.state === 'microphone-lost');
    const log = await until(
      page,
      (events) => ofType(events, 'chunk-uploaded').length >= 2,
      15_000,
      'both chunks uploaded',
    );

    expect(ofType(log, 'microphone').map((event) => (event.payload as { state: string }).state)).toEqual([
      'live',
      'muted',
      'ended',
      'off',
    ]);
    expect(ofType(log, 'error').map((event): unknown => event.payload)).toEqual([
      expect.objectContaining({ source: 'microphone' }),
    ]);
    expect(await page.getByTestId('recorder-state').textContent()).toBe('microphone-lost');
    // The chunk cut short by the loss is complete and uploaded, with its real length.
    const recorded = ofType(log, 'chunk-recorded').map(
      (event) => event.payload as { chunkIndex: number; durationSec: number },
    );
    expect(recorded.map((chunk) => chunk.chunkIndex)).toEqual([0, 1]);
    expect(recorded[1]!.durationSec).toBeGreaterThan(1);
    expect(recorded[1]!.durationSec).toBeLessThan(2.5);

    await page.evaluate(() => window.earshot!.recorder.stop());
    await until(page, (events) => ofType(events, 'session-complete-sent').length > 0, 15_000, 'session-complete');
    const session = await apiSession(sessionId);
    expect(session.total_chunks).toBe(2);
    expect(session.chunks.map((chunk) => chunk.chunk_index)).toEqual([0, 1]);
    await context.close();
  }, 60_000);

  it('with two tabs open, one uploads the shared queue and the other takes over when it closes', async () => {
    let blocked = true;
    const { context, page: recording } = await openExamPage(
      'chunk_sec=3&backoff_ms=300&exam=browser-tabs',
      async (page) => {
        await page.route('**/api/audio/upload-chunk', (route) =>
          blocked ? route.abort('internetdisconnected') : route.continue(),
        );
      },
    );
    const { sessionId, startedAtMs } = await startRecording(recording);
    const other = await context.newPage();
    await other.goto(`${platform.gatewayUrl}/?chunk_sec=3&backoff_ms=300`);
    await other.waitForFunction(() => window.earshot !== undefined);
    await stopAt(recording, startedAtMs, 7);
    // The recording tab holds the upload lock; its uploads fail while blocked, the other tab sends nothing.
    await until(
      recording,
      (events) => ofType(events, 'chunk-failed').length >= 2,
      10_000,
      'failed attempts in the recording tab',
    );
    expect((await apiSession(sessionId)).chunks).toEqual([]);
    expect(ofType(await logOf(other), 'chunk-uploaded')).toEqual([]);
    await recording.close();
    blocked = false;
    const log = await until(
      other,
      (events) => ofType(events, 'session-complete-sent').length > 0,
      30_000,
      'the other tab finishing the queue',
    );
    expect(indexesOf(ofType(log, 'chunk-uploaded'))).toEqual([0, 1, 2]);
    expect(ofType(log, 'session-complete-sent')[0]!.payload).toEqual({ sessionId, totalChunks: 3 });
    expect((await apiSession(sessionId)).chunks.map((chunk) => chunk.chunk_index)).toEqual([0, 1, 2]);
    await context.close();
  }, 60_000);
});
