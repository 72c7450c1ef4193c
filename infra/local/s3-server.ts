// Local S3-compatible server for `npm run up` when no S3_ENDPOINT is given: s3rver (file-backed) on
// 127.0.0.1:S3_PORT (9000) with data in .data/s3, creating S3_BUCKET (earshot-audio) if needed.
// Clients must use path-style addressing and checksums "when required" (see libs/storage and STACK.md).
// Run: node --import tsx infra/local/s3-server.ts (types of s3rver: libs/testing/src/s3rver.d.ts, via infra/tsconfig.json)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import S3rver from 's3rver';

const root = path.resolve(__dirname, '../..');
const port = Number(process.env.S3_PORT ?? 9000);
const address = process.env.S3_HOST ?? '127.0.0.1';
const bucket = process.env.S3_BUCKET ?? 'earshot-audio';
const directory = path.resolve(process.env.S3_DATA_DIR ?? path.join(root, '.data', 's3'));

async function main(): Promise<void> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ address, port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  process.stdout.write(`s3rver listening on http://${address}:${port} (bucket ${bucket}, data ${directory})\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`s3rver failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
