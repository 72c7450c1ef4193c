export { ExamRecorder, createExamRecorder, type ExamRecorderOptions, type StartInput } from './exam-recorder';
export * from './recorder-events';
export {
  ApiError,
  createApiClient,
  isRetryableFailure,
  type ApiClient,
  type ApiClientOptions,
  type GetToken,
  type UploadChunkInput,
} from './api-client';
export { backoffDelayMs, parseRetryAfterMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export {
  createBrowserChunkStore,
  createIndexedDbChunkStore,
  createMemoryChunkStore,
  type ChunkStore,
  type StoredChunk,
  type StoredSession,
} from './chunk-store';
export { UploadQueue } from './upload-queue';
export { ChunkRecorder, pickMimeType } from './chunk-recorder';
