import {
  ANALYSIS_SAMPLE_RATE,
  decodeToPcm,
  probeDurationSec,
  streamPcm,
  type AudioInput,
} from '../decode/ffmpeg.decoder';
import {
  createWakePhraseSpotter,
  type WakePhraseSpotter,
  type WakePhraseSpotterOptions,
} from '../phrases/embedding.spotter';
import type { KeywordSpotterOptions } from '../phrases/pocketsphinx.spotter';
import { buildPhraseList, type PhraseHit, type WatchedPhrase } from '../phrases/phrases.types';
import type { LevelOptions } from '../score/levels';
import type { Flag, ScoreOptions, SessionSummaryOptions } from '../score/score';
import { createSpeakerEngine, type SpeakerEngineConfig } from '../speakers/speaker-engine';
import type { SessionVoicesOptions } from '../speakers/session-voices';
import type { SpeakerEngine, SpeakerEngineName, SpeakerOptions, SpeakerTurn } from '../speakers/speakers.types';
import { createTranscriber, type TranscriberConfig } from '../transcribe/transcriber';
import type { Transcriber, TranscriberEngineName, TranscriptSegment } from '../transcribe/transcriber.types';
import type { SpeechSegment } from '../types';
import { mergeSegments, round3 } from '../vad/speech-segments';
import { createVad, type CreateVadOptions } from '../vad/vad';
import type { DetectSpeechOptions, Vad, VadEngineName } from '../vad/vad.types';
import {
  phrasesLeftToPocketsphinx,
  runScoreStage,
  runSessionSummaryStage,
  runSpeakersStage,
  runTranscribeStage,
  runVadStage,
  type SessionStageResult,
} from './stages';

/** The engines a process can load. A worker loads only those its stages use (the analyzer's ANALYZER_STAGES). */
export const ENGINE_KINDS = ['vad', 'speakers', 'transcriber', 'wakeSpotter'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** Engines loaded once and reused for every chunk; those not asked for are absent. */
export interface LoadedEngines {
  vad?: Vad;
  speakers?: SpeakerEngine;
  /** Absent: not asked for, or no transcription (phrases then come from keyword spotting only). */
  transcriber?: Transcriber;
  /** Absent when disabled or its model could not load (a notice says so): pocketsphinx spots wake phrases then. */
  wakeSpotter?: WakePhraseSpotter;
  /** What runs reduced, for the engines loaded. */
  notices: string[];
  close(): Promise<void>;
}

/** Every engine, for the whole pipeline in one process (the CLI, tests). */
export interface AnalysisEngines extends LoadedEngines {
  vad: Vad;
  speakers: SpeakerEngine;
}

export interface EngineOptions {
  vad?: CreateVadOptions;
  /** Default mfcc-bic; sherpa-onnx given a model file (falls back to mfcc-bic with a notice). */
  speakers?: SpeakerEngineConfig;
  /** `false` for no transcription. Default pocketsphinx. */
  transcriber?: TranscriberConfig | false;
  /** The neural wake-phrase spotter (shipped model, no download). `false` to leave wake phrases to pocketsphinx. */
  wakeSpotter?: WakePhraseSpotterOptions | false;
}

async function loadWakeSpotter(
  options: WakePhraseSpotterOptions | false | undefined,
): Promise<{ wakeSpotter?: WakePhraseSpotter; notice?: string }> {
  if (options === false) return {};
  try {
    return { wakeSpotter: await createWakePhraseSpotter(options) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      notice: `speech-embedding wake spotter unavailable (${reason}); wake phrases from pocketsphinx keyword spotting`,
    };
  }
}

/** Loads the engines of `kinds` only: a VAD-only worker does not load the wake spotter's models, and so on. */
export async function loadEngines(kinds: readonly EngineKind[], options: EngineOptions = {}): Promise<LoadedEngines> {
  const wants = new Set(kinds);
  const vad = wants.has('vad') ? await createVad(options.vad) : undefined;
  const speakers = wants.has('speakers') ? await createSpeakerEngine(options.speakers) : undefined;
  const transcriber =
    !wants.has('transcriber') || options.transcriber === false
      ? undefined
      : createTranscriber(options.transcriber ?? { engine: 'pocketsphinx' });
  const { wakeSpotter, notice: wakeNotice } = wants.has('wakeSpotter')
    ? await loadWakeSpotter(options.wakeSpotter)
    : {};
  const notices = [
    vad?.notice,
    speakers?.notice,
    transcriber && 'notice' in transcriber ? transcriber.notice : undefined,
    wakeNotice,
  ].filter((n): n is string => Boolean(n));
  return {
    ...(vad ? { vad } : {}),
    ...(speakers ? { speakers } : {}),
    ...(transcriber ? { transcriber } : {}),
    ...(wakeSpotter ? { wakeSpotter } : {}),
    notices,
    async close() {
      await Promise.all([vad?.close(), speakers?.close(), transcriber?.close(), wakeSpotter?.close()]);
    },
  };
}

export async function createAnalysisEngines(options: EngineOptions = {}): Promise<AnalysisEngines> {
  const engines = await loadEngines(ENGINE_KINDS, options);
  if (!engines.vad || !engines.speakers) throw new Error('VAD and speaker engines did not load');
  return { ...engines, vad: engines.vad, speakers: engines.speakers };
}

export interface AnalyzeOptions {
  vad?: DetectSpeechOptions;
  levels?: LevelOptions;
  speakers?: SpeakerOptions;
  /** Exam watch list, added to the default wake phrases. */
  watchPhrases?: ReadonlyArray<string | WatchedPhrase>;
  /** Keyword spotting on audio. Default true. */
  spotInAudio?: boolean;
  spotter?: KeywordSpotterOptions;
  score?: ScoreOptions;
  session?: SessionSummaryOptions & SessionVoicesOptions;
  signal?: AbortSignal;
}

export interface EnginesUsed {
  vad: VadEngineName;
  speakers: SpeakerEngineName;
  transcriber: TranscriberEngineName | 'none';
  phraseSpotting: Array<'transcript' | 'speech-embedding' | 'pocketsphinx-kws'>;
}

/** The result of `earshot analyze --json`: one chunk or a whole file. */
export interface AnalysisResult {
  durationSec: number;
  /** [start, end] seconds. */
  speechSegments: Array<[number, number]>;
  voiceActivityRatio: number;
  /** Chunk: voices in it. File: distinct voices over the session (candidate + other voices found). */
  speakerCount: number;
  /** Times where the voice changes, seconds. */
  speakerChanges: number[];
  speakerConfidence: number;
  transcript: string;
  transcriptSegments: TranscriptSegment[];
  phrases: Array<{ phrase: string; kind: string; start: number; end: number; sources: string[] }>;
  flags: Flag[];
  /** Chunk: suspicious_activity_score. File: the session priority score. */
  score: number;
  flagged?: boolean;
  chunks?: number;
  engines: EnginesUsed;
  notices: string[];
}

function enginesUsed(
  engines: AnalysisEngines,
  vadEngine: VadEngineName,
  spotInAudio: boolean,
  phrases: readonly WatchedPhrase[] = buildPhraseList(),
): EnginesUsed {
  const pocketsphinxSpots = phrasesLeftToPocketsphinx(phrases, engines.wakeSpotter).length > 0;
  return {
    vad: vadEngine,
    speakers: engines.speakers.engine,
    transcriber: engines.transcriber?.engine ?? 'none',
    phraseSpotting: [
      ...(engines.transcriber ? (['transcript'] as const) : []),
      ...(spotInAudio && engines.wakeSpotter ? (['speech-embedding'] as const) : []),
      ...(spotInAudio && pocketsphinxSpots ? (['pocketsphinx-kws'] as const) : []),
    ],
  };
}

function toPhraseOutput(hits: readonly PhraseHit[], offsetSec = 0): AnalysisResult['phrases'] {
  return hits.map((h) => ({
    phrase: h.phrase,
    kind: h.kind,
    start: round3(h.startSec + offsetSec),
    end: round3(h.endSec + offsetSec),
    sources: h.sources,
  }));
}

export interface ChunkStagesResult {
  durationSec: number;
  speechSegments: SpeechSegment[];
  voiceActivityRatio: number;
  speakerCount: number;
  speakerChanges: number[];
  speakerConfidence: number;
  turns: SpeakerTurn[];
  voices: Awaited<ReturnType<SpeakerEngine['analyze']>>['voices'];
  transcriptSegments: TranscriptSegment[];
  transcript: string;
  phrases: PhraseHit[];
  flags: Flag[];
  score: number;
  vadEngine: VadEngineName;
  notices: string[];
}

async function runChunkStages(
  pcm: Float32Array,
  engines: AnalysisEngines,
  phrases: readonly WatchedPhrase[],
  opts: AnalyzeOptions,
): Promise<ChunkStagesResult> {
  const vadResult = await runVadStage(pcm, engines.vad, {
    ...opts.vad,
    ...(opts.levels ? { levels: opts.levels } : {}),
  });
  const speakers = await runSpeakersStage(pcm, vadResult, engines.speakers, opts.speakers);
  const transcribed = await runTranscribeStage(pcm, vadResult, engines.transcriber, {
    phrases,
    spotInAudio: opts.spotInAudio,
    ...(opts.spotter ? { spotter: opts.spotter } : {}),
    ...(engines.wakeSpotter ? { wakeSpotter: engines.wakeSpotter } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const { score, flags } = runScoreStage(vadResult, speakers, transcribed, opts.score);
  return {
    durationSec: vadResult.durationSec,
    speechSegments: vadResult.speechSegments,
    voiceActivityRatio: vadResult.voiceActivityRatio,
    speakerCount: speakers.speakerCount,
    speakerChanges: speakers.speakerChanges,
    speakerConfidence: speakers.confidence,
    turns: speakers.turns,
    voices: speakers.voices,
    transcriptSegments: transcribed.transcript?.segments ?? [],
    transcript: transcribed.transcript?.text ?? '',
    phrases: transcribed.phrases,
    flags,
    score,
    vadEngine: vadResult.engine,
    notices: [
      ...(vadResult.notice ? [vadResult.notice] : []),
      ...(speakers.notice ? [speakers.notice] : []),
      ...transcribed.notices,
    ],
  };
}

/** Runs every stage on one chunk (a 30 s upload, or any short input) in-process. */
export async function analyzeChunk(
  input: AudioInput | Float32Array,
  engines: AnalysisEngines,
  opts: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const pcm =
    input instanceof Float32Array
      ? input
      : await decodeToPcm(input, { ...(opts.signal ? { signal: opts.signal } : {}) });
  const phrases = buildPhraseList(opts.watchPhrases);
  const r = await runChunkStages(pcm, engines, phrases, opts);
  return {
    durationSec: r.durationSec,
    speechSegments: r.speechSegments.map((s) => [s.startSec, s.endSec]),
    voiceActivityRatio: r.voiceActivityRatio,
    speakerCount: r.speakerCount,
    speakerChanges: r.speakerChanges,
    speakerConfidence: r.speakerConfidence,
    transcript: r.transcript,
    transcriptSegments: r.transcriptSegments,
    phrases: toPhraseOutput(r.phrases),
    flags: r.flags,
    score: r.score,
    engines: enginesUsed(engines, r.vadEngine, opts.spotInAudio ?? true, phrases),
    notices: [...new Set([...engines.notices, ...r.notices])],
  };
}

export interface FileProgress {
  processedSec: number;
  totalSec: number;
  chunkIndex: number;
}

export interface AnalyzeFileOptions extends AnalyzeOptions {
  /** Analysis block length: the recording is analysed as consecutive chunks of this size. Default 30 s. */
  chunkSec?: number;
  onProgress?: (progress: FileProgress) => void;
  /** Total duration when already known (skips the probe). */
  durationSec?: number;
  /** Analyse only from here (seconds); times in the result stay file times. Lets several processes split a file. */
  startSec?: number;
  /** Analyse only up to here (seconds). */
  endSec?: number;
}

/** One analysed chunk of a longer recording, as JSON: what the session summary and the merge need. */
export type ChunkRecord = ChunkStagesResult & { chunkIndex: number; chunkStartSec: number };

/**
 * Analyses a recording (or a time range of it) chunk by chunk with flat memory: decoded as a stream of 30 s
 * blocks, each run through every stage. Chunk indexes count from the start of the file, so ranges analysed by
 * different processes can be combined.
 */
export async function analyzeChunks(
  input: string,
  engines: AnalysisEngines,
  opts: AnalyzeFileOptions = {},
): Promise<ChunkRecord[]> {
  const chunkSec = opts.chunkSec ?? 30;
  const fileSec =
    opts.durationSec ?? (await probeDurationSec(input, { ...(opts.signal ? { signal: opts.signal } : {}) }));
  const fromSec = opts.startSec ?? 0;
  const toSec = Math.min(fileSec, opts.endSec ?? fileSec);
  const totalSec = Math.max(0, toSec - fromSec);
  const phrases = buildPhraseList(opts.watchPhrases);
  const chunks: ChunkRecord[] = [];
  const blocks = streamPcm(input, {
    blockSamples: Math.round(chunkSec * ANALYSIS_SAMPLE_RATE),
    ...(fromSec > 0 ? { startSec: fromSec } : {}),
    ...(opts.endSec !== undefined ? { maxDurationSec: totalSec } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  // Ask for the next block before analysing this one: ffmpeg (another process, another core) decodes it while
  // the stages run, instead of waiting for each other through a 64 KB pipe.
  const iterator: AsyncIterator<Float32Array, void> = blocks[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const block = await next;
      if (block.done) break;
      const pcm = block.value;
      next = iterator.next();
      const chunkStartSec = fromSec + chunks.length * chunkSec;
      const r = await runChunkStages(pcm, engines, phrases, opts);
      chunks.push({ ...r, chunkIndex: Math.round(chunkStartSec / chunkSec), chunkStartSec });
      opts.onProgress?.({
        processedSec: Math.min(totalSec, chunkStartSec - fromSec + r.durationSec),
        totalSec,
        chunkIndex: chunks.length,
      });
    }
  } finally {
    next.catch(() => undefined); // a failure of the block after an error here is not interesting
    await iterator.return?.(undefined);
  }
  return chunks;
}

/**
 * One result for a whole recording from its chunk records (from one process or several): speech joined across
 * chunk boundaries, the session summary (other voices, priority, flagged) and one timeline.
 */
export function combineChunkRecords(
  records: readonly ChunkRecord[],
  context: { engines: EnginesUsed; notices: readonly string[] },
  opts: Pick<AnalyzeOptions, 'score' | 'session'> = {},
): AnalysisResult & { session: SessionStageResult } {
  const chunks = [...records].sort((a, b) => a.chunkStartSec - b.chunkStartSec);
  const session = runSessionSummaryStage(
    chunks.map((c) => ({
      chunkIndex: c.chunkIndex,
      chunkStartSec: c.chunkStartSec,
      score: c.score,
      flags: c.flags,
      voices: c.voices,
      turns: c.turns,
    })),
    { ...opts.score, ...opts.session },
  );
  const shift = (segments: SpeechSegment[], by: number): SpeechSegment[] =>
    segments.map((s) => ({ startSec: round3(s.startSec + by), endSec: round3(s.endSec + by) }));
  // Speech cut at a chunk boundary is joined again.
  const speech = mergeSegments(
    chunks.flatMap((c) => shift(c.speechSegments, c.chunkStartSec)),
    0.05,
  );
  const durationSec = round3(chunks.reduce((sum, c) => sum + c.durationSec, 0));
  const speechSec = speech.reduce((sum, s) => sum + s.endSec - s.startSec, 0);
  const hasCandidate = chunks.some((c) => c.speakerCount > 0);
  const sessionVoices = (hasCandidate ? 1 : 0) + new Set(session.otherVoices.map((v) => v.voiceId)).size;
  return {
    durationSec,
    speechSegments: speech.map((s) => [s.startSec, s.endSec]),
    voiceActivityRatio: durationSec > 0 ? round3(speechSec / durationSec) : 0,
    speakerCount:
      chunks.length === 1 ? chunks[0]!.speakerCount : Math.max(sessionVoices, ...chunks.map((c) => c.speakerCount)),
    speakerChanges: chunks.flatMap((c) => c.speakerChanges.map((t) => round3(t + c.chunkStartSec))),
    speakerConfidence: chunks.length ? Math.min(...chunks.map((c) => c.speakerConfidence)) : 1,
    transcript: chunks
      .map((c) => c.transcript)
      .filter(Boolean)
      .join(' '),
    transcriptSegments: chunks.flatMap((c) =>
      c.transcriptSegments.map((s) => ({
        ...s,
        startSec: round3(s.startSec + c.chunkStartSec),
        endSec: round3(s.endSec + c.chunkStartSec),
        ...(s.words
          ? {
              words: s.words.map((w) => ({
                ...w,
                startSec: round3(w.startSec + c.chunkStartSec),
                endSec: round3(w.endSec + c.chunkStartSec),
              })),
            }
          : {}),
      })),
    ),
    phrases: chunks.flatMap((c) => toPhraseOutput(c.phrases, c.chunkStartSec)),
    flags: session.timeline.map(({ chunkIndex: _chunk, ...flag }) => flag),
    score: session.priorityScore,
    flagged: session.flagged,
    chunks: chunks.length,
    engines: chunks.some((c) => c.vadEngine === 'energy') ? { ...context.engines, vad: 'energy' } : context.engines,
    notices: [...new Set([...context.notices, ...chunks.flatMap((c) => c.notices)])],
    session,
  };
}

/** Analyses a recording of any length in-process: `analyzeChunks` then `combineChunkRecords`. */
export async function analyzeFile(
  input: string,
  engines: AnalysisEngines,
  opts: AnalyzeFileOptions = {},
): Promise<AnalysisResult & { session: SessionStageResult }> {
  const records = await analyzeChunks(input, engines, opts);
  return combineChunkRecords(records, { engines: describeEngines(engines, opts), notices: engines.notices }, opts);
}

/** The engines a run uses, as reported in results. */
export function describeEngines(
  engines: AnalysisEngines,
  opts: Pick<AnalyzeOptions, 'spotInAudio' | 'watchPhrases'> = {},
): EnginesUsed {
  return enginesUsed(engines, engines.vad.engine, opts.spotInAudio ?? true, buildPhraseList(opts.watchPhrases));
}
