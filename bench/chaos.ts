/**
 * `npm run test:chaos [-- --quick] [-- --pages 50 --chunks 10]`
 *
 * Fault injection on the whole ingest path. Starts its own PostgreSQL and Redis (from the installed binaries, in
 * a temp directory, on free ports), its own S3 server behind a switch that can answer 503, and the four services
 * as processes. Simulated exam pages upload real opus chunks with the recorder's retry rules while the run
 * SIGKILLs the analyzer five times, restarts Redis and PostgreSQL, makes S3 answer 503 for 10 s, stalls some
 * uploads half way, and finally SIGTERMs and restarts every service under load. Then it waits for quiescence and
 * checks that no accepted chunk was lost, no chunk was analysed twice, every chunk ended completed or failed
 * (with a reason) and every session was summarised exactly once. Writes bench/results/chaos.{md,json}; exits 1
 * when an invariant fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { io } from 'socket.io-client';
import { Agent } from 'undici';
import { signDevelopmentToken } from '@earshot/auth';
import { createS3Storage } from '@earshot/storage';
import { makeSpeechChunk, REPO_ROOT, sha256Hex, startS3ServerProcess, startStack, type ServiceName, type Stack } from '@earshot/testing';
import { startPostgres, startRedis, startS3FaultSwitch } from './chaos/infra';
import { completeSession, createSession, uploadChunk, type ChunkRecord, type PageOptions, type PageStats, type StallMode } from './chaos/pages';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pages: { type: 'string' },
    chunks: { type: 'string' },
    'stall-ratio': { type: 'string', default: '0.06' },
    'keep-dir': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const PAGES = Number(values.pages ?? (quick ? 8 : 50));
const CHUNKS = Number(values.chunks ?? (quick ? 5 : 10));
const STALL_RATIO = Number(values['stall-ratio']);
/** Pause between faults. */
const GAP_MS = quick ? 2_500 : 4_000;
const S3_OUTAGE_MS = 10_000;
/** How long Redis and PostgreSQL stay down when restarted. */
const DATABASE_DOWN_MS = 3_000;
const QUIESCENCE_TIMEOUT_MS = quick ? 150_000 : 300_000;
const SECRET = 'chaos-secret';
const ORG = 'org-chaos';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface FaultEntry {
  atSec: number;
  fault: string;
  tookMs: number;
}

interface Check {
  name: string;
  value: number | string;
  expected: string;
  ok: boolean;
}

async function main(): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-chaos-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    say(`infrastructure in ${dir}`);
    const [postgres, redis, s3server] = await Promise.all([startPostgres(dir), startRedis(dir), startS3ServerProcess()]);
    cleanups.push(() => postgres.stop(), () => redis.stop(), () => s3server.stop());
    const s3switch = await startS3FaultSwitch(s3server.endpoint);
    cleanups.push(() => s3switch.close());
    say(`postgres ${postgres.url}, redis ${redis.url}, s3 ${s3server.endpoint} (services use the switch ${s3switch.endpoint})`);

    const stack: Stack = await startStack({
      jwtSecret: SECRET,
      bucket: 'earshot-chaos',
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      s3: { endpoint: s3switch.endpoint, pid: s3server.pid },
      env: {
        // A cheap analysis (no speech-to-text): the run is about delivery, not accuracy.
        analyzer: { TRANSCRIBER: 'none', PHRASE_SPOTTING: 'false' },
        // Compressed time: a stalled body is cut off after 5 s and a dead claim taken over after 15 s.
        uploader: { UPLOAD_IDLE_TIMEOUT_MS: '5000', CLAIM_STALE_MS: '15000', DATABASE_POOL_SIZE: '20' },
        // Each page uploads far faster than a real one (2 chunks/min).
        gateway: { RATE_LIMIT_UPLOADS_PER_MINUTE: '100000', RATE_LIMIT_API_PER_MINUTE: '100000' },
      },
    });
    cleanups.unshift(() => stack.stop());
    say(`stack up at ${stack.url} (logs in ${stack.logDir})`);

    // A few real opus chunks; each chunk index picks one, so bytes differ between neighbours.
    const texts = ['I am answering question one now.', 'The derivative of x squared is two x.', 'Let me read the next question again.', 'I think the answer is forty two.'];
    const fixtures = await Promise.all(texts.map((text, i) => makeSpeechChunk({ text, durationSec: 10, speechStartSec: 0.5 + i * 0.3 })));
    const chunkBytes = (page: number, index: number) => fixtures[(page + index) % fixtures.length]!.bytes;

    // A proctor's socket follows every session of the org: counts the analysis and summary events.
    const proctorToken = await signDevelopmentToken({ userId: 'chaos-proctor', role: 'proctor', orgId: ORG, secret: SECRET });
    const processedEvents = new Map<string, number>();
    const completedEvents = new Map<string, number>();
    let socketReconnects = 0;
    const socket = io(stack.url, { auth: { token: proctorToken }, transports: ['websocket'], reconnectionDelay: 200, reconnectionDelayMax: 1_000 });
    const socketDisconnects: Record<string, number> = {};
    socket.on('connect', () => (socketReconnects += 1));
    // socket.io-client does not reconnect after 'io server disconnect'; the page would then hear nothing more.
    socket.on('disconnect', (reason) => (socketDisconnects[reason] = (socketDisconnects[reason] ?? 0) + 1));
    socket.on('chunk_processed', (event: { session_id: string; chunk_index: number }) => {
      const key = `${event.session_id}:${event.chunk_index}`;
      processedEvents.set(key, (processedEvents.get(key) ?? 0) + 1);
    });
    socket.on('session_completed', (event: { session_id: string }) => completedEvents.set(event.session_id, (completedEvents.get(event.session_id) ?? 0) + 1));
    cleanups.unshift(async () => void socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      setTimeout(() => reject(new Error('socket.io did not connect')), 15_000);
    });

    // ---- load and faults, together ----
    const faults: FaultEntry[] = [];
    const loadStarted = Date.now();
    const fault = async (name: string, act: () => Promise<unknown>) => {
      const at = Date.now();
      say(`fault: ${name}`);
      await act();
      faults.push({ atSec: Math.round((at - loadStarted) / 100) / 10, fault: name, tookMs: Date.now() - at });
    };
    let analyzerKills = 0;
    const killAnalyzer = () => fault(`SIGKILL analyzer #${++analyzerKills}, restart`, () => stack.restart('analyzer', 'SIGKILL'));
    let sigtermPhase: { fromMs: number; toMs: number } | undefined;
    const faultPlan = async () => {
      await sleep(GAP_MS);
      await killAnalyzer();
      await sleep(GAP_MS);
      await fault(`S3 answers 503 for ${S3_OUTAGE_MS / 1000} s`, async () => {
        s3switch.failing = true;
        await sleep(S3_OUTAGE_MS / 2);
        await killAnalyzer();
        await sleep(S3_OUTAGE_MS / 2);
        s3switch.failing = false;
      });
      await sleep(GAP_MS);
      await fault(`restart Redis (down ${DATABASE_DOWN_MS / 1000} s)`, () => redis.restart(DATABASE_DOWN_MS));
      await sleep(GAP_MS);
      await killAnalyzer();
      await sleep(GAP_MS);
      await fault(`restart PostgreSQL (down ${DATABASE_DOWN_MS / 1000} s)`, () => postgres.restart(DATABASE_DOWN_MS));
      await sleep(GAP_MS);
      await killAnalyzer();
      await sleep(GAP_MS);
      const fromMs = Date.now();
      for (const name of ['uploader', 'gateway', 'notifier', 'analyzer'] as ServiceName[]) {
        await fault(`SIGTERM ${name}, restart`, () => stack.restart(name, 'SIGTERM'));
        await sleep(GAP_MS / 2);
      }
      sigtermPhase = { fromMs, toMs: Date.now() };
      await sleep(GAP_MS);
      await killAnalyzer();
    };
    // The pages' pace spreads their chunks over the whole fault plan, so every fault happens under load.
    const planMs = 10 * GAP_MS + S3_OUTAGE_MS + 2 * DATABASE_DOWN_MS + 4 * (GAP_MS / 2) + 8 * 4_000;
    const paceMs = planMs / CHUNKS;
    say(`load: ${PAGES} pages x ${CHUNKS} chunks (${PAGES * CHUNKS}), a chunk per page every ${(paceMs / 1000).toFixed(1)} s (+-25% jitter); stall ratio ${STALL_RATIO}`);

    const stats: PageStats = { retries: {}, stallAnswers: {} };
    const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 10_000 });
    const records: ChunkRecord[] = [];
    const sessionIds: string[] = [];
    const completeAnswers: Record<string, number> = {};
    const stallModes: StallMode[] = ['resume', 'wait-for-server', 'abort'];
    const runPage = async (page: number) => {
      await sleep(Math.random() * 1_000);
      const options: PageOptions = {
        baseUrl: stack.url,
        token: await signDevelopmentToken({ userId: `chaos-candidate-${page}`, role: 'candidate', orgId: ORG, secret: SECRET }),
        dispatcher,
        giveUpAfterMs: 180_000,
        stats,
      };
      const sessionId = await createSession(options, `chaos-exam-${page}`);
      sessionIds.push(sessionId);
      const pageStart = Date.now();
      for (let index = 0; index < CHUNKS; index += 1) {
        // Recorded every paceMs (with jitter); uploaded in order, one at a time, as the recorder's queue does.
        const due = pageStart + index * paceMs + (Math.random() - 0.5) * paceMs * 0.5;
        await sleep(Math.max(0, due - Date.now()));
        const bytes = chunkBytes(page, index);
        const record: ChunkRecord = { sessionId, index, sha256: sha256Hex(bytes), sizeBytes: bytes.length, outcome: 'gave-up', attempts: 0, finalStatus: 0 };
        records.push(record);
        const stall = Math.random() < STALL_RATIO ? { mode: stallModes[Math.floor(Math.random() * stallModes.length)]!, stallMs: 1_500 } : undefined;
        if (stall) record.stall = stall.mode;
        await uploadChunk(options, record, bytes, stall);
      }
      const answer = await completeSession(options, sessionId, CHUNKS);
      const key = `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
      completeAnswers[key] = (completeAnswers[key] ?? 0) + 1;
    };
    const [pageResults] = await Promise.all([Promise.allSettled(Array.from({ length: PAGES }, (_, page) => runPage(page))), faultPlan()]);
    const pageErrors = pageResults.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => String(result.reason));
    const loadSec = Math.round((Date.now() - loadStarted) / 1000);
    say(`load done in ${loadSec} s; ${records.filter((r) => r.outcome === 'accepted' || r.outcome === 'duplicate').length}/${records.length} chunks acknowledged`);

    // ---- quiescence ----
    const db = new Client({ connectionString: postgres.url });
    await db.connect();
    cleanups.unshift(async () => void (await db.end().catch(() => undefined)));
    const quiesceStarted = Date.now();
    let quiet = false;
    for (;;) {
      const { rows } = await db.query<{ busy_chunks: string; open_sessions: string }>(
        `select (select count(*) from audio_chunks where upload_status = 'uploaded' and processing_status not in ('completed', 'failed')) as busy_chunks,
                (select count(*) from audio_sessions where status not in ('completed', 'failed')) as open_sessions`,
      );
      const busy = Number(rows[0]!.busy_chunks);
      const open = Number(rows[0]!.open_sessions);
      if (busy === 0 && open === 0) {
        quiet = true;
        break;
      }
      if (Date.now() - quiesceStarted > QUIESCENCE_TIMEOUT_MS) {
        say(`not quiet after ${QUIESCENCE_TIMEOUT_MS / 1000} s: ${busy} chunks still in analysis, ${open} sessions open`);
        break;
      }
      await sleep(2_000);
    }
    // Late events (the last summary) still in flight.
    await sleep(2_000);
    const quiescenceSec = Math.round((Date.now() - quiesceStarted) / 1000);
    say(`quiescence ${quiet ? 'reached' : 'NOT reached'} after ${quiescenceSec} s`);

    // ---- invariants ----
    const storage = createS3Storage({ endpoint: s3server.endpoint, region: 'us-east-1', bucket: 'earshot-chaos', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    const { rows: chunkRows } = await db.query<{ session_id: string; chunk_index: number; upload_status: string; processing_status: string; failure_reason: string | null; s3_key: string; content_sha256: string }>(
      'select session_id, chunk_index, upload_status, processing_status, failure_reason, s3_key, content_sha256 from audio_chunks',
    );
    const rowByKey = new Map(chunkRows.map((row) => [`${row.session_id}:${row.chunk_index}`, row]));
    const acknowledged = records.filter((record) => record.outcome === 'accepted' || record.outcome === 'duplicate');
    const lost: string[] = [];
    for (const record of acknowledged) {
      const key = `${record.sessionId}:${record.index}`;
      const row = rowByKey.get(key);
      if (!row || row.upload_status !== 'uploaded') {
        lost.push(`${key} (row ${row ? row.upload_status : 'missing'})`);
        continue;
      }
      if (row.content_sha256 !== record.sha256) {
        lost.push(`${key} (row sha256 differs)`);
        continue;
      }
      const stored = await storage.getBytes(row.s3_key).catch(() => undefined);
      if (!stored) lost.push(`${key} (object ${row.s3_key} missing)`);
      else if (sha256Hex(stored) !== record.sha256) lost.push(`${key} (object ${row.s3_key} has other bytes)`);
    }
    storage.close();
    const uploadedRows = chunkRows.filter((row) => row.upload_status === 'uploaded');
    const unfinished = uploadedRows.filter((row) => row.processing_status !== 'completed' && row.processing_status !== 'failed');
    const failedWithoutReason = uploadedRows.filter((row) => row.processing_status === 'failed' && !row.failure_reason);
    const failedChunks = uploadedRows.filter((row) => row.processing_status === 'failed');
    const failureReasons: Record<string, number> = {};
    for (const row of failedChunks) failureReasons[row.failure_reason ?? '(none)'] = (failureReasons[row.failure_reason ?? '(none)'] ?? 0) + 1;
    const strandedReceiving = chunkRows.filter((row) => row.upload_status !== 'uploaded');
    const analysedTwice = [...processedEvents.entries()].filter(([, n]) => n > 1).map(([key, n]) => `${key} x${n}`);
    const duplicatedAnalyses = analysedTwice.length;
    const missingProcessedEvents = uploadedRows.filter((row) => !processedEvents.has(`${row.session_id}:${row.chunk_index}`)).length;
    const { rows: sessionRows } = await db.query<{ id: string; status: string; summary: unknown; missing_chunk_indexes: number[] }>(
      'select id, status, summary, missing_chunk_indexes from audio_sessions',
    );
    const notSummarised = sessionRows.filter((row) => row.status !== 'completed' || !row.summary);
    const summaryEventsTwice = sessionRows.filter((row) => (completedEvents.get(row.id) ?? 0) > 1).length;
    const summaryEventsMissing = sessionRows.filter((row) => !completedEvents.has(row.id)).length;
    const sessionsWithMissingChunks = sessionRows.filter((row) => row.missing_chunk_indexes.length > 0).length;
    const sigtermAccepted = sigtermPhase
      ? acknowledged.filter((record) => record.acceptedAtMs !== undefined && record.acceptedAtMs >= sigtermPhase!.fromMs && record.acceptedAtMs <= sigtermPhase!.toMs).length
      : 0;
    const lostInSigterm = sigtermPhase
      ? acknowledged.filter((record) => record.acceptedAtMs !== undefined && record.acceptedAtMs >= sigtermPhase!.fromMs && record.acceptedAtMs <= sigtermPhase!.toMs && lost.some((entry) => entry.startsWith(`${record.sessionId}:${record.index} `))).length
      : 0;
    const gaveUp = records.filter((record) => record.outcome === 'gave-up');
    const refused = records.filter((record) => record.outcome === 'refused');

    const checks: Check[] = [
      { name: 'pages that crashed', value: pageErrors.length, expected: '0', ok: pageErrors.length === 0 },
      { name: 'chunks acknowledged (201/200) / planned', value: `${acknowledged.length}/${PAGES * CHUNKS}`, expected: 'all', ok: acknowledged.length === PAGES * CHUNKS },
      { name: 'acknowledged chunks lost (row, sha256, object)', value: lost.length, expected: '0', ok: lost.length === 0 },
      { name: 'of which acknowledged during the SIGTERM phase', value: `${lostInSigterm} lost of ${sigtermAccepted}`, expected: '0 lost', ok: lostInSigterm === 0 },
      { name: 'chunks analysed more than once (chunk_processed events > 1)', value: duplicatedAnalyses, expected: '0', ok: duplicatedAnalyses === 0 },
      { name: 'uploaded chunks neither completed nor failed', value: unfinished.length, expected: '0', ok: unfinished.length === 0 },
      { name: 'failed chunks without failure_reason', value: failedWithoutReason.length, expected: '0', ok: failedWithoutReason.length === 0 },
      { name: 'sessions not completed with a summary', value: `${notSummarised.length} of ${sessionRows.length}`, expected: '0', ok: notSummarised.length === 0 },
      { name: 'sessions with session_completed twice', value: summaryEventsTwice, expected: '0', ok: summaryEventsTwice === 0 },
      { name: 'quiescence reached', value: quiet ? `yes, ${quiescenceSec} s` : 'no', expected: 'yes', ok: quiet },
    ];
    const figures = {
      failedChunks: failedChunks.length,
      failureReasons,
      rowsNotUploaded: strandedReceiving.length,
      sessionsWithMissingChunks,
      chunksWithoutProcessedEvent: missingProcessedEvents,
      sessionsWithoutCompletedEvent: summaryEventsMissing,
      socketConnects: socketReconnects,
      socketDisconnects,
      gaveUp: gaveUp.length,
      refused: Object.fromEntries(Object.entries(refused.reduce<Record<string, number>>((table, record) => ((table[`${record.finalStatus} ${record.finalCode ?? ''}`.trim()] = (table[`${record.finalStatus} ${record.finalCode ?? ''}`.trim()] ?? 0) + 1), table), {}))),
      duplicateAnswers: records.filter((record) => record.outcome === 'duplicate').length,
      uploadAttempts: records.reduce((sum, record) => sum + record.attempts, 0),
      retries: stats.retries,
      stalls: stats.stallAnswers,
      sessionCompleteAnswers: completeAnswers,
      s3RequestsRefused503: s3switch.refused,
    };
    const ok = checks.every((check) => check.ok);
    const result = {
      benchmark: 'chaos',
      date: new Date().toISOString(),
      command: `npm run test:chaos${quick ? ' -- --quick' : ''}${values.pages ? ` --pages ${PAGES}` : ''}${values.chunks ? ` --chunks ${CHUNKS}` : ''}`,
      ok,
      machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      load: { pages: PAGES, chunksPerPage: CHUNKS, chunkBytes: fixtures.map((f) => f.bytes.length), paceSec: Math.round(paceMs / 100) / 10, stallRatio: STALL_RATIO, loadSec },
      faults,
      checks,
      figures,
      lost: lost.slice(0, 50),
      analysedTwice: analysedTwice.slice(0, 50),
      pageErrors: pageErrors.slice(0, 20),
      totalSec: Math.round((Date.now() - started) / 1000),
    };
    const markdown = [
      `# Chaos run (${result.date}): ${ok ? 'PASS' : 'FAIL'}`,
      '',
      `Command: \`${result.command}\`. ${PAGES} pages x ${CHUNKS} chunks of 10 s opus, a chunk per page every ~${result.load.paceSec} s (jittered), ${Math.round(STALL_RATIO * 100)}% of first attempts stalled half way. Own PostgreSQL, Redis (append-only file), s3rver behind a 503 switch; the four services as processes. Load ${loadSec} s, total ${result.totalSec} s on ${result.machine.cpus} cores.`,
      '',
      '## Faults',
      '',
      '| at s | fault | took ms |',
      '|---|---|---|',
      ...faults.map((entry) => `| ${entry.atSec} | ${entry.fault} | ${entry.tookMs} |`),
      '',
      '## Invariants',
      '',
      '| check | value | expected | |',
      '|---|---|---|---|',
      ...checks.map((check) => `| ${check.name} | ${check.value} | ${check.expected} | ${check.ok ? 'ok' : 'FAIL'} |`),
      '',
      '## Figures',
      '',
      ...Object.entries(figures).map(([name, value]) => `- ${name}: ${typeof value === 'object' ? JSON.stringify(value) : value}`),
      ...(lost.length ? ['', '## Lost chunks (first 50)', '', ...lost.slice(0, 50).map((entry) => `- ${entry}`)] : []),
      ...(analysedTwice.length ? ['', '## Chunks with more than one chunk_processed', '', ...analysedTwice.slice(0, 50).map((entry) => `- ${entry}`)] : []),
      ...(pageErrors.length ? ['', '## Page errors', '', ...pageErrors.slice(0, 20).map((entry) => `- ${entry}`)] : []),
      '',
    ].join('\n');
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', 'chaos.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', 'chaos.md'), markdown);
    process.stdout.write(`\n${markdown}`);
    return ok ? 0 : 1;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => say(`cleanup: ${String(error)}`));
    if (!values['keep-dir']) rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir}`);
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`test:chaos failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
