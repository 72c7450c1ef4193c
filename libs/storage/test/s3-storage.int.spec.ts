import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startTestS3Server, type TestS3Server } from '@earshot/testing';
import { createS3Storage, type ObjectStorage } from '../src';

let server: TestS3Server;
let storage: ObjectStorage;

beforeAll(async () => {
  server = await startTestS3Server();
  storage = createS3Storage({ ...server, bucket: 'storage-spec', forcePathStyle: true, partSizeBytes: 5 * 1024 * 1024 });
  await storage.ensureBucket();
  await storage.ensureBucket(); // idempotent
});
afterAll(async () => {
  storage.close();
  await server.close();
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3 storage (real S3-protocol server)', () => {
  it('streams small and multipart objects byte-exactly (no aws-chunked framing stored)', async () => {
    for (const size of [1, 300_000, 12 * 1024 * 1024 + 17]) {
      const bytes = randomBytes(size);
      const pieces = [bytes.subarray(0, Math.floor(size / 3)), bytes.subarray(Math.floor(size / 3))];
      await storage.putStream(`k/${size}`, Readable.from(pieces), 'audio/webm');
      expect(sha(await storage.getBytes(`k/${size}`))).toBe(sha(bytes));
    }
  });

  it('reports existence and deletes', async () => {
    await storage.putStream('k/x', Readable.from([Buffer.from('abc')]), 'text/plain');
    expect(await storage.exists('k/x')).toBe(true);
    await storage.delete('k/x');
    expect(await storage.exists('k/x')).toBe(false);
  });

  it('lists the keys under a prefix, across pages', async () => {
    const keys = Array.from({ length: 1_005 }, (_, index) => `list/a/${String(index).padStart(4, '0')}`);
    // One more than a listing page (1,000 keys).
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(keys.slice(start, start + 50).map((key) => storage.putStream(key, Readable.from([Buffer.from('x')]), 'text/plain')));
    }
    await storage.putStream('list/b/0', Readable.from([Buffer.from('x')]), 'text/plain');
    expect(await storage.listKeys('list/a/')).toEqual(keys);
    expect(await storage.listKeys('list/none/')).toEqual([]);
    await storage.delete('list/b/0');
    expect(await storage.listKeys('list/b/')).toEqual([]);
  }, 60_000);

  it('deletes the last object of a prefix without removing the test server\'s directory under a concurrent put', async () => {
    // s3rver alone removes the emptied directory, and a put racing into it dies with ENOENT (libs/testing).
    await storage.putStream('prefix/only', Readable.from([Buffer.from('x')]), 'text/plain');
    await storage.delete('prefix/only');
    expect(existsSync(path.join(server.directory, 'storage-spec', 'prefix'))).toBe(true);
    expect(await storage.listKeys('prefix/')).toEqual([]);
  });

  it('rejects and stores nothing when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.putStream('k/failed', failing, 'audio/webm')).rejects.toThrow();
    expect(await storage.exists('k/failed')).toBe(false);
  });
});
