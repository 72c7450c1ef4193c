/** `npm run models:fetch [-- --dir DIR] [ids...]`: downloads the optional model files and verifies their hashes. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModelsDir, fetchModels, readModelManifest } from './model-manifest';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { dir: { type: 'string' }, manifest: { type: 'string' } },
  });
  const manifestPath = values.manifest ?? path.join(__dirname, '../../models.manifest.json');
  const dir = values.dir ?? process.env.EARSHOT_MODELS_DIR ?? defaultModelsDir(process.cwd());
  const manifest = await readModelManifest(manifestPath);
  const outcomes = await fetchModels(manifest, dir, {
    ids: positionals,
    onProgress: (id, received, total) =>
      process.stderr.write(
        `\r${id}: ${(received / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`,
      ),
  });
  process.stderr.write('\n');
  for (const outcome of outcomes)
    process.stdout.write(
      `${outcome.status.padEnd(10)} ${outcome.id} ${outcome.file}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}\n`,
    );
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`models:fetch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
