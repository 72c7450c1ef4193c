/** A stretch of audio in seconds from the start of the analysed input. */
export interface TimeSpan {
  startSec: number;
  endSec: number;
}

export type SpeechSegment = TimeSpan;
