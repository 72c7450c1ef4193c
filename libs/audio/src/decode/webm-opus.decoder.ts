/**
 * In-process decode of webm/opus (what browsers' MediaRecorder uploads) with libopus (npm @evan/opus, below).
 * Spawning ffmpeg costs ~60 ms of library loading per chunk before it decodes anything; this path decodes a 30 s
 * chunk in a fraction of that (bench/analysis.bench.ts). libopus decodes straight to 16 kHz, so there is no
 * resampling either. Anything it does not handle (laced blocks, other codecs, damaged packets) throws
 * WebmOpusUnsupported and the caller uses ffmpeg.
 */
import { Decoder } from '@evan/opus';
import { STEREO_TO_MONO } from './wav.decoder';

export class WebmOpusUnsupported extends Error {
  override readonly name = 'WebmOpusUnsupported';
}

const EBML_MAGIC = 0x1a45dfa3;
const ID = {
  segment: 0x18538067,
  cluster: 0x1f43b675,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  codecId: 0x86,
  codecPrivate: 0x63a2,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
} as const;
/** Elements whose children we read; every other element is skipped by its size. */
const MASTERS = new Set<number>([ID.segment, ID.cluster, ID.tracks, ID.trackEntry, ID.blockGroup]);

interface OpusTrack {
  number: number;
  channels: number;
  preSkip: number;
}

export interface WebmOpusContent {
  track: OpusTrack;
  frames: Uint8Array[];
}

export function isWebm(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0 === EBML_MAGIC
  );
}

/** EBML variable-length integer at `offset`: its value (marker bit removed unless `keepMarker`) and length. */
function readVint(
  bytes: Uint8Array,
  offset: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } {
  const first = bytes[offset];
  if (first === undefined || first === 0) throw new WebmOpusUnsupported('bad EBML integer');
  const length = Math.clz32(first) - 23; // 1..8
  if (offset + length > bytes.length) throw new WebmOpusUnsupported('truncated EBML integer');
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[offset + i]!;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

/** Walks the EBML tree once: the Opus track's parameters and every frame of that track, in order. */
export function demuxWebmOpus(bytes: Uint8Array): WebmOpusContent {
  if (!isWebm(bytes)) throw new WebmOpusUnsupported('not a webm/matroska file');
  const tracks: Array<Partial<OpusTrack> & { codec?: string; head?: Uint8Array }> = [];
  const blocks: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    let id: ReturnType<typeof readVint>;
    let size: ReturnType<typeof readVint>;
    try {
      id = readVint(bytes, offset, true);
      size = readVint(bytes, offset + id.length, false);
    } catch (error) {
      if (blocks.length > 0) break; // a recording cut mid-element: keep what was complete
      throw error;
    }
    const dataStart = offset + id.length + size.length;
    if (MASTERS.has(id.value)) {
      if (id.value === ID.trackEntry) tracks.push({});
      offset = dataStart; // descend (also for unknown sizes, which live recordings use)
      continue;
    }
    if (size.unknown) throw new WebmOpusUnsupported(`unknown size on element 0x${id.value.toString(16)}`);
    const dataEnd = dataStart + size.value;
    if (dataEnd > bytes.length) break; // truncated tail
    const data = bytes.subarray(dataStart, dataEnd);
    const track = tracks[tracks.length - 1];
    switch (id.value) {
      case ID.trackNumber:
        if (track) track.number = data.reduce((value, byte) => value * 256 + byte, 0);
        break;
      case ID.codecId:
        if (track) track.codec = Buffer.from(data).toString('latin1');
        break;
      case ID.codecPrivate:
        if (track) track.head = data;
        break;
      case ID.simpleBlock:
      case ID.block:
        blocks.push(data);
        break;
      default:
        break;
    }
    offset = dataEnd;
  }
  const opus = tracks.find((t) => t.codec === 'A_OPUS');
  if (!opus || opus.number === undefined) throw new WebmOpusUnsupported('no Opus audio track');
  const head = opus.head;
  if (!head || head.length < 19 || Buffer.from(head.subarray(0, 8)).toString('latin1') !== 'OpusHead')
    throw new WebmOpusUnsupported('missing OpusHead');
  const channels = head[9]!;
  const mappingFamily = head[18]!;
  if (mappingFamily !== 0 || channels < 1 || channels > 2)
    throw new WebmOpusUnsupported(`Opus mapping family ${mappingFamily} with ${channels} channels`);
  const preSkip = head[10]! | (head[11]! << 8);

  const frames: Uint8Array[] = [];
  for (const block of blocks) {
    const trackNumber = readVint(block, 0, false);
    if (trackNumber.value !== opus.number) continue;
    const flags = block[trackNumber.length + 2]!;
    if (flags & 0x06) throw new WebmOpusUnsupported('laced blocks');
    frames.push(block.subarray(trackNumber.length + 3));
  }
  if (frames.length === 0) throw new WebmOpusUnsupported('no Opus frames');
  return { track: { number: opus.number, channels, preSkip }, frames };
}

/*
 * Decoder: @evan/opus (MIT), libopus as a prebuilt Node-API addon for linux/macOS/windows on x64 and arm64, with
 * libopus in WebAssembly (in the same package) where no addon loads. Its `decode` returns interleaved 16-bit PCM
 * in a buffer the next call reuses, and throws on a damaged packet. On a recorder chunk the addon took 0.74× the
 * time of opus-decoder's WebAssembly, its own WebAssembly build 0.86× (docs/analysis.md, Decode).
 */
type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;
/** Opus decodes natively at these rates; others go to ffmpeg. */
export const OPUS_NATIVE_RATES = new Set<number>([8000, 12000, 16000, 24000, 48000] satisfies OpusRate[]);

/**
 * Decodes webm/opus bytes to mono float PCM at `sampleRate` (one of OPUS_NATIVE_RATES). A damaged packet throws
 * WebmOpusUnsupported, so the caller hands the file to ffmpeg, which conceals it and keeps the timeline.
 */
export function decodeWebmOpus(bytes: Uint8Array, sampleRate = 16_000, maxSamples = Infinity): Float32Array {
  if (!OPUS_NATIVE_RATES.has(sampleRate)) throw new WebmOpusUnsupported(`sample rate ${sampleRate}`);
  const { track, frames } = demuxWebmOpus(bytes);
  const channels = track.channels === 2 ? 2 : 1;
  const decoder = new Decoder({ channels, sample_rate: sampleRate as OpusRate });
  const parts: Int16Array[] = [];
  let total = 0;
  // OpusHead counts pre-skip at 48 kHz.
  const preSkip = Math.round((track.preSkip * sampleRate) / 48_000);
  for (const frame of frames) {
    // Stop once `maxSamples` are decoded: a small file can hold hours of audio, and decoding costs CPU.
    if (total - preSkip >= maxSamples) break;
    let pcm: Uint8Array;
    try {
      pcm = decoder.decode(frame);
    } catch (error) {
      throw new WebmOpusUnsupported(`damaged Opus packet: ${error instanceof Error ? error.message : String(error)}`);
    }
    // copy out of the decoder's reused buffer; an Int16Array view needs an even byte offset, so copy bytewise
    const samples = new Int16Array(pcm.length >> 1);
    new Uint8Array(samples.buffer).set(pcm.subarray(0, samples.length * 2));
    parts.push(samples);
    total += samples.length / channels;
  }
  const skip = Math.min(total, preSkip);
  if (total - skip <= 0) throw new WebmOpusUnsupported('no samples decoded');
  const mono = new Float32Array(Math.min(total - skip, maxSamples));
  const scale = channels === 2 ? STEREO_TO_MONO / 32_768 : 1 / 32_768;
  let frameIndex = 0; // sample frames decoded so far, before the skip
  for (const samples of parts) {
    const count = samples.length / channels;
    for (let i = 0; i < count; i++, frameIndex++) {
      if (frameIndex < skip) continue;
      if (frameIndex - skip >= mono.length) break;
      const value = channels === 2 ? samples[2 * i]! + samples[2 * i + 1]! : samples[i]!;
      mono[frameIndex - skip] = value * scale;
    }
  }
  return mono;
}
