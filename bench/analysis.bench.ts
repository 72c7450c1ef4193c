/**
 * `npm run bench:analysis`: milliseconds per 30 s chunk for each analysis stage on one core (pinned with taskset),
 * and wall time and peak RSS for one hour of audio (without transcription) in one process and split over two.
 * Chunks are encoded like the exam page's recorder (48 kHz Opus, 60 ms packets, 64 kbit/s).
 * Writes bench/results/analysis.json and .md. Options: --data DIR (evaldata), --skip-hour, --runs N.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import {
  analyzeFile,
  analyzeSpeakersMfccBic,
  buildPhraseList,
  createAnalysisEngines,
  createPocketsphinxTranscriber,
  createSileroVad,
  decodeToPcm,
  scoreChunk,
  spotPhrasesInAudio,
  createWakePhraseSpotter,
  ENGINE_KINDS,
  loadEngines,
  summarizeLevels,
  type EngineKind,
} from '@earshot/audio';

const REPO_ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(__dirname, 'analysis.bench.ts');
const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');

const { values } = parseArgs({
  options: {
    part: { type: 'string' },
    data: { type: 'string' },
    'skip-hour': { type: 'boolean' },
    runs: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    file: { type: 'string' },
    kinds: { type: 'string' },
  },
});
const dataDir = path.resolve(values.data ?? process.env.EARSHOT_EVALDATA ?? path.join(REPO_ROOT, '../shared/evaldata'));
const workDir = path.join(tmpdir(), 'earshot-bench');
mkdirSync(workDir, { recursive: true });

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return Math.round(median(times) * 10) / 10;
}

/**
 * What the exam page uploads: Chromium's MediaRecorder encodes Opus at 48 kHz in 60 ms packets
 * (audio_track_opus_encoder.cc), at the recorder's default 64 kbit/s (libs/recorder).
 */
const RECORDER_OPUS = ['-ar', '48000', '-c:a', 'libopus', '-b:a', '64k', '-frame_duration', '60'];
/** The 16 kHz, 32 kbit/s webm earlier benchmarks used: Opus codes it as SILK wideband, which decodes faster. */
const WIDEBAND_OPUS = ['-c:a', 'libopus', '-b:a', '32k'];

function toWebm(source: string, webm: string, codec = RECORDER_OPUS): string {
  if (!existsSync(webm)) execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', source, ...codec, webm]);
  return webm;
}

/**
 * Two 30 s chunks as webm/opus like the browser uploads. The worst case: two people talking nearly all the time
 * (pyannote sample, 75 % speech). The common exam case: a quiet room (pink noise at about -50 dBFS) in which the
 * candidate reads for 6 s (LibriSpeech reader from 10 s).
 */
function chunkFiles(): { conversation: string; conversationWideband: string; exam: string; wav: string } {
  const source = path.join(dataDir, 'clips/pyannote_sample_2spk.wav');
  const reader = path.join(dataDir, 'clips/librispeech_quilter.wav');
  if (!existsSync(source) || !existsSync(reader)) throw new Error(`no evaldata at ${dataDir} (use --data)`);
  const examWav = path.join(workDir, 'exam-30s.wav');
  if (!existsSync(examWav)) {
    const room = path.join(workDir, 'room-30s.wav');
    const delayed = path.join(workDir, 'reader-at-10s.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', room, 'synth', '30', 'pinknoise', 'vol', '0.01']);
    execFileSync('sox', [reader, delayed, 'pad', '10', '0']);
    execFileSync('sox', ['-m', room, delayed, examWav, 'trim', '0', '30']);
  }
  return {
    conversation: toWebm(source, path.join(workDir, 'chunk-30s-48k.webm')),
    conversationWideband: toWebm(source, path.join(workDir, 'chunk-30s.webm'), WIDEBAND_OPUS),
    exam: toWebm(examWav, path.join(workDir, 'exam-30s-48k.webm')),
    wav: source,
  };
}

function decodeWithFluentFfmpeg(file: string): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = ffmpeg(file)
      .noVideo()
      .audioChannels(1)
      .audioFrequency(16000)
      .format('f32le')
      .on('error', reject)
      .pipe();
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => {
      const bytes = Buffer.concat(parts);
      resolve(new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4)));
    });
  });
}

/** decode + VAD + levels + speakers + score of one chunk, each stage timed on its own. */
async function benchCoreStages(
  file: string,
  vad: Awaited<ReturnType<typeof createSileroVad>>,
  runs: number,
): Promise<Record<string, number>> {
  const pcm = await decodeToPcm(file);
  const { segments } = await vad.detect(pcm);
  const levels = summarizeLevels(pcm, segments);
  const speakers = analyzeSpeakersMfccBic(pcm, segments);
  const stages = {
    decodeMs: await timeMs(runs, () => decodeToPcm(file)),
    vadMs: await timeMs(runs, () => vad.detect(pcm)),
    levelsMs: await timeMs(runs, async () => summarizeLevels(pcm, segments)),
    speakersMs: await timeMs(runs, async () => analyzeSpeakersMfccBic(pcm, segments)),
    scoreMs: await timeMs(runs, async () =>
      scoreChunk({ durationSec: 30, speechSegments: segments, levels, speakers }),
    ),
  };
  const totalMs = Math.round(Object.values(stages).reduce((sum, ms) => sum + ms, 0) * 10) / 10;
  const speechSec = segments.reduce((sum, s) => sum + s.endSec - s.startSec, 0);
  return { ...stages, totalMs, speechSec: Math.round(speechSec * 10) / 10 };
}

async function benchStages(runs: number): Promise<Record<string, number>> {
  const { conversation, conversationWideband, exam, wav } = chunkFiles();
  const pcm = await decodeToPcm(conversation);
  const examPcm = await decodeToPcm(exam);
  const vadDefault = await createSileroVad();
  const vadEveryFrame = await createSileroVad({ skipQuiet: false });
  const vad1 = await createSileroVad({ lanes: 1, skipQuiet: false });
  const { segments } = await vadDefault.detect(pcm);
  const phrases = buildPhraseList();
  const pocketsphinx = createPocketsphinxTranscriber();
  const wakeSpotter = await createWakePhraseSpotter();
  const examSegments = (await vadDefault.detect(examPcm)).segments;
  const examStages = await benchCoreStages(exam, vadDefault, runs);
  const conversationStages = await benchCoreStages(conversation, vadDefault, runs);
  const prefixed = (prefix: string, stages: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(stages).map(([name, ms]) => [`${prefix}.${name}`, ms]));
  const result: Record<string, number> = {
    ...prefixed('examChunk', examStages),
    ...prefixed('conversationChunk', conversationStages),
    'examChunk.vadEveryFrameMs': await timeMs(runs, () => vadEveryFrame.detect(examPcm)),
    'conversationChunk.vadSequentialMs': await timeMs(runs, () => vad1.detect(pcm)),
    'decode.fluentFfmpegWebmMs': await timeMs(runs, () => decodeWithFluentFfmpeg(conversation)),
    'decode.widebandWebmMs': await timeMs(runs, () => decodeToPcm(conversationWideband)),
    'decode.wavMs': await timeMs(runs, () => decodeToPcm(wav)),
    'transcribe.keywordSpottingMs': await timeMs(Math.min(runs, 3), () => spotPhrasesInAudio(pcm, segments, phrases)),
    'transcribe.pocketsphinxMs': await timeMs(1, () => pocketsphinx.transcribe(pcm, segments)),
    'transcribe.wakeSpotterConversationMs': await timeMs(runs, () => wakeSpotter.spot(pcm, segments, phrases)),
    'transcribe.wakeSpotterExamMs': await timeMs(runs, () => wakeSpotter.spot(examPcm, examSegments, phrases)),
  };
  await Promise.all([vadDefault.close(), vadEveryFrame.close(), vad1.close(), wakeSpotter.close()]);
  return result;
}

/** One hour of webm/opus made by looping the evaluation clips (speech, silence, noise, several speakers). */
function hourFile(): string {
  const file = path.join(workDir, 'hour.webm');
  if (existsSync(file)) return file;
  const clips = [
    'jfk_inaugural',
    'pyannote_sample_2spk',
    'ami_dev00_2spk',
    'koala_noise_only',
    'ami_tst01_sparse',
    'librispeech_quilter',
    'falcon_3spk',
    'ami_trn02_nearly_silent',
  ];
  const list = path.join(workDir, 'hour-list.txt');
  writeFileSync(list, clips.map((c) => `file '${path.join(dataDir, 'clips', `${c}.wav`)}'`).join('\n'));
  const partial = `${file}.part.webm`;
  execFileSync('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-stream_loop',
    '-1',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-t',
    '3600',
    '-ac',
    '1',
    '-c:a',
    'libopus',
    '-b:a',
    '32k',
    partial,
  ]);
  renameSync(partial, file); // an interrupted run never leaves a short "hour" behind
  return file;
}

/**
 * CPU seconds of this process and its finished children (ffmpeg), from /proc: unlike wall time it does not
 * change when other work shares the cores.
 */
function cpuSecondsWithChildren(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0); // utime stime cutime cstime
    return Math.round((ticks / 100) * 10) / 10;
  } catch {
    return undefined;
  }
}

/** Child part: analyse a time range of a file and print wall time and peak RSS. */
async function analyzeRange(file: string, fromSec: number, toSec: number): Promise<void> {
  const started = performance.now();
  const engines = await createAnalysisEngines({ transcriber: false });
  const result = await analyzeFile(file, engines, {
    spotInAudio: false,
    durationSec: 3600,
    startSec: fromSec,
    endSec: toSec,
  });
  await engines.close();
  process.stdout.write(
    `${JSON.stringify({ wallMs: Math.round(performance.now() - started), cpuSec: cpuSecondsWithChildren(), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), chunks: result.chunks, speechRatio: result.voiceActivityRatio })}\n`,
  );
}

interface RangeResult {
  wallMs: number;
  cpuSec?: number;
  maxRssMb: number;
  chunks: number;
  speechRatio: number;
}

/** Runs a `--part` of this script in a child (pinned to one CPU if asked) and parses the last line it prints. */
function runChild<T = RangeResult>(args: string[], pinCpu?: number, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const command = pinCpu === undefined ? TSX : 'taskset';
    const fullArgs = pinCpu === undefined ? [SCRIPT, ...args] : ['-c', String(pinCpu), TSX, SCRIPT, ...args];
    const child = spawn(command, fullArgs, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench child exited ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
  });
}

async function benchHour(): Promise<Record<string, unknown>> {
  const file = hourFile();
  const loadBefore = loadavg()[0]; // other work on the same 2 cores inflates wall times: it is reported
  const hasTaskset = existsSync('/usr/bin/taskset');
  const single = await runChild(['--part', 'range', '--file', file, '--from', '0', '--to', '3600']);
  const started = performance.now();
  const halves = await Promise.all([
    runChild(['--part', 'range', '--file', file, '--from', '0', '--to', '1800'], hasTaskset ? 0 : undefined),
    runChild(['--part', 'range', '--file', file, '--from', '1800', '--to', '3600'], hasTaskset ? 1 : undefined),
  ]);
  const twoProcessWallMs = Math.round(performance.now() - started);
  // The same through the command line a user runs.
  const cliStarted = performance.now();
  execFileSync(
    TSX,
    [
      path.join(REPO_ROOT, 'libs/audio/src/cli/earshot.cli.ts'),
      'analyze',
      file,
      '--json',
      '--transcriber',
      'none',
      '--no-spot',
      '--jobs',
      '2',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const cliJobs2WallMs = Math.round(performance.now() - cliStarted);
  return {
    audioSec: 3600,
    oneProcess: single,
    twoProcesses: {
      wallMs: twoProcessWallMs,
      maxRssMbEach: halves.map((h) => h.maxRssMb),
      cpuSec: Math.round(halves.reduce((sum, h) => sum + (h.cpuSec ?? 0), 0) * 10) / 10,
      chunks: halves.map((h) => h.chunks),
    },
    cliJobs2WallMs,
    loadAverageBefore: loadBefore,
  };
}

/** The engine sets a worker process can hold, by the analyzer jobs that use them. */
const ENGINE_SETS: Record<string, { kinds: EngineKind[]; label: string }> = {
  none: { kinds: [], label: 'none (chunk.score, session.summary)' },
  vad: { kinds: ['vad'], label: 'vad (chunk.vad)' },
  speakers: { kinds: ['speakers'], label: 'speakers (chunk.speakers)' },
  'transcriber+wakeSpotter': {
    kinds: ['transcriber', 'wakeSpotter'],
    label: 'transcriber + wake spotter (chunk.transcribe)',
  },
  all: { kinds: [...ENGINE_KINDS], label: 'all (every job in one process, the default)' },
};

/** Child part: load the engines of `kinds` (comma-separated, may be empty); print the load time and the RSS. */
async function engineMemory(kinds: EngineKind[]): Promise<void> {
  const started = performance.now();
  const engines = await loadEngines(kinds);
  const loadMs = Math.round(performance.now() - started);
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  await engines.close();
  process.stdout.write(`${JSON.stringify({ rssMb, loadMs })}\n`);
}

/**
 * Resident memory of a worker process after loading the engines its stages use: what a chunk.score or
 * session.summary process saves by not loading any (the analyzer loads per ANALYZER_STAGES).
 */
async function benchEngineMemory(): Promise<Record<string, { rssMb: number; loadMs: number }>> {
  const results: Record<string, { rssMb: number; loadMs: number }> = {};
  for (const [name, { kinds }] of Object.entries(ENGINE_SETS))
    results[name] = await runChild(['--part', 'engines', '--kinds', kinds.join(',')]);
  return results;
}

async function main(): Promise<void> {
  if (values.part === 'engines') return engineMemory((values.kinds ?? '').split(',').filter(Boolean) as EngineKind[]);
  if (values.part === 'range') return analyzeRange(values.file!, Number(values.from), Number(values.to));
  const runs = Number(values.runs ?? 7);
  if (values.part === 'decode') {
    const file = chunkFiles().conversation;
    process.stdout.write(`${JSON.stringify({ decodeMs: await timeMs(runs, () => decodeToPcm(file)) })}\n`);
    return;
  }
  if (values.part === 'stages') {
    process.stdout.write(`${JSON.stringify(await benchStages(runs))}\n`);
    return;
  }
  // Stages on one core: re-run this script pinned to CPU 0 (ffmpeg children inherit the pinning).
  const pin = existsSync('/usr/bin/taskset') ? 0 : undefined;
  const partArgs = (part: string) => ['--part', part, '--runs', String(runs), '--data', dataDir];
  const stages = await runChild<Record<string, number>>(partArgs('stages'), pin);
  // The same decode with @evan/opus's WebAssembly build, which runs where its native addon does not load.
  stages['decode.webmWasmFallbackMs'] = (
    await runChild<{ decodeMs: number }>(partArgs('decode'), pin, { ...process.env, OPUS_FORCE_WASM: '1' })
  ).decodeMs;
  const engineLoad = await benchEngineMemory();
  const hour = values['skip-hour'] ? undefined : await benchHour();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    pinnedToOneCore: pin !== undefined,
  };
  const out = path.join(REPO_ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'analysis.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, stagesPer30sChunkMs: stages, engineLoad, hour }, null, 2)}\n`,
  );
  const coreNames = ['decodeMs', 'vadMs', 'levelsMs', 'speakersMs', 'scoreMs', 'totalMs', 'speechSec'];
  const rows = [
    '| stage, one core | exam chunk (quiet room, 6 s read aloud) | conversation chunk (two voices, 75 % speech) |',
    '| --- | --- | --- |',
    ...coreNames.map(
      (name) =>
        `| ${name === 'totalMs' ? '**decode + VAD + levels + speakers + score**' : name} | ${stages[`examChunk.${name}`]} | ${stages[`conversationChunk.${name}`]} |`,
    ),
    '',
    '| other measurements (ms per 30 s chunk, one core) | ms |',
    '| --- | --- |',
    ...Object.entries(stages)
      .filter(([name]) => !coreNames.some((core) => name.endsWith(`Chunk.${core}`)))
      .map(([name, ms]) => `| ${name} | ${ms} |`),
  ];
  const hourRows: string[] = [];
  if (hour) {
    const one = hour.oneProcess as RangeResult;
    const two = hour.twoProcesses as { wallMs: number; cpuSec: number; maxRssMbEach: number[] };
    hourRows.push(
      '',
      `One hour of webm/opus, no transcription (1-minute load average before: ${(hour.loadAverageBefore as number).toFixed(2)})`,
      '',
      '| run | wall | CPU (node + ffmpeg) | peak RSS |',
      '| --- | --- | --- | --- |',
      `| one process | ${(one.wallMs / 1000).toFixed(1)} s | ${one.cpuSec ?? '?'} s | ${one.maxRssMb} MB |`,
      `| two processes (one per core, each half) | ${(two.wallMs / 1000).toFixed(1)} s | ${two.cpuSec} s | ${two.maxRssMbEach.join(' + ')} MB |`,
      `| \`earshot analyze hour.webm --transcriber none --no-spot --jobs 2\` | ${((hour.cliJobs2WallMs as number) / 1000).toFixed(1)} s | | |`,
    );
  }
  const md = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; stages pinned to one core: ${machine.pinnedToOneCore}`,
    '',
    ...rows,
    '',
    '| engines a worker process loads (the analyzer jobs that use them) | load time | RSS after loading |',
    '| --- | --- | --- |',
    ...Object.entries(ENGINE_SETS).map(
      ([key, { label }]) => `| ${label} | ${engineLoad[key]!.loadMs} ms | ${engineLoad[key]!.rssMb} MB |`,
    ),
    ...hourRows,
    '',
  ].join('\n');
  writeFileSync(path.join(out, 'analysis.md'), md);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
