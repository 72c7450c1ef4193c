/**
 * In-process read of plain WAV (PCM 16-bit or float 32-bit, mono or stereo) already at the analysis rate: the
 * common shape of test clips and exported recordings. It is a header walk and a copy, where spawning ffmpeg costs
 * ~70 ms (bench/analysis.bench.ts). Anything else (other rates, codecs, layouts) throws WavUnsupported and the
 * caller uses ffmpeg, which resamples.
 */
export class WavUnsupported extends Error {
  override readonly name = 'WavUnsupported';
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** ffmpeg's default stereo-to-mono gain (each channel at -3 dB): every decode path gives the same levels. */
export const STEREO_TO_MONO = Math.SQRT1_2;

export function isWav(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 12 &&
    Buffer.from(bytes.buffer, bytes.byteOffset, 4).toString('latin1') === 'RIFF' &&
    Buffer.from(bytes.buffer, bytes.byteOffset + 8, 4).toString('latin1') === 'WAVE'
  );
}

/** Decodes WAV bytes to mono float PCM; throws WavUnsupported unless the file is already at `sampleRate`. */
export function decodeWav(bytes: Uint8Array, sampleRate: number): Float32Array {
  if (!isWav(bytes)) throw new WavUnsupported('not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { code: number; channels: number; rate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 4).toString('latin1');
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new WavUnsupported('short fmt chunk');
      let code = view.getUint16(body, true);
      if (code === FORMAT_EXTENSIBLE && size >= 40) code = view.getUint16(body + 24, true); // sub-format GUID
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new WavUnsupported('data before fmt');
      return toMono(view, body, Math.min(size, bytes.length - body), format, sampleRate);
    }
    offset = body + size + (size % 2); // chunks are word-aligned
  }
  throw new WavUnsupported('no data chunk');
}

function toMono(
  view: DataView,
  start: number,
  length: number,
  format: { code: number; channels: number; rate: number; bits: number },
  sampleRate: number,
): Float32Array {
  const { code, channels, rate, bits } = format;
  if (rate !== sampleRate) throw new WavUnsupported(`sample rate ${rate}`);
  if (channels < 1 || channels > 2) throw new WavUnsupported(`${channels} channels`);
  const int16 = code === FORMAT_PCM && bits === 16;
  const float32 = code === FORMAT_FLOAT && bits === 32;
  if (!int16 && !float32) throw new WavUnsupported(`format ${code} with ${bits} bits`);
  const bytesPerSample = bits / 8;
  const frames = Math.floor(length / (bytesPerSample * channels));
  const out = new Float32Array(frames);
  const read = int16
    ? (at: number) => view.getInt16(at, true) / 32768
    : (at: number) => view.getFloat32(at, true);
  for (let i = 0; i < frames; i++) {
    const at = start + i * bytesPerSample * channels;
    out[i] = channels === 1 ? read(at) : STEREO_TO_MONO * (read(at) + read(at + bytesPerSample));
  }
  return out;
}
