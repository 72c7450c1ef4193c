import { detectAudioContainer } from './audio-container';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('detectAudioContainer', () => {
  it.each([
    ['webm (EBML)', bytes([0x1a, 0x45, 0xdf, 0xa3], [0x9f, 0x42, 0x86, 0x81, 1, 0x42, 0xf7, 0x81]), 'webm'],
    ['ogg', bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0]), 'ogg'],
    ['wav', bytes('RIFF', [0x24, 0, 0, 0], 'WAVE'), 'wav'],
    ['mp4', bytes([0, 0, 0, 0x20], 'ftypM4A '), 'mp4'],
  ])('recognises %s', (_label, head, expected) => {
    expect(detectAudioContainer(head)).toBe(expected);
  });

  it.each([
    ['pdf', bytes('%PDF-1.7 xxxx')],
    ['exe', bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0])],
    ['riff that is not wave', bytes('RIFF', [0, 0, 0, 0], 'AVI ')],
    ['too short', bytes([0x1a, 0x45])],
    ['empty', Buffer.alloc(0)],
  ])('refuses %s', (_label, head) => {
    expect(detectAudioContainer(head)).toBeUndefined();
  });
});
