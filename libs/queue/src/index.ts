import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_NAMES, QUEUES, jobId, type JobName, type JobPayloads } from '@earshot/contracts';
import { JOB_POLICIES, type JobPolicy } from './policies';

export { JOB_POLICIES, type JobPolicy };

export interface QueueConnectionOptions {
  redisUrl: string;
  /** Prefix of every BullMQ key. Default 'earshot'. Tests use one of their own. */
  prefix?: string;
}

/** Thrown by a handler when retrying cannot help (bad media, entity gone): the job fails at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

const createConnection = (redisUrl: string, forWorker: boolean): Redis =>
  new Redis(redisUrl, {
    // Workers must wait for Redis forever; producers fail fast so an HTTP request never hangs on a dead Redis.
    maxRetriesPerRequest: forWorker ? null : 1,
    enableOfflineQueue: forWorker,
    lazyConnect: false,
  });

export interface JobProducer {
  /** Idempotent: the deterministic job id means a second enqueue of the same job is a no-op. */
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void>;
  /**
   * Runs `name` every `everyMs` through one BullMQ job scheduler whose id is the job name: any number of
   * processes may call this (an upsert), and Redis holds exactly one scheduler, with the last caller's interval.
   */
  schedule<N extends JobName>(name: N, everyMs: number, payload: JobPayloads[N]): Promise<void>;
  /** The schedulers of a job's queue (operations and tests). */
  schedulers(name: JobName): Promise<{ id: string; everyMs: number | undefined }[]>;
  counts(name: JobName): Promise<Record<string, number>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createJobProducer(options: QueueConnectionOptions): JobProducer {
  const connection = createConnection(options.redisUrl, false);
  const prefix = options.prefix ?? 'earshot';
  const queues = new Map<JobName, Queue>();
  const queueFor = (name: JobName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(QUEUES[name], { connection: connection, prefix });
      queues.set(name, queue);
    }
    return queue;
  };
  return {
    async enqueue(name, payload) {
      const policy = JOB_POLICIES[name];
      const id = jobId(name, payload);
      await queueFor(name).add(name, payload, {
        ...(policy.repeatEnqueue === 'again-if-active'
          ? { deduplication: { id, keepLastIfActive: true } }
          : { jobId: id }),
        attempts: policy.attempts,
        backoff: { type: 'exponential', delay: policy.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async schedule(name, everyMs, payload) {
      const policy = JOB_POLICIES[name];
      await queueFor(name).upsertJobScheduler(
        jobId(name, payload),
        { every: everyMs },
        {
          name,
          data: payload,
          opts: {
            attempts: policy.attempts,
            backoff: { type: 'exponential', delay: policy.backoffMs },
            removeOnComplete: { age: 3600, count: 100 },
            removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
          },
        },
      );
    },
    async schedulers(name) {
      const found = await queueFor(name).getJobSchedulers();
      return found.map((scheduler) => ({ id: scheduler.key, everyMs: scheduler.every ?? undefined }));
    },
    async counts(name) {
      return queueFor(name).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    },
    async ping() {
      await connection.ping();
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}

export interface JobContext {
  attempt: number;
  /** Aborted when the policy timeout passes or the worker shuts down. */
  signal: AbortSignal;
  updateProgress(progress: number | object): Promise<void>;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<unknown>;
export type JobHandlers = { [N in JobName]?: JobHandler<N> };

export interface WorkerSetOptions extends QueueConnectionOptions {
  /** Which jobs this process runs (ANALYZER_STAGES). Each must have exactly one handler. */
  names: readonly JobName[];
  handlers: JobHandlers;
  /** Overrides per job, e.g. concurrency from config. */
  policyOverrides?: Partial<Record<JobName, Partial<JobPolicy>>>;
  /** Validates and parses a payload; throw to fail the job permanently. */
  parsePayload: <N extends JobName>(name: N, data: unknown) => JobPayloads[N];
  /**
   * Called when a job fails for the last time (permanent error, attempts used up, or stalled more than BullMQ's
   * maxStalledCount): record the reason. Awaited before the failure when the handler threw.
   */
  onFinalFailure?: <N extends JobName>(name: N, payload: JobPayloads[N], error: Error) => Promise<void>;
  /** How long a running job's lock lasts without renewal (its worker died). Default 30 s (BullMQ's). */
  lockDurationMs?: number;
  /** How often locks are checked for stalled jobs. Default 30 s (BullMQ's). */
  stalledIntervalMs?: number;
}

export interface WorkerSet {
  names: readonly JobName[];
  ping(): Promise<void>;
  /** Stops taking jobs and waits for running ones (graceful drain). */
  close(): Promise<void>;
}

export function startWorkers(options: WorkerSetOptions): WorkerSet {
  const unknown = options.names.filter((name) => !JOB_NAMES.includes(name));
  if (unknown.length) throw new Error(`Unknown job names: ${unknown.join(', ')}`);
  const missing = options.names.filter((name) => typeof options.handlers[name] !== 'function');
  if (missing.length) throw new Error(`No handler for jobs: ${missing.join(', ')}`);

  const prefix = options.prefix ?? 'earshot';
  const connection = createConnection(options.redisUrl, true);
  const shutdown = new AbortController();

  const workers = options.names.map((name) => {
    const policy = { ...JOB_POLICIES[name], ...options.policyOverrides?.[name] };
    const handler = options.handlers[name] as JobHandler<typeof name>;
    const worker = new Worker(
      QUEUES[name],
      async (job: Job) => {
        let payload: JobPayloads[typeof name];
        try {
          payload = options.parsePayload(name, job.data);
        } catch (error) {
          throw new UnrecoverableError(`invalid payload: ${(error as Error).message}`);
        }
        const timeout = AbortSignal.timeout(policy.timeoutMs);
        const signal = AbortSignal.any([timeout, shutdown.signal]);
        const timedOut = new Promise<never>((_, reject) =>
          timeout.addEventListener('abort', () => reject(new Error(`timed out after ${policy.timeoutMs} ms`)), {
            once: true,
          }),
        );
        try {
          return await Promise.race([
            handler(payload, {
              attempt: job.attemptsMade + 1,
              signal,
              updateProgress: (progress) => job.updateProgress(progress),
            }),
            timedOut,
          ]);
        } catch (error) {
          const permanent = error instanceof PermanentJobError;
          if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
            await options.onFinalFailure?.(name, payload, error as Error);
          }
          if (permanent) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        connection: connection,
        prefix,
        concurrency: policy.concurrency,
        autorun: true,
        ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
        ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
      },
    );
    // Connection errors are retried by ioredis; without a listener they would crash the process.
    worker.on('error', () => undefined);
    // A job whose workers died while running it more than maxStalledCount times is failed by BullMQ without
    // calling the handler (deferredFailure): report it too, or its chunk would stay 'processing' for ever.
    worker.on('failed', (job, error) => {
      if (!job?.deferredFailure || !options.onFinalFailure) return;
      let payload: JobPayloads[typeof name];
      try {
        payload = options.parsePayload(name, job.data);
      } catch {
        return;
      }
      options.onFinalFailure(name, payload, error).catch(() => undefined);
    });
    return worker;
  });

  return {
    names: options.names,
    ping: async () => {
      await connection.ping();
    },
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
      shutdown.abort();
      connection.disconnect();
    },
  };
}
