/**
 * `npm run bench:ingest [-- --rates 50,100,200,400 --step-sec 10 --sessions 200]`
 *
 * Starts gateway, uploader and notifier as separate processes on a fresh database, S3 server and queue prefix,
 * then drives an open-loop load: at each target rate, chunk uploads are scheduled at fixed intervals across many
 * simulated candidate sessions (consecutive chunk indexes, a real 30 s opus chunk). Latency is measured from the
 * scheduled send time (no coordinated omission). The analyzer is not started: this measures ingest alone.
 * Writes bench/results/ingest-<time>.json and bench/results/ingest.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { signDevelopmentToken } from '@earshot/auth';
import { cpuSeconds, makeSpeechChunk, peakRssBytes, pidsNamed, REPO_ROOT, startStack } from '@earshot/testing';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200,400' },
    'step-sec': { type: 'string', default: '10' },
    sessions: { type: 'string', default: '200' },
    'max-in-flight': { type: 'string', default: '1024' },
  },
});
const rates = values.rates.split(',').map(Number);
const stepSec = Number(values['step-sec']);
const sessionCount = Number(values.sessions);
const maxInFlight = Number(values['max-in-flight']);
const SECRET = 'bench-secret';

interface StepResult {
  targetRate: number;
  sent: number;
  accepted: number;
  errors: Record<string, number>;
  droppedAtClient: number;
  acceptedPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU seconds each process used during the step, per accepted chunk (ms): where the time goes. */
  cpuMsPerChunk: Record<string, number>;
  cpuUtilisation: Record<string, number>;
}

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  // Each simulated candidate uploads far faster than a real one (2 chunks/min), so the per-user limit is lifted.
  const stack = await startStack({
    jwtSecret: SECRET,
    services: ['uploader', 'notifier', 'gateway'],
    env: { uploader: { DATABASE_POOL_SIZE: '20', LOG_LEVEL: 'warn' }, notifier: { LOG_LEVEL: 'warn' }, gateway: { RATE_LIMIT_UPLOADS_PER_MINUTE: '1000000', RATE_LIMIT_API_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' } },
  });
  const services = Object.values(stack.services);
  const gateway = stack.services.gateway!;
  const s3 = stack.s3;
  try {
    // Constant 64 kb/s: the size of a real browser chunk (~240 KB), whatever the speech.
    const chunk = (await makeSpeechChunk({ text: 'I am answering question four of the exam now, please wait.', durationSec: 30, constantBitrate: true })).bytes;
    const processes = async (): Promise<Record<string, number[]>> => ({
      ...Object.fromEntries(services.map((service) => [service.name, [service.pid]])),
      s3rver: [s3.pid],
      'load-generator': [process.pid],
      postgres: await pidsNamed('postgres'),
      redis: await pidsNamed('redis-server'),
    });
    const cpuNow = async (): Promise<Record<string, number>> => {
      const groups = await processes();
      const totals: Record<string, number> = {};
      for (const [name, pids] of Object.entries(groups)) {
        totals[name] = (await Promise.all(pids.map((pid) => cpuSeconds(pid)))).reduce<number>((sum, value) => sum + (value ?? 0), 0);
      }
      return totals;
    };
    const dispatcher = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
    const sessions = await Promise.all(
      Array.from({ length: sessionCount }, async (_, index) => {
        const token = await signDevelopmentToken({ userId: `bench-${index}`, role: 'candidate', orgId: 'bench', secret: SECRET });
        const response = await request(`${gateway.url}/api/audio/sessions`, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ test_session_id: `bench-exam-${index}` }),
        });
        const body = (await response.body.json()) as { id: string };
        if (response.statusCode !== 201) throw new Error(`session create failed: ${response.statusCode} ${JSON.stringify(body)}`);
        return { id: body.id, token, next: 0 };
      }),
    );

    const boundary = 'earshotbenchboundary';
    const multipart = (sessionId: string, index: number) =>
      Buffer.concat([
        Buffer.from(
          [
            ['session_id', sessionId],
            ['chunk_index', String(index)],
            ['start_time', String(index * 30)],
          ]
            .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
            .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="audio_chunk"; filename="c.webm"\r\nContent-Type: audio/webm\r\n\r\n`,
        ),
        chunk,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);

    const steps: StepResult[] = [];
    let cursor = 0;
    for (const rate of rates) {
      const latencies: number[] = [];
      const errors: Record<string, number> = {};
      let sent = 0;
      let accepted = 0;
      let dropped = 0;
      let inFlight = 0;
      const total = Math.round(rate * stepSec);
      const start = performance.now() + 50;
      const pending: Promise<void>[] = [];
      const cpuBefore = await cpuNow();
      for (let i = 0; i < total; i += 1) {
        const scheduled = start + (i * 1000) / rate;
        const wait = scheduled - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        if (inFlight >= maxInFlight) {
          dropped += 1;
          continue;
        }
        const session = sessions[cursor % sessions.length]!;
        cursor += 1;
        const index = session.next;
        session.next += 1;
        const body = multipart(session.id, index);
        inFlight += 1;
        sent += 1;
        pending.push(
          request(`${gateway.url}/api/audio/upload-chunk`, {
            method: 'POST',
            dispatcher,
            headers: { authorization: `Bearer ${session.token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
            body,
          })
            .then(async (response) => {
              await response.body.dump();
              latencies.push(performance.now() - scheduled);
              if (response.statusCode === 201) accepted += 1;
              else errors[String(response.statusCode)] = (errors[String(response.statusCode)] ?? 0) + 1;
            })
            .catch((error: Error) => {
              errors[error.name] = (errors[error.name] ?? 0) + 1;
            })
            .finally(() => {
              inFlight -= 1;
            }),
        );
      }
      await Promise.all(pending);
      const elapsedSec = (performance.now() - start) / 1000;
      const cpuAfter = await cpuNow();
      const cpuUsed = Object.fromEntries(Object.entries(cpuAfter).map(([name, seconds]) => [name, seconds - (cpuBefore[name] ?? 0)]));
      latencies.sort((a, b) => a - b);
      const step: StepResult = {
        targetRate: rate,
        sent,
        accepted,
        errors,
        droppedAtClient: dropped,
        acceptedPerSec: round(accepted / elapsedSec),
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies[latencies.length - 1] ?? NaN),
        cpuMsPerChunk: Object.fromEntries(Object.entries(cpuUsed).map(([name, seconds]) => [name, round((seconds * 1000) / Math.max(1, accepted))])),
        cpuUtilisation: Object.fromEntries(Object.entries(cpuUsed).map(([name, seconds]) => [name, Math.round((seconds / elapsedSec) * 100) / 100])),
      };
      steps.push(step);
      process.stdout.write(`${JSON.stringify(step)}\n`);
    }
    await dispatcher.close();

    const peakRss: Record<string, number | undefined> = {};
    for (const service of services) peakRss[service.name] = await peakRssBytes(service.pid);
    peakRss['load-generator'] = await peakRssBytes(process.pid);
    const result = {
      benchmark: 'ingest',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      chunkBytes: chunk.length,
      sessions: sessionCount,
      stepSec,
      note: 'gateway, uploader, notifier, s3rver, Postgres, Redis and this load generator share the same 2 cores; analyzer not running',
      steps,
      peakRssMiB: Object.fromEntries(Object.entries(peakRss).map(([name, bytes]) => [name, bytes ? Math.round(bytes / 2 ** 20) : null])),
    };
    const stamp = result.date.replace(/[:.]/g, '-');
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', `ingest-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const table = [
      `# Ingest benchmark (${result.date})`,
      '',
      `${result.note}. Chunk: ${chunk.length} bytes of 30 s opus. ${sessionCount} sessions, ${stepSec} s per step. Command: \`npm run bench:ingest\`.`,
      '',
      '| target/s | sent | accepted/s | p50 ms | p95 ms | p99 ms | max ms | errors | dropped at client |',
      '|---|---|---|---|---|---|---|---|---|',
      ...steps.map((s) => `| ${s.targetRate} | ${s.sent} | ${s.acceptedPerSec} | ${s.p50Ms} | ${s.p95Ms} | ${s.p99Ms} | ${s.maxMs} | ${JSON.stringify(s.errors)} | ${s.droppedAtClient} |`),
      '',
      `Peak RSS (MiB): ${Object.entries(result.peakRssMiB).map(([name, mib]) => `${name} ${mib}`).join(', ')}`,
      '',
      'CPU milliseconds per accepted chunk, by process (the machine has 2 cores = 2000 ms of CPU per second):',
      '',
      `| target/s | ${Object.keys(steps[0]?.cpuMsPerChunk ?? {}).join(' | ')} |`,
      `|---|${Object.keys(steps[0]?.cpuMsPerChunk ?? {}).map(() => '---').join('|')}|`,
      ...steps.map((s) => `| ${s.targetRate} | ${Object.values(s.cpuMsPerChunk).join(' | ')} |`),
      '',
    ].join('\n');
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', 'ingest.md'), table);
    process.stdout.write(`\n${table}`);
  } finally {
    await stack.stop();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`bench:ingest failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
