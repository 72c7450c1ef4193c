/** Containers a browser recorder produces: Chrome webm, Firefox ogg, Safari mp4, and plain WAV. */
export type AudioContainer = 'webm' | 'ogg' | 'mp4' | 'wav';

export const CONTENT_TYPES: Record<AudioContainer, string> = {
  webm: 'audio/webm',
  ogg: 'audio/ogg',
  mp4: 'audio/mp4',
  wav: 'audio/wav',
};

/** File extension of each container's object key. */
export const FILE_EXTENSIONS: Record<AudioContainer, string> = {
  webm: 'webm',
  ogg: 'ogg',
  mp4: 'mp4',
  wav: 'wav',
};

/** Bytes needed to recognise every supported container. */
export const MAGIC_BYTES_NEEDED = 12;

/** Identifies the container from its first bytes (magic numbers), never from the client's claimed type. */
export function detectAudioContainer(head: Uint8Array): AudioContainer | undefined {
  const ascii = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm'; // EBML
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  return undefined;
}
