// s3rver ships no types; the reference makes every consumer's tsconfig see the declaration beside this file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver.d.ts" />
import { mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  directory: string;
  close(): Promise<void>;
}

/** The files s3rver's filesystem store writes per object. */
const OBJECT_FILES = ['object', 'object.md5', 'metadata.json'];

/**
 * s3rver deletes an object's directory once it is empty, which races a concurrent put into the same prefix: the
 * put's write stream fails with ENOENT, unhandled, and the server process dies. Objects are deleted and their
 * directories kept (S3 has no directories; listings do not show empty ones).
 */
function keepDirectoriesOnDelete(server: S3rver): void {
  const store = server.store;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      OBJECT_FILES.map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

/**
 * A real S3-protocol server (s3rver, file-backed) on a random loopback port. Callers must configure their
 * client for S3-compatible servers (path style, checksums only when required); see libs/storage.
 */
export async function startTestS3Server(): Promise<TestS3Server> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'earshot-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: false });
  keepDirectoriesOnDelete(server);
  const address = (await server.run());
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    directory,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
