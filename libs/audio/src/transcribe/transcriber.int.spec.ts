import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createFixtureDir, type FixtureDir } from '../../test/audio-fixtures';
import { decodeToPcm } from '../decode/ffmpeg.decoder';
import { createVad } from '../vad/vad';
import type { SpeechSegment } from '../types';
import { createTranscriber } from './transcriber';

const JFK = path.join(__dirname, '../../test/fixtures/jfk.webm');

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('transcribers', () => {
  let pcm: Float32Array;
  let speech: SpeechSegment[];
  let fx: FixtureDir;
  beforeAll(async () => {
    fx = createFixtureDir();
    pcm = await decodeToPcm(JFK);
    const vad = await createVad();
    speech = (await vad.detect(pcm)).segments;
    await vad.close();
  });
  afterAll(() => fx.remove());

  it('pocketsphinx transcribes real speech offline with word times inside the speech', async () => {
    const transcript = await createTranscriber({ engine: 'pocketsphinx' }).transcribe(pcm, speech);
    expect(transcript.engine).toBe('pocketsphinx');
    expect(transcript.text).toMatch(/country/);
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words.length).toBeGreaterThan(10);
    for (const word of words) {
      expect(speech.some((s) => word.startSec >= s.startSec - 0.3 && word.endSec <= s.endSec + 0.3)).toBe(true);
    }
  });

  it('pocketsphinx returns nothing and starts no process when there is no speech', async () => {
    const transcript = await createTranscriber({ engine: 'pocketsphinx', binaryPath: '/nonexistent' }).transcribe(
      pcm,
      [],
    );
    expect(transcript).toEqual({ engine: 'pocketsphinx', text: '', segments: [] });
  });

  describe('openai engine against a local OpenAI-compatible server', () => {
    let server: Server;
    let baseURL: string;
    const requests: Array<{ url: string; auth: string; body: string; wavBytes: number }> = [];
    beforeAll(async () => {
      server = createServer((request, response) => {
        void readBody(request).then((body) => {
          const text = body.toString('latin1');
          const wavAt = text.indexOf('RIFF');
          requests.push({
            url: request.url ?? '',
            auth: request.headers.authorization ?? '',
            body: text,
            wavBytes: wavAt >= 0 ? body.readUInt32LE(wavAt + 40) : 0,
          });
          response.setHeader('content-type', 'application/json');
          response.end(
            JSON.stringify({
              text: 'ask not what your country can do for you',
              language: 'english',
              duration: 3,
              segments: [{ id: 0, start: 0.5, end: 2.5, text: ' ask not what your country can do for you' }],
              words: [
                { word: 'ask', start: 0.5, end: 0.8 },
                { word: 'country', start: 1.5, end: 1.9 },
              ],
            }),
          );
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    afterAll(() => server.close());

    it('posts each speech window as a WAV with the model options and shifts times by the window start', async () => {
      requests.length = 0;
      const segments: SpeechSegment[] = [
        { startSec: 1, endSec: 3 },
        { startSec: 7, endSec: 9 },
      ];
      const transcriber = createTranscriber({
        engine: 'openai',
        apiKey: 'test-key',
        baseURL,
        model: 'whisper-large-v3',
        language: 'en',
        maxRetries: 0,
      });
      const transcript = await transcriber.transcribe(pcm, segments);
      expect(requests).toHaveLength(2);
      const first = requests[0]!;
      expect(first.url).toBe('/v1/audio/transcriptions');
      expect(first.auth).toBe('Bearer test-key');
      expect(first.body).toMatch(/name="model"\r\n\r\nwhisper-large-v3/);
      expect(first.body).toMatch(/name="response_format"\r\n\r\nverbose_json/);
      expect(first.body).toMatch(/name="timestamp_granularities\[\]"\r\n\r\nword/);
      expect(first.body).toMatch(/name="language"\r\n\r\nen/);
      expect(first.wavBytes).toBe(Math.round(2.4 * 16000) * 2); // 2 s of speech padded 0.2 s each side
      expect(transcript.engine).toBe('openai');
      expect(transcript.segments[0]).toMatchObject({
        startSec: 1.3,
        endSec: 3.3,
        text: 'ask not what your country can do for you',
      });
      expect(transcript.segments[1]!.words![1]).toEqual({ word: 'country', startSec: 8.3, endSec: 8.7 });
    });

    it('surfaces server errors', async () => {
      const failing = createServer((_request, response) => {
        response.statusCode = 400;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ error: { message: 'bad audio' } }));
      }).listen(0, '127.0.0.1');
      await once(failing, 'listening');
      const transcriber = createTranscriber({
        engine: 'openai',
        apiKey: 'k',
        baseURL: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/v1`,
        maxRetries: 0,
      });
      await expect(transcriber.transcribe(pcm, [{ startSec: 1, endSec: 2 }])).rejects.toThrow(/bad audio/);
      failing.close();
    });
  });

  it('whisper-cpp runs the configured binary with the model and maps its JSON back to original times', async () => {
    const model = fx.file('ggml-test.bin');
    writeFileSync(model, 'not really a model');
    const binary = fx.file('whisper-cli');
    // A stand-in CLI: checks its arguments and writes whisper.cpp's -oj JSON.
    writeFileSync(
      binary,
      `#!/bin/sh\nset -e\nwhile [ $# -gt 0 ]; do case "$1" in -m) M="$2"; shift;; -of) OUT="$2"; shift;; -f) F="$2"; shift;; esac; shift; done\n[ "$M" = "${model}" ]\n[ -s "$F" ]\necho '{"transcription":[{"offsets":{"from":200,"to":1500},"text":" ask not"},{"offsets":{"from":1600,"to":1700},"text":"[BLANK_AUDIO]"}]}' > "$OUT.json"\n`,
    );
    chmodSync(binary, 0o755);
    const transcript = await createTranscriber({
      engine: 'whisper-cpp',
      binaryPath: binary,
      modelPath: model,
    }).transcribe(pcm, [{ startSec: 4, endSec: 6 }]);
    expect(transcript.engine).toBe('whisper-cpp');
    expect(transcript.segments).toEqual([{ startSec: 4, endSec: 5.3, text: 'ask not' }]);
  });

  it('whisper-cpp without its model falls back to pocketsphinx and says so', async () => {
    const transcriber = createTranscriber({
      engine: 'whisper-cpp',
      binaryPath: '/usr/bin/true',
      modelPath: fx.file('absent.bin'),
    });
    expect(transcriber.engine).toBe('pocketsphinx');
    const transcript = await transcriber.transcribe(pcm, speech.slice(0, 1));
    expect(transcript.notice).toMatch(/whisper-cpp unavailable.*absent\.bin/);
  });
});
