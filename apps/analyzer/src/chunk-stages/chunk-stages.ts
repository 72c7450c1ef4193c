import {
  runScoreStage,
  type ChunkScore,
  type SpeakerAnalysis,
  type TranscribeStageResult,
  type VadStageResult,
} from '@earshot/audio';
import type { ChunkJob } from '@earshot/contracts';
import type { AnalyzerDeps } from '../ports';
import { finishChunk } from './finish-chunk';
import { analyseChunk, loadChunkForStage, queueNextStage, stageResult } from './stage-context';

/** 16 kHz mono 16-bit PCM: the uncompressed size the compression ratio compares against. */
const PCM_BYTES_PER_SEC = 16_000 * 2;

/**
 * Each stage: reload the chunk, do its one piece of analysis, store it under analysis_results[stage], queue the
 * next stage. Re-running a stage overwrites its own result with the same value (idempotent).
 */
export async function analyzeVoiceActivity(deps: AnalyzerDeps, job: ChunkJob, signal: AbortSignal): Promise<void> {
  const loaded = await loadChunkForStage(deps, job);
  if (!loaded) return;
  const { chunk } = loaded;
  await deps.chunks.markProcessing(job.sessionId, job.chunkIndex);
  // The upload's declared duration; durationSeconds is overwritten with the decoded one below, so a re-run
  // reads it back from its own earlier result.
  const declaredDurationSec = stageResult<VadStageResult>(chunk, 'vad')?.declaredDurationSec ?? chunk.durationSeconds ?? undefined;
  const result: VadStageResult = {
    ...(await analyseChunk(deps, chunk, 'vad', {}, signal)),
    ...(declaredDurationSec !== undefined ? { declaredDurationSec } : {}),
  };
  await deps.chunks.saveStageResult(job.sessionId, job.chunkIndex, {
    stage: 'vad',
    result: { ...result },
    columns: {
      durationSeconds: result.durationSec,
      endTimeSeconds: chunk.startTimeSeconds + result.durationSec,
      voiceActivityRatio: result.voiceActivityRatio,
      compressionRatio: chunk.fileSizeBytes > 0 ? (result.durationSec * PCM_BYTES_PER_SEC) / chunk.fileSizeBytes : null,
    },
  });
  await queueNextStage(deps, 'vad', job);
}

export async function analyzeSpeakers(deps: AnalyzerDeps, job: ChunkJob, signal: AbortSignal): Promise<void> {
  const loaded = await loadChunkForStage(deps, job);
  if (!loaded) return;
  const vad = stageResult<VadStageResult>(loaded.chunk, 'vad');
  if (!vad) throw new Error('speakers stage ran before vad');
  const result: SpeakerAnalysis = await analyseChunk(
    deps,
    loaded.chunk,
    'speakers',
    { speechSegments: vad.speechSegments },
    signal,
    vad.speechSegments.length > 0,
  );
  await deps.chunks.saveStageResult(job.sessionId, job.chunkIndex, {
    stage: 'speakers',
    result: { ...result },
    columns: { speakerCount: result.speakerCount },
  });
  await queueNextStage(deps, 'speakers', job);
}

export async function transcribeSpeech(deps: AnalyzerDeps, job: ChunkJob, signal: AbortSignal): Promise<void> {
  const loaded = await loadChunkForStage(deps, job);
  if (!loaded) return;
  const vad = stageResult<VadStageResult>(loaded.chunk, 'vad');
  if (!vad) throw new Error('transcribe stage ran before vad');
  const result: TranscribeStageResult = await analyseChunk(
    deps,
    loaded.chunk,
    'transcribe',
    {
      speechSegments: vad.speechSegments,
      phrases: deps.analysis.phrasesFor(loaded.session.metadata),
      spotInAudio: deps.analysis.spotInAudio,
    },
    signal,
    vad.speechSegments.length > 0,
  );
  await deps.chunks.saveStageResult(job.sessionId, job.chunkIndex, {
    stage: 'transcribe',
    result: { ...result },
    columns: { transcription: result.transcript?.text ?? null },
  });
  await queueNextStage(deps, 'transcribe', job);
}

export async function scoreChunk(deps: AnalyzerDeps, job: ChunkJob): Promise<void> {
  const loaded = await loadChunkForStage(deps, job);
  if (!loaded) return;
  const vad = stageResult<VadStageResult>(loaded.chunk, 'vad');
  if (!vad) throw new Error('score stage ran before vad');
  const result: ChunkScore = runScoreStage(
    vad,
    stageResult<SpeakerAnalysis>(loaded.chunk, 'speakers'),
    stageResult<TranscribeStageResult>(loaded.chunk, 'transcribe'),
    deps.analysis.score,
  );
  await deps.chunks.saveStageResult(job.sessionId, job.chunkIndex, {
    stage: 'score',
    result: { ...result },
    columns: { suspiciousActivityScore: result.score },
  });
  await finishChunk(deps, job, { status: 'completed' });
}
