import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createFixtureDir, type FixtureDir } from '../../test/audio-fixtures';
import { fetchModels, readModelManifest, type ModelManifest } from './model-manifest';

describe('fetchModels against a local server', () => {
  const content = Buffer.from('pretend model weights '.repeat(1000));
  const sha256 = createHash('sha256').update(content).digest('hex');
  let server: Server;
  let base: string;
  let fx: FixtureDir;
  let requests = 0;
  beforeAll(async () => {
    fx = createFixtureDir();
    server = createServer((request, response) => {
      requests++;
      if (request.url === '/model.bin') response.end(content);
      else {
        response.statusCode = 404;
        response.end();
      }
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fx.remove();
  });

  const manifest = (hash: string, url = `${base}/model.bin`): ModelManifest => ({
    models: [{ id: 'm', engine: 'test', file: 'model.bin', url, sha256: hash, default: true }],
  });

  it('downloads, verifies, and does not download a verified file again', async () => {
    const dir = path.join(fx.dir, 'ok');
    expect(await fetchModels(manifest(sha256), dir)).toEqual([
      { id: 'm', file: path.join(dir, 'model.bin'), status: 'downloaded' },
    ]);
    expect(readFileSync(path.join(dir, 'model.bin'))).toEqual(content);
    const before = requests;
    expect((await fetchModels(manifest(sha256), dir))[0]!.status).toBe('present');
    expect(requests).toBe(before);
  });

  it('keeps nothing when the hash does not match or the server fails', async () => {
    const dir = path.join(fx.dir, 'bad');
    const [mismatch] = await fetchModels(manifest('0'.repeat(64)), dir);
    expect(mismatch).toMatchObject({ status: 'failed', error: expect.stringMatching(/hash mismatch/) });
    const [missing] = await fetchModels(manifest(sha256, `${base}/nope.bin`), dir);
    expect(missing).toMatchObject({ status: 'failed', error: expect.stringMatching(/HTTP 404/) });
    expect(existsSync(path.join(dir, 'model.bin'))).toBe(false);
    expect(existsSync(path.join(dir, 'model.bin.part'))).toBe(false);
  });

  it('the committed manifest gives every model a hash', async () => {
    const committed = await readModelManifest(path.join(__dirname, '../../models.manifest.json'));
    expect(committed.models.length).toBeGreaterThan(0);
    expect(committed.models.every((m) => /^[0-9a-f]{40,64}$/.test(m.sha256 ?? m.sha1 ?? ''))).toBe(true);
  });
});
