// Measures the audio lost (or recorded twice) between consecutive chunks for each handover strategy, in real
// headless Chromium against the real services: `npm run bench:recorder-gap -- [seconds] [chunkSec]` (default 41 2)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionWithChunks } from '@earshot/contracts';
import { buildDemo, launchChromium, makeFakeMicrophoneWav, measureGapsMs, startPlatform } from './browser-harness';

const seconds = Number(process.argv[2] ?? 41);
const chunkSec = Number(process.argv[3] ?? 2);

async function main() {
  const [staticDir, micWav] = await Promise.all([buildDemo(), makeFakeMicrophoneWav()]);
  const platform = await startPlatform(staticDir);
  const browser = await launchChromium(micWav);
  const workDir = path.join(os.tmpdir(), `earshot-gap-bench-${process.pid}`);
  try {
    for (const handover of ['on-start', 'immediate']) {
      const context = await browser.newContext();
      await context.grantPermissions(['microphone'], { origin: platform.gatewayUrl });
      const page = await context.newPage();
      await page.goto(`${platform.gatewayUrl}/?chunk_sec=${chunkSec}&raw_audio=1&handover=${handover}&exam=gap-bench`);
      await page.waitForFunction(() => window.earshot !== undefined);
      await page.getByTestId('record-button').click();
      await page.waitForFunction(() => window.earshot!.recorder.state === 'recording');
      const sessionId = await page.evaluate(() => window.earshot!.recorder.sessionId!);
      await page.waitForTimeout(seconds * 1000);
      await page.evaluate(() => window.earshot!.recorder.stop());
      await page.waitForFunction(
        () => window.earshot!.log.some((event) => event.type === 'session-complete-sent'),
        undefined,
        { timeout: 60_000 },
      );
      const count = await page.evaluate(
        () => window.earshot!.log.filter((event) => event.type === 'chunk-recorded').length,
      );
      const files: string[] = [];
      mkdirSync(path.join(workDir, handover), { recursive: true });
      // Objects are read by their rows' keys: a key's extension is the container's, not a fixed one.
      const response = await fetch(`${platform.gatewayUrl}/api/audio/sessions/${sessionId}`, {
        headers: { authorization: `Bearer ${await platform.token()}` },
      });
      const { chunks } = (await response.json()) as SessionWithChunks;
      for (const chunk of chunks.filter((stored) => stored.chunk_index < count - 1)) {
        const file = path.join(workDir, handover, path.basename(chunk.s3_key));
        writeFileSync(file, await platform.storage.getBytes(chunk.s3_key));
        files.push(file);
      }
      const gaps = await measureGapsMs(micWav, files);
      const sorted = [...gaps].sort((a, b) => a - b);
      const lost = gaps.filter((gap) => gap > 0);
      console.log(
        `${handover}: ${gaps.length} boundaries, gap ms min ${sorted[0]!.toFixed(1)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} max ${sorted.at(-1)!.toFixed(1)}; ` +
          `${lost.length} with audio lost (${lost.reduce((sum, gap) => sum + gap, 0).toFixed(0)} ms in all): ${gaps.map((gap) => gap.toFixed(0)).join(' ')}`,
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
