/**
 * PostgreSQL, Redis and an S3 fault switch of the chaos run's own: started from the installed binaries in a temp
 * directory on free ports, so restarting them disturbs nothing else on the machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { migrateDatabase } from '@earshot/db';
import { freePort } from '@earshot/testing';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isRoot = () => process.getuid?.() === 0;

async function waitForPort(port: number, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new net.Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer on 127.0.0.1:${port}`);
    await sleep(100);
  }
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((version) => path.join(root, version, 'bin')).find((dir) => existsSync(path.join(dir, 'initdb')));
  if (!found) {
    throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: install Debian package postgresql-15 (apt-get install -y postgresql-15)');
  }
  return found;
}

export interface ChaosPostgres {
  url: string;
  port: number;
  /** Fast shutdown, `downMs` with nothing listening, start again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A PostgreSQL cluster in `dir` (initdb as the postgres user when run as root) with a migrated `earshot` database. */
export async function startPostgres(dir: string): Promise<ChaosPostgres> {
  const bin = postgresBinDir();
  const data = path.join(dir, 'pg');
  mkdirSync(data, { recursive: true });
  chmodSync(data, 0o700);
  const as = async (command: string, args: string[]) => {
    if (!isRoot()) return run(path.join(bin, command), args);
    return run('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]);
  };
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('running as root needs a `postgres` system user for initdb (Debian package postgresql-15 creates it)');
    });
    const uid = Number(stdout.trim());
    chownSync(dir, uid, -1);
    chownSync(data, uid, -1);
  }
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust']);
  const port = await freePort();
  const log = path.join(data, 'server.log');
  const options = `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    await as('pg_ctl', ['-D', data, '-l', log, '-w', '-o', options, 'start']);
    await waitForPort(port, 'postgres');
  };
  const stop = async () => void (await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined));
  await start();
  await as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'earshot']);
  const url = `postgres://postgres@127.0.0.1:${port}/earshot`;
  await migrateDatabase(url);
  return {
    url,
    port,
    restart: async (downMs = 0) => {
      await stop();
      await sleep(downMs);
      await start();
    },
    stop,
  };
}

export interface ChaosRedis {
  url: string;
  /** SIGTERM (SHUTDOWN), `downMs` with nothing listening, start again from the append-only file. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A redis-server with an append-only file (as a production queue must have: without it a restart loses every
 * waiting job). Restart is SHUTDOWN by SIGTERM, which flushes the file, then a fresh start from it.
 */
export async function startRedis(dir: string): Promise<ChaosRedis> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((candidate) => existsSync(candidate));
  if (!binary) throw new Error('redis-server not found: install Debian package redis-server (apt-get install -y redis-server)');
  const port = await freePort();
  const data = path.join(dir, 'redis');
  mkdirSync(data, { recursive: true });
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(binary, ['--bind', '127.0.0.1', '--port', String(port), '--dir', data, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--logfile', path.join(data, 'redis.log')], { stdio: 'ignore' });
    await waitForPort(port, 'redis');
  };
  const stop = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const done = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGTERM');
    await done;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    restart: async (downMs = 0) => {
      await stop();
      await sleep(downMs);
      await start();
    },
    stop,
  };
}

export interface S3FaultSwitch {
  endpoint: string;
  /** While true every request is answered 503 SlowDown (what S3 says when it sheds load). */
  failing: boolean;
  /** Requests answered 503 so far. */
  refused: number;
  close(): Promise<void>;
}

/** A pass-through HTTP proxy in front of the S3 server that can be switched to answer 503. */
export async function startS3FaultSwitch(target: string): Promise<S3FaultSwitch> {
  const upstream = new URL(target);
  const state = { failing: false, refused: 0 };
  const server = http.createServer((request, response) => {
    if (state.failing) {
      state.refused += 1;
      request.resume();
      response.writeHead(503, { 'content-type': 'application/xml', connection: 'close' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.on('error', () => forward.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
