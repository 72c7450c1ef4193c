import { onShutdown } from '@earshot/http';
import { buildApp } from './app';
import { loadConfig } from './config';
import { createUploaderRuntime } from './deps';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const runtime = await createUploaderRuntime(config);
  const app = await buildApp(runtime.options);
  onShutdown(async () => {
    await app.close();
    await runtime.close();
  }, (message) => app.log.info(message));
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`uploader failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
