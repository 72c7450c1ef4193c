import { checkHttpServerEnv, CommonEnvSchema, Env, HttpServerEnvSchema, httpServerConfigFrom, parseEnv, s3ConfigFrom, splitList, Type } from '@earshot/config';
import { JOB_NAMES, type JobName } from '@earshot/contracts';

const AnalyzerEnvSchema = Type.Object({
  ...CommonEnvSchema,
  ...HttpServerEnvSchema,
  PORT: Env.port(3102),
  HOST: Env.string('127.0.0.1'),
  /** Comma-separated job names this process runs; default all. E.g. `chunk.transcribe` for a transcription pool. */
  ANALYZER_STAGES: Env.list(JOB_NAMES.join(',')),
  /** pocketsphinx (offline, default), openai (any OpenAI-compatible server), whisper-cpp (needs model file), none. */
  TRANSCRIBER: Type.Union(
    ['pocketsphinx', 'openai', 'whisper-cpp', 'none'].map((engine) => Type.Literal(engine)),
    { default: 'pocketsphinx' },
  ),
  OPENAI_BASE_URL: Env.optionalString(),
  OPENAI_API_KEY: Env.optionalString(),
  OPENAI_TRANSCRIBE_MODEL: Env.string('whisper-1'),
  WHISPER_CPP_BINARY: Env.string('whisper-cli'),
  WHISPER_CPP_MODEL: Env.string('models/ggml-base.en.bin'),
  /** Keyword spotting on the audio as well as transcript matching. */
  PHRASE_SPOTTING: Env.bool(true),
  /** Wake phrases on the audio: speech-embedding (shipped neural spotter, default) or pocketsphinx keyword spotting. */
  /** One probability threshold for every wake phrase instead of the model's calibrated ones (docs/analysis.md lists the trade-off). */
  WAKE_THRESHOLD: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
  WAKE_SPOTTER: Type.Union(
    ['speech-embedding', 'pocketsphinx'].map((engine) => Type.Literal(engine)),
    { default: 'speech-embedding' },
  ),
  /** Sessions at or above this priority are flagged for review. */
  FLAG_THRESHOLD: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
  DATABASE_POOL_SIZE: Env.int(5, 1),
  /** A recording session with no chunk and no upload activity this long gets `session_stream_lost` (6 missed 30 s chunks). */
  SESSION_INACTIVITY_SEC: Env.int(180, 1),
  /** ... and this long is closed as `abandoned` and summarised. Must exceed SESSION_INACTIVITY_SEC. */
  SESSION_ABANDON_SEC: Env.int(1800, 1),
  /** A chunk claim not refreshed this long belongs to a dead upload process; keep equal to the uploader's CLAIM_STALE_MS. */
  CLAIM_STALE_MS: Env.int(60_000, 1_000),
  /** How often the sweep (stream lost, abandoned sessions, dead claims) runs: one scheduler for all analyzers. */
  SESSION_SWEEP_INTERVAL_MS: Env.int(30_000, 100),
  /** Rows one sweep handles per kind; the rest wait for the next run. */
  SESSION_SWEEP_BATCH_SIZE: Env.int(500, 1),
  /**
   * Longest audio a chunk may hold, in seconds. Decoding stops just past it and a longer chunk fails with
   * CHUNK_TOO_LONG, so a small upload full of hours of opus cannot buy unbounded CPU. Recorder chunks last 30 s.
   */
  MAX_CHUNK_DURATION_SEC: Env.int(60, 1),
  /**
   * Worker threads that decode and run the engines, off the event loop that renews BullMQ locks. Each loads
   * the engines of ANALYZER_STAGES once (~RSS per engine set: docs/analysis.md). Default 2.
   */
  ANALYZER_THREADS: Env.int(2, 1),
  /** Decoded duration this far from the declared `duration` (seconds) flags the chunk (duration_mismatch). */
  DURATION_MISMATCH_TOLERANCE_SEC: Type.Number({ minimum: 0, default: 3 }),
});

export function loadConfig(env: Record<string, string | undefined>) {
  const raw = parseEnv(AnalyzerEnvSchema, env, [checkHttpServerEnv]);
  const stages = splitList(raw.ANALYZER_STAGES);
  const unknown = stages.filter((stage) => !JOB_NAMES.includes(stage as JobName));
  if (unknown.length)
    throw new Error(`ANALYZER_STAGES names unknown jobs: ${unknown.join(', ')} (known: ${JOB_NAMES.join(', ')})`);
  if (raw.SESSION_ABANDON_SEC <= raw.SESSION_INACTIVITY_SEC)
    throw new Error('SESSION_ABANDON_SEC must be greater than SESSION_INACTIVITY_SEC (the stream is reported lost before the session is closed)');
  if (raw.TRANSCRIBER === 'openai' && !raw.OPENAI_API_KEY) throw new Error('TRANSCRIBER=openai needs OPENAI_API_KEY');
  return {
    http: { port: raw.PORT, host: raw.HOST, ...httpServerConfigFrom(raw) },
    logLevel: raw.LOG_LEVEL,
    stages: stages as JobName[],
    database: { url: raw.DATABASE_URL, maxConnections: raw.DATABASE_POOL_SIZE },
    redis: { url: raw.REDIS_URL, queuePrefix: raw.QUEUE_PREFIX },
    s3: s3ConfigFrom(raw),
    transcriber:
      raw.TRANSCRIBER === 'none'
        ? (false as const)
        : raw.TRANSCRIBER === 'openai'
          ? {
              engine: 'openai' as const,
              apiKey: raw.OPENAI_API_KEY ?? '',
              model: raw.OPENAI_TRANSCRIBE_MODEL,
              ...(raw.OPENAI_BASE_URL ? { baseURL: raw.OPENAI_BASE_URL } : {}),
            }
          : raw.TRANSCRIBER === 'whisper-cpp'
            ? { engine: 'whisper-cpp' as const, binaryPath: raw.WHISPER_CPP_BINARY, modelPath: raw.WHISPER_CPP_MODEL }
            : { engine: 'pocketsphinx' as const },
    phraseSpotting: raw.PHRASE_SPOTTING,
    wakeSpotter: raw.PHRASE_SPOTTING && raw.WAKE_SPOTTER === 'speech-embedding',
    ...(raw.WAKE_THRESHOLD !== undefined ? { wakeThreshold: raw.WAKE_THRESHOLD } : {}),
    flagThreshold: raw.FLAG_THRESHOLD,
    sweep: {
      intervalMs: raw.SESSION_SWEEP_INTERVAL_MS,
      inactivitySec: raw.SESSION_INACTIVITY_SEC,
      abandonSec: raw.SESSION_ABANDON_SEC,
      claimStaleMs: raw.CLAIM_STALE_MS,
      batchSize: raw.SESSION_SWEEP_BATCH_SIZE,
    },
    maxChunkDurationSec: raw.MAX_CHUNK_DURATION_SEC,
    analysisThreads: raw.ANALYZER_THREADS,
    durationToleranceSec: raw.DURATION_MISMATCH_TOLERANCE_SEC,
  };
}

export type AnalyzerConfig = ReturnType<typeof loadConfig>;
