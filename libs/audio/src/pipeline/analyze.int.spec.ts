import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { concat, createFixtureDir, silence, speak, type FixtureDir } from '../../test/audio-fixtures';
import type { Transcriber } from '../transcribe/transcriber.types';
import { analyzeChunk, analyzeFile, createAnalysisEngines, type AnalysisEngines, type FileProgress } from './analyze';
import { runScoreStage, runSpeakersStage, runVadStage } from './stages';
import { decodeToPcm } from '../decode/ffmpeg.decoder';

const JFK = path.join(__dirname, '../../test/fixtures/jfk.webm');
const LINES = [
  'The first question asks about the causes of the industrial revolution in Britain.',
  'I think the answer to number four is the second option, the one about steam power.',
  'Write down the formula for the area of a circle and then show your working.',
];

/** A transcriber that "hears" a fixed text over the first speech segment (stands in for Whisper). */
function scriptedTranscriber(text: string): Transcriber {
  return {
    engine: 'openai',
    async transcribe(_pcm, speech) {
      const first = speech[0]!;
      return { engine: 'openai', text, segments: [{ startSec: first.startSec, endSec: first.endSec, text }] };
    },
    async close() {},
  };
}

describe('analysis pipeline', () => {
  let fx: FixtureDir;
  let engines: AnalysisEngines;
  beforeAll(async () => {
    fx = createFixtureDir();
    engines = await createAnalysisEngines({ transcriber: false });
  });
  afterAll(async () => {
    await engines.close();
    fx.remove();
  });

  it('analyses a two-voice chunk with a wake phrase into flags, score and engine names', async () => {
    const parts = LINES.flatMap((line, i) => [
      speak(fx.file(`l${i}.wav`), line, { voice: i === 1 ? 'en+f4' : 'en-us' }),
      silence(fx.file(`g${i}.wav`), 0.7),
    ]);
    const file = concat(fx.file('chunk.wav'), parts);
    const withTranscript = {
      ...engines,
      transcriber: scriptedTranscriber('Alexa, what is the answer to number four?'),
    };
    const result = await analyzeChunk(file, withTranscript, { spotInAudio: false });
    expect(result.speakerCount).toBe(2);
    expect(result.speakerChanges.length).toBeGreaterThanOrEqual(1);
    expect(result.phrases).toEqual([
      expect.objectContaining({ phrase: 'alexa', kind: 'wake', sources: ['transcript'] }),
    ]);
    const types = result.flags.map((f) => f.type);
    expect(types).toEqual(expect.arrayContaining(['more_than_one_voice', 'wake_phrase']));
    expect(result.score).toBeGreaterThan(0.9);
    expect(result.engines).toEqual({
      vad: 'silero-v5',
      speakers: 'mfcc-bic',
      transcriber: 'openai',
      phraseSpotting: ['transcript'],
    });
    expect(result.transcript).toMatch(/Alexa/);
  });

  it('runs each stage alone from the JSON of the stage before', async () => {
    const pcm = await decodeToPcm(JFK);
    const vad = JSON.parse(JSON.stringify(await runVadStage(pcm, engines.vad))) as Awaited<
      ReturnType<typeof runVadStage>
    >;
    const speakers = JSON.parse(JSON.stringify(await runSpeakersStage(pcm, vad, engines.speakers))) as Awaited<
      ReturnType<typeof runSpeakersStage>
    >;
    const score = runScoreStage(vad, speakers, { phrases: [] });
    expect(vad.speechSegments.length).toBeGreaterThan(2);
    expect(speakers.speakerCount).toBe(1);
    expect(score.flags.map((f) => f.type)).not.toContain('more_than_one_voice');
  });

  it('analyses a long file chunk by chunk with progress and one timeline', async () => {
    const pieces = [
      silence(fx.file('lead.wav'), 25),
      speak(fx.file('a.wav'), LINES[0]!),
      silence(fx.file('mid.wav'), 30),
      speak(fx.file('b.wav'), LINES[1]!),
      silence(fx.file('tail.wav'), 5),
    ];
    const file = concat(fx.file('long.wav'), pieces);
    const progress: FileProgress[] = [];
    const result = await analyzeFile(file, engines, { spotInAudio: false, onProgress: (p) => progress.push(p) });
    expect(result.chunks).toBe(Math.ceil(result.durationSec / 30));
    expect(progress.map((p) => p.chunkIndex)).toEqual(Array.from({ length: result.chunks! }, (_, i) => i + 1));
    expect(progress[progress.length - 1]!.processedSec).toBeCloseTo(result.durationSec, 0);
    // speech crossing the 30 s boundary is one segment again; the second utterance sits after the long silence
    expect(result.speechSegments[0]![0]).toBeGreaterThan(24);
    expect(result.speechSegments[0]![0]).toBeLessThan(30);
    expect(result.speechSegments[result.speechSegments.length - 1]![0]).toBeGreaterThan(55);
    expect(typeof result.session.flagged).toBe('boolean');
  });

  it('spots wake phrases with the speech-embedding spotter and names the engines that ran', async () => {
    const raw = fx.file('wake.raw.wav');
    execFileSync('flite', [
      '-voice',
      'slt',
      '-t',
      'Tell me quickly, Alexa, what is the square root of two?',
      '-o',
      raw,
    ]);
    const file = fx.file('wake.wav');
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', file, 'pad', '1', '1']);
    const result = await analyzeChunk(file, engines);
    expect(result.phrases).toEqual([expect.objectContaining({ phrase: 'alexa', sources: ['speech-embedding'] })]);
    expect(result.flags.find((f) => f.type === 'wake_phrase')?.severity).toBeCloseTo(0.9, 5);
    // no watch phrases: pocketsphinx keyword spotting has nothing left to look for
    expect(result.engines.phraseSpotting).toEqual(['speech-embedding']);
    const withWatch = await analyzeChunk(file, engines, { watchPhrases: ['square root'] });
    expect(withWatch.engines.phraseSpotting).toEqual(['speech-embedding', 'pocketsphinx-kws']);
  });

  it('the CLI prints the documented JSON fields', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', path.join(__dirname, '../cli/earshot.cli.ts'), 'analyze', JFK, '--json', '--transcriber', 'none'],
      { cwd: path.join(__dirname, '../../../..') },
    );
    const json = JSON.parse(stdout) as Record<string, unknown>;
    for (const field of [
      'durationSec',
      'speechSegments',
      'voiceActivityRatio',
      'speakerCount',
      'speakerChanges',
      'transcript',
      'phrases',
      'flags',
      'score',
      'engines',
    ]) {
      expect(json).toHaveProperty(field);
    }
    expect(json.durationSec).toBeCloseTo(11, 0);
    expect(json.speakerCount).toBe(1);
  });

  it('the CLI streams a long file in chunks with a progress bar and a session verdict', async () => {
    const long = concat(fx.file('cli-long.wav'), [
      silence(fx.file('c1.wav'), 40),
      speak(fx.file('c2.wav'), LINES[2]!),
      silence(fx.file('c3.wav'), 30),
    ]);
    // The CLI as a user runs it, on the long file, without transcription or keyword spotting.
    const analyzeLong = (...extra: string[]) =>
      promisify(execFile)(
        'npx',
        [
          'tsx',
          path.join(__dirname, '../cli/earshot.cli.ts'),
          'analyze',
          long,
          '--json',
          '--transcriber',
          'none',
          '--no-spot',
          ...extra,
        ],
        { cwd: path.join(__dirname, '../../../..') },
      );
    const { stdout, stderr } = await analyzeLong('--progress');
    expect(stderr).toMatch(/\[#+\] 100%/);
    const json = JSON.parse(stdout) as { chunks: number; flagged: boolean; speechSegments: Array<[number, number]> };
    expect(json.chunks).toBe(3);
    expect(typeof json.flagged).toBe('boolean');
    expect(json.speechSegments[0]![0]).toBeGreaterThan(39);

    // --jobs 2: two processes, each a time range, combined into the same result
    const split = await analyzeLong('--jobs', '2');
    const splitJson = JSON.parse(split.stdout) as typeof json;
    expect(splitJson.chunks).toBe(3);
    expect(splitJson.speechSegments).toEqual(json.speechSegments);
  });
});
