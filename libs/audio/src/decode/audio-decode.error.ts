/**
 * Why a decode failed. `retryable` tells a queue worker whether trying again can help:
 * bad media never decodes on a retry; a missing ffmpeg or an abort is not the media's fault.
 */
export type AudioDecodeErrorCode = 'UNDECODABLE' | 'NO_AUDIO' | 'FFMPEG_MISSING' | 'ABORTED' | 'INPUT_ERROR';

const RETRYABLE: Record<AudioDecodeErrorCode, boolean> = {
  UNDECODABLE: false,
  NO_AUDIO: false,
  FFMPEG_MISSING: true,
  ABORTED: true,
  INPUT_ERROR: true,
};

export class AudioDecodeError extends Error {
  override readonly name = 'AudioDecodeError';
  readonly retryable: boolean;

  constructor(
    readonly code: AudioDecodeErrorCode,
    message: string,
    readonly stderr = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = RETRYABLE[code];
  }
}

export function isAudioDecodeError(error: unknown): error is AudioDecodeError {
  return error instanceof AudioDecodeError;
}
