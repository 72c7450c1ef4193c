// Builds the published shape (ESM + .d.ts in dist/) and prints the core's min+gzip size.
// `npm run build -w libs/recorder`
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
const dist = `${here}dist`;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: { index: `${here}src/index.ts`, react: `${here}src/react.tsx` },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  jsx: 'automatic',
  external: ['socket.io-client', 'react', 'react/jsx-runtime', '@earshot/contracts'],
  sourcemap: true,
  logLevel: 'warning',
});
writeFileSync(`${dist}/package.json`, JSON.stringify({ type: 'module' }) + '\n');
execFileSync(process.execPath, [`${here}../../node_modules/typescript/bin/tsc`, '-p', `${here}tsconfig.build.json`], {
  stdio: 'inherit',
});

/** What a page pays for the core: minified, gzip level 9. */
async function measure(label, external) {
  const result = await build({
    entryPoints: [`${here}src/index.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external,
    write: false,
    logLevel: 'warning',
  });
  const bytes = result.outputFiles[0].contents;
  console.log(
    `${label}: ${(bytes.length / 1024).toFixed(1)} KiB min, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB min+gzip`,
  );
}
await measure('core without socket.io-client', ['socket.io-client']);
await measure('core with socket.io-client bundled', []);
