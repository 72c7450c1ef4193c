import { demuxWebmOpus, isWebm, WebmOpusUnsupported } from './webm-opus.decoder';

/** EBML element: id bytes, size as an 8-byte vint (or unknown), payload. */
function element(id: number[], payload: Uint8Array | number[], unknownSize = false): Uint8Array {
  const body = Uint8Array.from(payload);
  const size = unknownSize ? [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x01, 0, 0, 0, 0, 0, 0, body.length];
  return Uint8Array.from([...id, ...size, ...body]);
}
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

function opusHead(channels: number, preSkip: number): number[] {
  return [...Buffer.from('OpusHead', 'latin1'), 1, channels, preSkip & 0xff, preSkip >> 8, 0x80, 0xbb, 0, 0, 0, 0, 0];
}

function webm(blocks: Uint8Array[], head = opusHead(1, 312)): Uint8Array {
  const track = element(
    [0xae],
    concat(element([0xd7], [1]), element([0x86], [...Buffer.from('A_OPUS', 'latin1')]), element([0x63, 0xa2], head)),
  );
  const cluster = element([0x1f, 0x43, 0xb6, 0x75], concat(element([0xe7], [0]), ...blocks), true);
  return concat(
    element([0x1a, 0x45, 0xdf, 0xa3], [0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d]),
    element([0x18, 0x53, 0x80, 0x67], concat(element([0x16, 0x54, 0xae, 0x6b], track), cluster), true),
  );
}

const simpleBlock = (track: number, frame: number[], flags = 0x80): Uint8Array =>
  element([0xa3], [0x80 | track, 0, 0, flags, ...frame]);

describe('demuxWebmOpus', () => {
  it('reads the Opus track and its frames from unknown-size segments and clusters (MediaRecorder layout)', () => {
    const content = demuxWebmOpus(webm([simpleBlock(1, [1, 2, 3]), simpleBlock(2, [9]), simpleBlock(1, [4, 5])]));
    expect(content.track).toEqual({ number: 1, channels: 1, preSkip: 312 });
    expect(content.frames.map((f) => [...f])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('refuses laced blocks, other layouts and non-webm input so the caller can use ffmpeg', () => {
    expect(() => demuxWebmOpus(webm([simpleBlock(1, [1], 0x82)]))).toThrow(WebmOpusUnsupported);
    expect(() => demuxWebmOpus(webm([simpleBlock(1, [1])], [...opusHead(6, 312).slice(0, 18), 1]))).toThrow(
      /mapping family/,
    );
    expect(() => demuxWebmOpus(Uint8Array.from([0x4f, 0x67, 0x67, 0x53]))).toThrow(/not a webm/);
    expect(isWebm(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3]))).toBe(true);
  });

  it('keeps the complete frames of a recording cut mid-element', () => {
    const full = webm([simpleBlock(1, [1, 2]), simpleBlock(1, [3, 4, 5, 6])]);
    expect(demuxWebmOpus(full.subarray(0, full.length - 2)).frames.map((f) => [...f])).toEqual([[1, 2]]);
  });
});
