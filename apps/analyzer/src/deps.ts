import { buildPhraseList, type EngineOptions } from '@earshot/audio';
import { createChunksRepository, createDatabase, createSessionsRepository } from '@earshot/db';
import { createEventPublisher } from '@earshot/events';
import { createJobProducer } from '@earshot/queue';
import { createS3Storage } from '@earshot/storage';
import { createAnalysisThreads, type AnalysisThreads } from './analysis-thread/analysis-threads';
import type { AnalyzerConfig } from './config';
import type { AnalyzerDeps } from './ports';
import { enginesForJobs } from './processors';

const watchPhrasesOf = (metadata: Record<string, unknown>): string[] =>
  Array.isArray(metadata.watch_phrases)
    ? metadata.watch_phrases.filter((item): item is string => typeof item === 'string').slice(0, 50)
    : [];

/** Builds every adapter and starts the analysis threads, which load once each the engines its stages use. */
export async function createAnalyzerRuntime(config: AnalyzerConfig) {
  const database = createDatabase({
    url: config.database.url,
    maxConnections: config.database.maxConnections,
    applicationName: 'earshot-analyzer',
  });
  const storage = createS3Storage(config.s3);
  const producer = createJobProducer({ redisUrl: config.redis.url, prefix: config.redis.queuePrefix });
  const events = createEventPublisher({ redisUrl: config.redis.url });
  const engineOptions: EngineOptions = {
    transcriber: config.transcriber,
    wakeSpotter: config.wakeSpotter
      ? { ...(config.wakeThreshold !== undefined ? { threshold: config.wakeThreshold } : {}) }
      : (false as const),
  };
  const kinds = enginesForJobs(config.stages);
  // A chunk.score / session.summary process needs no engine and starts no thread.
  const threads: AnalysisThreads | undefined = kinds.length
    ? await createAnalysisThreads({ threads: config.analysisThreads, kinds, engineOptions })
    : undefined;
  const loaded = (await threads?.report()) ?? { kinds: [], notices: [] };
  const deps: AnalyzerDeps = {
    sessions: createSessionsRepository(database.db),
    chunks: createChunksRepository(database.db),
    storage,
    queue: producer,
    events,
    now: () => new Date(),
    sweep: {
      inactivitySec: config.sweep.inactivitySec,
      abandonSec: config.sweep.abandonSec,
      claimStaleMs: config.sweep.claimStaleMs,
      batchSize: config.sweep.batchSize,
    },
    runAnalysis: (task, signal) => {
      if (!threads) throw new Error(`this analyzer process has no engines: its ANALYZER_STAGES leave ${task.stage} out`);
      return threads.run(task, signal);
    },
    analysis: {
      phrasesFor: (metadata) => buildPhraseList(watchPhrasesOf(metadata)),
      spotInAudio: config.phraseSpotting,
      maxChunkDurationSec: config.maxChunkDurationSec,
      score: { durationToleranceSec: config.durationToleranceSec },
      summary: { flagThreshold: config.flagThreshold },
    },
  };
  return {
    deps,
    /** Creates the one sweep scheduler (an upsert: the same one however many processes call it). */
    scheduleSweep: () => producer.schedule('session.sweep', config.sweep.intervalMs, { v: 1 }),
    notices: loaded.notices,
    /** The engines the analysis threads loaded (ENGINES_BY_JOB of ANALYZER_STAGES). */
    engineKinds: loaded.kinds,
    readiness: { postgres: () => database.ping(), redis: () => producer.ping(), s3: () => storage.ping() },
    async close() {
      await threads?.close();
      await producer.close();
      await events.close();
      storage.close();
      await database.close();
    },
  };
}
