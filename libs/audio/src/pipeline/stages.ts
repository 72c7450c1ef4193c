/**
 * The analysis stages, each callable alone from serialisable inputs (the analyzer runs one queue per stage):
 * vad → speakers → transcribe (+ phrases) → score, and a session summary over the chunks' results.
 * Stages that need audio take the decoded PCM; everything else they take and return is plain JSON.
 */
import { ANALYSIS_SAMPLE_RATE } from '../decode/ffmpeg.decoder';
import type { WakePhraseSpotter } from '../phrases/embedding.spotter';
import { spotPhrasesInAudio, mergePhraseHits, type KeywordSpotterOptions } from '../phrases/pocketsphinx.spotter';
import type { PhraseHit, WatchedPhrase } from '../phrases/phrases.types';
import { matchPhrasesInTranscript } from '../phrases/transcript-phrase.matcher';
import { summarizeLevels, type LevelOptions, type LevelSummary } from '../score/levels';
import {
  combineSeverities,
  scoreChunk,
  summarizeSession,
  type ChunkScore,
  type ScoreOptions,
  type SessionChunkScore,
  type SessionSummary,
  type SessionSummaryOptions,
} from '../score/score';
import {
  findOtherVoices,
  type ChunkVoices,
  type OtherVoice,
  type SessionVoicesOptions,
} from '../speakers/session-voices';
import type { SpeakerAnalysis, SpeakerEngine, SpeakerOptions } from '../speakers/speakers.types';
import type { Transcriber, Transcript } from '../transcribe/transcriber.types';
import type { SpeechSegment } from '../types';
import type { DetectSpeechOptions, Vad, VadEngineName } from '../vad/vad.types';

export interface VadStageResult {
  durationSec: number;
  /** The duration the upload declared, kept for the score stage's duration_mismatch flag. */
  declaredDurationSec?: number;
  speechSegments: SpeechSegment[];
  voiceActivityRatio: number;
  engine: VadEngineName;
  levels: LevelSummary;
  notice?: string;
}

/** Stage 1: speech segments, voice activity ratio and the level figures the scorer needs. */
export async function runVadStage(
  pcm: Float32Array,
  vad: Vad,
  opts: DetectSpeechOptions & { levels?: LevelOptions } = {},
): Promise<VadStageResult> {
  const sampleRate = opts.sampleRate ?? ANALYSIS_SAMPLE_RATE;
  const result = await vad.detect(pcm, opts);
  return {
    durationSec: Math.round((pcm.length / sampleRate) * 1000) / 1000,
    speechSegments: result.segments,
    voiceActivityRatio: result.voiceActivityRatio,
    engine: result.engine,
    levels: summarizeLevels(pcm, result.segments, { sampleRate, ...opts.levels }),
    ...(result.notice ? { notice: result.notice } : {}),
  };
}

/** Stage 2: voices in the chunk's speech. */
export async function runSpeakersStage(
  pcm: Float32Array,
  vadResult: Pick<VadStageResult, 'speechSegments'>,
  engine: SpeakerEngine,
  opts: SpeakerOptions = {},
): Promise<SpeakerAnalysis> {
  return engine.analyze(pcm, vadResult.speechSegments, opts);
}

export interface TranscribeStageOptions {
  phrases: readonly WatchedPhrase[];
  /** Keyword spotting on the audio too (the wake spotter, and pocketsphinx kws for the rest). Default true. */
  spotInAudio?: boolean;
  spotter?: KeywordSpotterOptions;
  /**
   * The neural wake-phrase spotter (`createWakePhraseSpotter`). The phrases it knows are spotted by it alone;
   * pocketsphinx keyword spotting then only looks for the others (exam watch phrases). Absent: pocketsphinx for all.
   */
  wakeSpotter?: WakePhraseSpotter;
  signal?: AbortSignal;
  sampleRate?: number;
}

export interface TranscribeStageResult {
  transcript?: Transcript;
  phrases: PhraseHit[];
  notices: string[];
}

/**
 * Stage 3: transcript of the speech (when a transcriber is given) and wake/watch phrases from the transcript and
 * from keyword spotting. A failing engine leaves a notice, not an exception: the chunk still gets scored.
 */
export async function runTranscribeStage(
  pcm: Float32Array,
  vadResult: Pick<VadStageResult, 'speechSegments'>,
  transcriber: Transcriber | undefined,
  opts: TranscribeStageOptions,
): Promise<TranscribeStageResult> {
  const notices: string[] = [];
  const speech = vadResult.speechSegments;
  let transcript: Transcript | undefined;
  if (transcriber && speech.length) {
    try {
      transcript = await transcriber.transcribe(pcm, speech, { signal: opts.signal, sampleRate: opts.sampleRate });
      if (transcript.notice) notices.push(transcript.notice);
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      notices.push(
        `transcription (${transcriber.engine}) failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const hits: PhraseHit[] = transcript ? matchPhrasesInTranscript(transcript, opts.phrases) : [];
  const spotInAudio = (opts.spotInAudio ?? true) && speech.length > 0;
  const wakeSpotter = opts.wakeSpotter;
  if (spotInAudio && wakeSpotter) {
    try {
      hits.push(...(await wakeSpotter.spot(pcm, speech, opts.phrases, { sampleRate: opts.sampleRate })));
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      notices.push(`wake-phrase spotting failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const kwsPhrases = phrasesLeftToPocketsphinx(opts.phrases, wakeSpotter);
  if (spotInAudio && kwsPhrases.length) {
    // pocketsphinx's own transcript is the decode the spotter verifies candidates against: reuse it rather than
    // decoding the candidates' audio a second time (about 1 s per chunk).
    const decodedWords =
      transcript?.engine === 'pocketsphinx' ? transcript.segments.flatMap((segment) => segment.words ?? []) : [];
    try {
      hits.push(
        ...(await spotPhrasesInAudio(pcm, speech, kwsPhrases, {
          signal: opts.signal,
          sampleRate: opts.sampleRate,
          ...(decodedWords.length ? { decodedWords } : {}),
          ...opts.spotter,
        })),
      );
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      notices.push(`keyword spotting failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ...(transcript ? { transcript } : {}), phrases: mergePhraseHits(hits), notices };
}

/** Phrases pocketsphinx keyword spotting still has to look for when the wake spotter handles the ones it knows. */
export function phrasesLeftToPocketsphinx(
  phrases: readonly WatchedPhrase[],
  wakeSpotter: Pick<WakePhraseSpotter, 'phrases'> | undefined,
): WatchedPhrase[] {
  if (!wakeSpotter) return [...phrases];
  return phrases.filter((p) => !(p.kind === 'wake' && wakeSpotter.phrases.includes(p.phrase)));
}

/** Stage 4: flags and score from the earlier stages' JSON. `otherVoices` come from the session stage. */
export function runScoreStage(
  vadResult: VadStageResult,
  speakers: Pick<SpeakerAnalysis, 'speakerCount' | 'confidence' | 'turns' | 'segmentVoicedRatios'> | undefined,
  transcribeResult: Pick<TranscribeStageResult, 'phrases'> | undefined,
  opts: ScoreOptions & { otherVoices?: OtherVoice[] } = {},
): ChunkScore {
  return scoreChunk(
    {
      durationSec: vadResult.durationSec,
      ...(vadResult.declaredDurationSec !== undefined ? { declaredDurationSec: vadResult.declaredDurationSec } : {}),
      speechSegments: vadResult.speechSegments,
      levels: vadResult.levels,
      ...(speakers ? { speakers } : {}),
      ...(transcribeResult ? { phrases: transcribeResult.phrases } : {}),
      ...(opts.otherVoices ? { otherVoices: opts.otherVoices } : {}),
    },
    opts,
  );
}

export interface SessionStageResult extends SessionSummary {
  otherVoices: OtherVoice[];
}

/**
 * Stage 5: the session summary. Other-than-candidate voices across chunks become `new_voice` flags on the
 * timeline; the priority score and `flagged` cover every chunk.
 */
export function runSessionSummaryStage(
  chunks: ReadonlyArray<SessionChunkScore & Partial<Pick<ChunkVoices, 'voices' | 'turns'>>>,
  opts: SessionSummaryOptions & SessionVoicesOptions & ScoreOptions = {},
): SessionStageResult {
  const { otherVoices } = findOtherVoices(
    chunks.map((c) => ({
      chunkIndex: c.chunkIndex,
      chunkStartSec: c.chunkStartSec,
      voices: c.voices ?? [],
      ...(c.turns ? { turns: c.turns } : {}),
    })),
    opts,
  );
  const withNewVoices = chunks.map((chunk) => {
    const mine = otherVoices
      .filter((v) => v.chunkIndex === chunk.chunkIndex)
      .map((v) => ({ ...v, startSec: v.startSec - chunk.chunkStartSec }));
    if (mine.length === 0 || chunk.flags.some((f) => f.type === 'new_voice')) return chunk;
    const extra = scoreChunk(
      {
        durationSec: 0,
        speechSegments: [],
        levels: { rmsDbfs: 0, peakDbfs: 0, speechLevelsDbfs: [], loudNonSpeech: [] },
        otherVoices: mine,
      },
      opts,
    ).flags;
    const flags = [...chunk.flags, ...extra].sort((a, b) => a.start - b.start);
    return { ...chunk, flags, score: combineSeverities(flags) };
  });
  return { ...summarizeSession(withNewVoices, opts), otherVoices };
}
