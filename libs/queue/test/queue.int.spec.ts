import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, TEST_REDIS_URL, uniquePrefix } from '@earshot/testing';
import { parseJobPayload as parsePayload } from '@earshot/contracts';
import { createJobProducer, PermanentJobError, startWorkers, type JobHandlers, type WorkerSet } from '../src';

const sessionId = '0b5e9a4e-4a6e-4c3f-9d63-2a4f3f1e0c11';

const waitFor = async (predicate: () => boolean, timeoutMs = 10_000) => {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('queue (real Redis)', () => {
  let workers: WorkerSet | undefined;
  const producers: ReturnType<typeof createJobProducer>[] = [];
  const newProducer = (prefix: string) => {
    const producer = createJobProducer({ redisUrl: TEST_REDIS_URL, prefix });
    producers.push(producer);
    return producer;
  };
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await Promise.all(producers.splice(0).map((producer) => producer.close()));
  });

  it('enqueues a job once per deterministic id and runs it', async () => {
    const prefix = uniquePrefix('queue');
    const producer = newProducer(prefix);
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 0 });
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 0 });
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 1 });
    expect((await producer.counts('chunk.vad')).waiting).toBe(2);
    const seen: number[] = [];
    workers = startWorkers({
      redisUrl: TEST_REDIS_URL,
      prefix,
      names: ['chunk.vad'],
      parsePayload,
      handlers: { 'chunk.vad': async (payload) => void seen.push(payload.chunkIndex) },
    });
    await waitFor(() => seen.length === 2);
    expect(seen.sort()).toEqual([0, 1]);
  });

  it('fails a permanent error at once and reports the final failure', async () => {
    const prefix = uniquePrefix('queue');
    const producer = newProducer(prefix);
    let calls = 0;
    const failures: string[] = [];
    workers = startWorkers({
      redisUrl: TEST_REDIS_URL,
      prefix,
      names: ['chunk.vad'],
      parsePayload,
      handlers: {
        'chunk.vad': async () => {
          calls += 1;
          throw new PermanentJobError('not audio');
        },
      },
      onFinalFailure: async (_name, _payload, error) => void failures.push(error.message),
    });
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 5 });
    await waitFor(() => failures.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toBe(1);
    expect(failures).toEqual(['not audio']);
    expect((await producer.counts('chunk.vad')).failed).toBe(1);
  });

  it('aborts a try that exceeds its timeout and retries it', async () => {
    const prefix = uniquePrefix('queue');
    const producer = newProducer(prefix);
    const attempts: number[] = [];
    workers = startWorkers({
      redisUrl: TEST_REDIS_URL,
      prefix,
      names: ['chunk.vad'],
      parsePayload,
      policyOverrides: { 'chunk.vad': { timeoutMs: 100, backoffMs: 10 } },
      handlers: {
        'chunk.vad': async (_payload, context) => {
          attempts.push(context.attempt);
          if (context.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 1_000));
        },
      },
    });
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 7 });
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
  });

  it('reports the final failure of a job whose workers died running it more often than BullMQ allows', async () => {
    const prefix = uniquePrefix('queue');
    const producer = newProducer(prefix);
    await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex: 9 });
    // Twice a worker process takes the job and is SIGKILLed while running it (BullMQ's maxStalledCount is 1).
    for (let death = 0; death < 2; death += 1) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'hanging-worker.ts'), TEST_REDIS_URL, prefix], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.on('data', (data: Buffer) => data.toString().includes('ACTIVE') && resolve()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    const failures: { chunkIndex: number; message: string }[] = [];
    let calls = 0;
    workers = startWorkers({
      redisUrl: TEST_REDIS_URL,
      prefix,
      names: ['chunk.vad'],
      parsePayload,
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
      handlers: { 'chunk.vad': async () => void (calls += 1) },
      onFinalFailure: async (_name, payload, error) =>
        void failures.push({ chunkIndex: 'chunkIndex' in payload ? payload.chunkIndex : -1, message: error.message }),
    });
    await waitFor(() => failures.length === 1, 15_000);
    expect(failures).toEqual([{ chunkIndex: 9, message: 'job stalled more than allowable limit' }]);
    expect(calls).toBe(0);
  }, 60_000);

  it('refuses to start when a selected job has no handler', () => {
    const handlers: JobHandlers = {};
    expect(() => startWorkers({ redisUrl: TEST_REDIS_URL, names: ['session.summary'], parsePayload, handlers })).toThrow(
      /No handler for jobs: session.summary/,
    );
  });
});
