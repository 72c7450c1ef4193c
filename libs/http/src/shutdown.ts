/** Runs `close` once on SIGTERM/SIGINT (graceful drain), then exits; a second signal exits at once. */
export function onShutdown(close: () => Promise<void>, log: (message: string) => void = () => undefined): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal} received, draining`);
    close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
