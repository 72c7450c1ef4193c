import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Runs `work` with a fresh temporary folder that is always removed afterwards. */
export async function withTempDir<T>(work: (dir: string) => Promise<T>, parentDir = tmpdir()): Promise<T> {
  const dir = await mkdtemp(path.join(parentDir, 'earshot-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
