import type { AudioChunkRow, AudioSessionRow } from '@earshot/db';
import type { Chunk, Session } from '@earshot/contracts';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toChunkDto(row: AudioChunkRow): Chunk {
  return {
    id: row.id,
    session_id: row.sessionId,
    chunk_index: row.chunkIndex,
    start_time_seconds: row.startTimeSeconds,
    end_time_seconds: row.endTimeSeconds,
    duration_seconds: row.durationSeconds,
    s3_key: row.s3Key,
    file_size_bytes: row.fileSizeBytes,
    compressed_size_bytes: row.compressedSizeBytes,
    compression_ratio: row.compressionRatio,
    content_sha256: row.contentSha256,
    content_type: row.contentType,
    upload_status: row.uploadStatus,
    processing_status: row.processingStatus,
    failure_reason: row.failureReason,
    transcription: row.transcription,
    speaker_count: row.speakerCount,
    voice_activity_ratio: row.voiceActivityRatio,
    suspicious_activity_score: row.suspiciousActivityScore,
    analysis_results: row.analysisResults,
    created_at: row.createdAt.toISOString(),
    processed_at: iso(row.processedAt),
  };
}

export function toSessionDto(row: AudioSessionRow, uploadedChunks: number): Session {
  return {
    id: row.id,
    org_id: row.orgId,
    user_id: row.userId,
    test_session_id: row.testSessionId,
    status: row.status,
    start_time: row.startTime.toISOString(),
    end_time: iso(row.endTime),
    total_duration_seconds: row.totalDurationSeconds,
    total_chunks: row.totalChunks,
    uploaded_chunks: uploadedChunks,
    s3_base_key: row.s3BaseKey,
    metadata: row.metadata,
    summary: row.summary,
    missing_chunk_indexes: row.missingChunkIndexes,
    failure_reason: row.failureReason,
    stream_lost_at: iso(row.streamLostAt),
    stream_gaps: row.streamGaps,
    abandoned_at: iso(row.abandonedAt),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
