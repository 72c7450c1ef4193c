/**
 * `npm run bench:analyzer-memory [-- --chunks 500 --transcriber none --heavy 0]`
 *
 * Starts the analyzer as its own process (real Postgres, Redis, S3 server, ffmpeg) with the default engines,
 * pushes `--chunks` chunks of mixed traffic through every stage (speech of several lengths, silence, an
 * undecodable file, and with `--heavy N` every Nth chunk a long one), and samples the analyzer's RSS, heap and
 * main-thread event-loop delay from its /health every `--sample-ms`. RSS that keeps climbing after warm-up is a
 * leak; a flat line is not. Writes bench/results/analyzer-memory-<time>.json and appends to analyzer-memory.md.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { chunkObjectKey } from '@earshot/contracts';
import { createChunksRepository, createDatabase, createSessionsRepository } from '@earshot/db';
import { createJobProducer } from '@earshot/queue';
import { createS3Storage } from '@earshot/storage';
import { makeSpeechChunk, REPO_ROOT, sha256Hex, startStack, TEST_REDIS_URL } from '@earshot/testing';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '500' },
    transcriber: { type: 'string', default: 'none' },
    heavy: { type: 'string', default: '0' },
    'heavy-sec': { type: 'string', default: '600' },
    'sample-ms': { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '8' },
    label: { type: 'string', default: '' },
    /** Run the analyzer with glibc limited to one malloc arena and a trim threshold (fragmentation check). */
    'one-arena': { type: 'boolean', default: false },
  },
});
const chunkCount = Number(values.chunks);
const heavyEvery = Number(values.heavy);
const sampleMs = Number(values['sample-ms']);
const inFlight = Number(values['in-flight']);

interface Health {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Absent on analyzers older than this bench (event-loop figures only). */
  memoryBytes?: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
}
interface Sample {
  atSec: number;
  done: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  loopMaxMs: number;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? NaN : Math.round(bytes / 1e5) / 10);

async function main(): Promise<void> {
  const stack = await startStack({
    jwtSecret: 'bench-secret',
    services: ['analyzer'],
    env: {
      analyzer: {
        TRANSCRIBER: values.transcriber,
        LOG_LEVEL: 'warn',
        ...(values['one-arena'] ? { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' } : {}),
      },
    },
  });
  const analyzer = stack.services.analyzer!;
  const database = createDatabase({ url: stack.databaseUrl, maxConnections: 4 });
  const sessions = createSessionsRepository(database.db);
  const chunks = createChunksRepository(database.db);
  const storage = createS3Storage({ ...stack.s3, forcePathStyle: true });
  const producer = createJobProducer({ redisUrl: TEST_REDIS_URL, prefix: stack.queuePrefix });
  const samples: Sample[] = [];
  const started = Date.now();
  let done = 0;
  let failed = 0;
  try {
    await storage.ensureBucket();
    const fixtures = await Promise.all([
      makeSpeechChunk({ text: 'Hey Siri, what is the capital of France?', durationSec: 30, speechStartSec: 2 }),
      makeSpeechChunk({ text: 'The answer to question four is the second option, I think.', durationSec: 30, speechStartSec: 5, voice: 'en-us' }),
      makeSpeechChunk({ text: 'Okay.', durationSec: 12, speechStartSec: 1 }),
      makeSpeechChunk({ text: ' ', durationSec: 30, speechStartSec: 0 }),
    ]);
    const broken = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(2000, 7)]);
    const heavy = heavyEvery
      ? await makeSpeechChunk({ text: 'I am reading the whole exam aloud to my friend. '.repeat(80), durationSec: Number(values['heavy-sec']), speechStartSec: 1 })
      : undefined;
    const mix = [...fixtures.map((f) => f.bytes), broken];
    const session = await sessions.create({ orgId: 'bench', userId: 'bench', testSessionId: 'bench', metadata: {}, s3BaseKeyFor: (id) => `audio/${id}/` });

    const health = async (): Promise<Health> => (await (await fetch(`${analyzer.url}/health`)).json()) as Health;
    const timer = setInterval(() => {
      void health().then(
        (h) =>
          samples.push({
            atSec: Math.round((Date.now() - started) / 100) / 10,
            done,
            rssMb: mb(h.memoryBytes?.rss),
            heapUsedMb: mb(h.memoryBytes?.heapUsed),
            externalMb: mb(h.memoryBytes?.external),
            loopMaxMs: h.eventLoopDelayMs.max,
          }),
        () => undefined,
      );
    }, sampleMs);

    const push = async (index: number) => {
      const bytes = heavy && index % heavyEvery === heavyEvery - 1 ? heavy.bytes : mix[index % mix.length]!;
      const key = chunkObjectKey(session.id, index, 'bench', 'webm');
      await storage.putStream(key, Readable.from([bytes]), 'audio/webm');
      const claimToken = crypto.randomUUID();
      const claim = await chunks.claim({ claimToken, sessionId: session.id, chunkIndex: index, startTimeSeconds: index * 30, durationSeconds: 30, s3Key: key, contentType: 'audio/webm', staleBefore: new Date(0) });
      if (!claim.claimed) throw new Error(`chunk ${index} exists`);
      await chunks.markUploaded(claim.chunk.id, claimToken, { fileSizeBytes: bytes.length, contentSha256: sha256Hex(bytes) });
      await producer.enqueue('chunk.vad', { v: 1, sessionId: session.id, chunkIndex: index });
      for (;;) {
        const row = await chunks.find(session.id, index);
        if (row?.processingStatus === 'completed' || row?.processingStatus === 'failed') {
          if (row.processingStatus === 'failed') failed++;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      done++;
      if (done % 50 === 0) process.stdout.write(`${done}/${chunkCount} chunks, ${Math.round((Date.now() - started) / 1000)} s\n`);
    };
    // A closed loop with `inFlight` chunks in the analyzer at once: enough to keep every stage's workers busy.
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < chunkCount) await push(next++);
      }),
    );
    clearInterval(timer);
    samples.push({ atSec: Math.round((Date.now() - started) / 100) / 10, done, ...(await health().then((h) => ({ rssMb: mb(h.memoryBytes?.rss), heapUsedMb: mb(h.memoryBytes?.heapUsed), externalMb: mb(h.memoryBytes?.external), loopMaxMs: h.eventLoopDelayMs.max }))) });
  } finally {
    await producer.close();
    await database.close();
    storage.close();
    await stack.stop();
  }

  const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(fraction * (samples.length - 1)))]!;
  const warm = samples.find((s) => s.done >= Math.min(50, chunkCount / 5)) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const summary = {
    date: new Date().toISOString(),
    label: values.label,
    command: `npm run bench:analyzer-memory -- --chunks ${chunkCount} --transcriber ${values.transcriber} --heavy ${heavyEvery}${values['one-arena'] ? ' --one-arena' : ''}${heavyEvery ? ` --heavy-sec ${values['heavy-sec']}` : ''}`,
    chunks: chunkCount,
    failedChunks: failed,
    wallSec: Math.round((Date.now() - started) / 1000),
    rssMb: { first: samples[0]?.rssMb, afterWarmUp: warm.rssMb, half: at(0.5).rssMb, last: last.rssMb, max: Math.max(...samples.map((s) => s.rssMb)) },
    heapUsedMb: { afterWarmUp: warm.heapUsedMb, last: last.heapUsedMb },
    externalMb: { afterWarmUp: warm.externalMb, last: last.externalMb },
    rssGrowthAfterWarmUpMbPer100Chunks: Math.round(((last.rssMb - warm.rssMb) / Math.max(1, last.done - warm.done)) * 1000) / 10,
    eventLoopDelayMaxMs: last.loopMaxMs,
  };
  const stamp = summary.date.replace(/[:.]/g, '-');
  writeFileSync(path.join(REPO_ROOT, 'bench', 'results', `analyzer-memory-${stamp}.json`), JSON.stringify({ ...summary, samples }, null, 2));
  appendFileSync(path.join(REPO_ROOT, 'bench', 'results', 'analyzer-memory.md'), `\n## ${summary.date} ${summary.label}\n\n\`${summary.command}\`\n\n\`\`\`json\n${JSON.stringify(summary, null, 2)}\n\`\`\`\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
