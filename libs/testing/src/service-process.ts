import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export type ServiceName = 'gateway' | 'uploader' | 'analyzer' | 'notifier';

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM (or `signal`), then SIGKILL after the grace period. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

/** A free loopback port (the kernel picks; tiny race window accepted for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts one service as its own OS process, exactly as `npm run up` does (node + tsx on its main.ts), and waits
 * until its /health answers. Output goes to `logDir/<name>.log`.
 */
export async function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  options: { logDir: string; port?: number; timeoutMs?: number; /** Extra node flags, e.g. --cpu-prof. */ nodeArgs?: string[] },
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  mkdirSync(options.logDir, { recursive: true });
  // Appends: a restarted service keeps the log of its earlier runs.
  const log = createWriteStream(path.join(options.logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', path.join('apps', name, 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code}; see ${path.join(options.logDir, `${name}.log`)}`))),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const ok = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null) await exited;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become healthy at ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name,
    url,
    pid: child.pid!,
    child,
    stop: async (graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** Peak resident memory (VmHWM) of a live process, in bytes; undefined off Linux. */
export async function peakRssBytes(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** CPU seconds (user + system) a process has used so far; undefined off Linux or once it is gone. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 15) return undefined;
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s on Linux)
}

/** Pids of processes whose command name matches (e.g. postgres backends, redis-server). */
export async function pidsNamed(name: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) pids.push(Number(entry));
  }
  return pids;
}

/** Starts the S3 server in a process of its own; resolves once it listens. */
export async function startS3ServerProcess(): Promise<{ endpoint: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 's3-server.cli.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const match = /S3_ENDPOINT=(\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`S3 server exited with ${code}`)));
  });
  return {
    endpoint,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await done;
    },
  };
}
