import { buildPhraseList, decodeToPcm, loadEngines } from '@earshot/audio';
import { createChunksRepository, createDatabase, createSessionsRepository } from '@earshot/db';
import { createEventPublisher } from '@earshot/events';
import { createJobProducer } from '@earshot/queue';
import { createS3Storage } from '@earshot/storage';
import type { AnalyzerConfig } from './config';
import type { AnalyzerDeps } from './ports';
import { enginesForJobs } from './processors';

const watchPhrasesOf = (metadata: Record<string, unknown>): string[] =>
  Array.isArray(metadata.watch_phrases)
    ? metadata.watch_phrases.filter((item): item is string => typeof item === 'string').slice(0, 50)
    : [];

/** Builds every adapter and loads, once per process, the analysis engines its stages use. */
export async function createAnalyzerRuntime(config: AnalyzerConfig) {
  const database = createDatabase({
    url: config.database.url,
    maxConnections: config.database.maxConnections,
    applicationName: 'earshot-analyzer',
  });
  const storage = createS3Storage(config.s3);
  const producer = createJobProducer({ redisUrl: config.redis.url, prefix: config.redis.queuePrefix });
  const events = createEventPublisher({ redisUrl: config.redis.url });
  const engines = await loadEngines(enginesForJobs(config.stages), {
    transcriber: config.transcriber,
    wakeSpotter: config.wakeSpotter
      ? { ...(config.wakeThreshold !== undefined ? { threshold: config.wakeThreshold } : {}) }
      : (false as const),
  });
  const deps: AnalyzerDeps = {
    sessions: createSessionsRepository(database.db),
    chunks: createChunksRepository(database.db),
    storage,
    queue: producer,
    events,
    decode: (input, signal, maxDurationSec) => decodeToPcm(input, { signal, maxDurationSec }),
    engines,
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
    notices: engines.notices,
    readiness: { postgres: () => database.ping(), redis: () => producer.ping(), s3: () => storage.ping() },
    async close() {
      await engines.close();
      await producer.close();
      await events.close();
      storage.close();
      await database.close();
    },
  };
}
