import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createFixtureDir, encode, speak, concat, silence, type FixtureDir } from '../../test/audio-fixtures';
import { AudioDecodeError } from './audio-decode.error';
import { decodeToPcm, probeDurationSec, streamPcm } from './ffmpeg.decoder';
import { decodeWebmOpus, demuxWebmOpus, WebmOpusUnsupported } from './webm-opus.decoder';

describe('ffmpeg decoder (real ffmpeg)', () => {
  let fx: FixtureDir;
  let wav: string;
  let webm: string;
  beforeAll(() => {
    fx = createFixtureDir();
    wav = concat(fx.file('clip.wav'), [speak(fx.file('s.wav'), 'hello this is a test'), silence(fx.file('z.wav'), 1)]);
    webm = encode(wav, fx.file('clip.webm'), ['-c:a', 'libopus', '-b:a', '32k']);
  });
  afterAll(() => fx.remove());

  const expectedSamples = (file: string): number =>
    Math.round(Number.parseFloat(execFileSync('soxi', ['-D', file], { encoding: 'utf8' })) * 16000);

  it('decodes a wav to 16 kHz mono float with the right length and audible content', async () => {
    const pcm = await decodeToPcm(wav);
    expect(pcm).toBeInstanceOf(Float32Array);
    expect(Math.abs(pcm.length - expectedSamples(wav))).toBeLessThan(10);
    const peak = pcm.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.05);
    expect(peak).toBeLessThanOrEqual(1);
  });

  it('decodes webm/opus from a path and from a stream to the same samples (ffmpeg)', async () => {
    const fromPath = await decodeToPcm(webm, { inProcess: false });
    const fromStream = await decodeToPcm(createReadStream(webm), { inProcess: false });
    expect(Math.abs(fromPath.length - expectedSamples(wav))).toBeLessThan(16000 * 0.05);
    expect(fromStream.length).toBe(fromPath.length);
    expect(fromStream[8000]).toBeCloseTo(fromPath[8000]!, 6);
  });

  it('decodes webm/opus in-process to what ffmpeg decodes (same timing, same waveform)', async () => {
    const viaFfmpeg = await decodeToPcm(webm, { inProcess: false });
    const inProcess = await decodeToPcm(webm);
    expect(Math.abs(inProcess.length - viaFfmpeg.length)).toBeLessThan(16000 * 0.02);
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    for (let i = 0; i < viaFfmpeg.length; i++) {
      dot += inProcess[i]! * viaFfmpeg[i]!;
      a2 += inProcess[i]! ** 2;
      b2 += viaFfmpeg[i]! ** 2;
    }
    expect(dot / Math.sqrt(a2 * b2)).toBeGreaterThan(0.99);
  });

  it('mixes stereo webm/opus to mono at the level ffmpeg does', async () => {
    const stereo = encode(wav, fx.file('stereo.webm'), ['-ac', '2', '-c:a', 'libopus', '-b:a', '64k']);
    const rms = (pcm: Float32Array): number => Math.sqrt(pcm.reduce((sum, v) => sum + v * v, 0) / pcm.length);
    const ratio = rms(await decodeToPcm(stereo)) / rms(await decodeToPcm(stereo, { inProcess: false }));
    expect(ratio).toBeGreaterThan(0.97);
    expect(ratio).toBeLessThan(1.03);
  });

  it('decodes a stream or bytes of webm/opus in-process like the file, and replays a large stream into ffmpeg', async () => {
    const fromFile = await decodeToPcm(webm);
    expect(await decodeToPcm(createReadStream(webm))).toEqual(fromFile);
    expect(await decodeToPcm(readFileSync(webm))).toEqual(fromFile);
    // over the in-process limit: what was already read is replayed to ffmpeg ahead of the rest
    const viaFfmpeg = await decodeToPcm(webm, { inProcess: false });
    const replayed = await decodeToPcm(createReadStream(webm, { highWaterMark: 512 }), { inProcessMaxBytes: 2048 });
    expect(replayed.length).toBe(viaFfmpeg.length);
    expect(replayed[16000]).toBeCloseTo(viaFfmpeg[16000]!, 6);
  });

  it('decodes an MP4 whose index (moov) follows the data, from a stream, from bytes and in blocks', async () => {
    // Long enough that ffmpeg's probe buffer on a pipe cannot hold the data before the index (about 250 KB).
    const long = concat(fx.file('long.wav'), [wav, silence(fx.file('z30.wav'), 30)]);
    const moovAtEnd = encode(long, fx.file('end.mp4'), ['-c:a', 'aac', '-b:a', '64k']);
    const head = readFileSync(moovAtEnd);
    expect(head.indexOf('moov')).toBeGreaterThan(head.indexOf('mdat'));
    const fromFile = await decodeToPcm(moovAtEnd);
    expect(Math.abs(fromFile.length - expectedSamples(long))).toBeLessThan(16000 * 0.1);
    expect((await decodeToPcm(createReadStream(moovAtEnd))).length).toBe(fromFile.length);
    expect((await decodeToPcm(createReadStream(moovAtEnd), { inProcess: false })).length).toBe(fromFile.length);
    expect((await decodeToPcm(readFileSync(moovAtEnd))).length).toBe(fromFile.length);
    let streamed = 0;
    for await (const block of streamPcm(createReadStream(moovAtEnd))) streamed += block.length;
    expect(streamed).toBe(fromFile.length);
  });

  it('decodes bytes of other formats through ffmpeg', async () => {
    const flac = encode(wav, fx.file('clip.flac'), ['-c:a', 'flac']);
    const pcm = await decodeToPcm(readFileSync(flac));
    expect(Math.abs(pcm.length - expectedSamples(wav))).toBeLessThan(10);
  });

  it('reads 16 kHz WAV in-process to exactly the samples ffmpeg gives (16-bit, float, stereo)', async () => {
    const variants = [
      wav,
      encode(wav, fx.file('float.wav'), ['-c:a', 'pcm_f32le']),
      encode(wav, fx.file('stereo.wav'), ['-ac', '2', '-c:a', 'pcm_s16le']),
    ];
    for (const file of variants) {
      const viaFfmpeg = await decodeToPcm(file, { inProcess: false });
      const inProcess = await decodeToPcm(file);
      expect(inProcess.length).toBe(viaFfmpeg.length);
      let maxDiff = 0;
      for (let i = 0; i < inProcess.length; i++) maxDiff = Math.max(maxDiff, Math.abs(inProcess[i]! - viaFfmpeg[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(await decodeToPcm(readFileSync(file))).toEqual(inProcess);
    }
  });

  it('hands webm with a damaged Opus packet to ffmpeg, which keeps the length', async () => {
    const bytes = readFileSync(webm);
    const frame = demuxWebmOpus(bytes).frames[10]!;
    const at = frame.byteOffset - bytes.byteOffset;
    bytes[at] = bytes[at]! | 0x03; // code 3: a frame count follows...
    bytes[at + 1] = 0; // ...and zero frames is not a valid packet
    expect(() => decodeWebmOpus(bytes)).toThrow(WebmOpusUnsupported);
    const pcm = await decodeToPcm(bytes);
    expect(Math.abs(pcm.length - expectedSamples(wav))).toBeLessThan(16000 * 0.05);
  });

  it('sends WAV at another rate to ffmpeg, which resamples it', async () => {
    const cd = encode(wav, fx.file('44k.wav'), ['-ar', '44100', '-c:a', 'pcm_s16le']);
    const pcm = await decodeToPcm(cd);
    expect(Math.abs(pcm.length - expectedSamples(wav))).toBeLessThan(50);
  });

  it('falls back to ffmpeg for webm it cannot decode in-process (Vorbis)', async () => {
    const vorbis = encode(wav, fx.file('vorbis.webm'), ['-c:a', 'libvorbis']);
    const pcm = await decodeToPcm(vorbis);
    expect(Math.abs(pcm.length - expectedSamples(wav))).toBeLessThan(16000 * 0.05);
  });

  it('resamples when asked for another rate', async () => {
    const pcm = await decodeToPcm(wav, { sampleRate: 8000 });
    expect(Math.abs(pcm.length - expectedSamples(wav) / 2)).toBeLessThan(10);
  });

  it('streams fixed-size blocks whose total matches the whole decode', async () => {
    const whole = await decodeToPcm(wav);
    const sizes: number[] = [];
    for await (const block of streamPcm(wav, { blockSamples: 4000 })) sizes.push(block.length);
    expect(sizes.slice(0, -1).every((size) => size === 4000)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(whole.length);
  });

  it('streams only the requested time range', async () => {
    let samples = 0;
    for await (const block of streamPcm(wav, { startSec: 0.5, maxDurationSec: 1 })) samples += block.length;
    expect(samples).toBe(16000);
  });

  it('stops ffmpeg when the consumer breaks out early', async () => {
    let blocks = 0;
    for await (const _block of streamPcm(wav, { blockSamples: 1600 })) {
      if (++blocks === 2) break;
    }
    expect(blocks).toBe(2);
  });

  it('rejects garbage with a non-retryable UNDECODABLE error', async () => {
    const bad = fx.file('bad.webm');
    writeFileSync(bad, Buffer.from('this is not a media file at all'.repeat(20)));
    const error = await decodeToPcm(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect((error as AudioDecodeError).code).toBe('UNDECODABLE');
    expect((error as AudioDecodeError).retryable).toBe(false);
  });

  it('rejects a video without audio as NO_AUDIO', async () => {
    const video = fx.file('video.mkv');
    execFileSync('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=32x32:d=1',
      '-c:v',
      'ffv1',
      video,
    ]);
    await expect(decodeToPcm(video)).rejects.toMatchObject({ code: 'NO_AUDIO', retryable: false });
  });

  it('reports a missing ffmpeg as retryable FFMPEG_MISSING', async () => {
    await expect(decodeToPcm(wav, { ffmpegPath: '/nonexistent/ffmpeg', inProcess: false })).rejects.toMatchObject({
      code: 'FFMPEG_MISSING',
      retryable: true,
    });
  });

  it('aborts on signal', async () => {
    const controller = new AbortController();
    const pending = decodeToPcm(webm, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('probes the duration from the header, and by decoding when the header has none', async () => {
    expect(await probeDurationSec(wav)).toBeCloseTo(expectedSamples(wav) / 16000, 1);
    // webm written to a pipe has no duration in its header, like MediaRecorder output
    const headerless = fx.file('headerless.webm');
    const bytes = execFileSync('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-i',
      wav,
      '-c:a',
      'libopus',
      '-f',
      'webm',
      'pipe:1',
    ]);
    writeFileSync(headerless, bytes);
    expect(await probeDurationSec(headerless)).toBeCloseTo(expectedSamples(wav) / 16000, 1);
  });
});
