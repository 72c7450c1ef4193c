/**
 * `earshot analyze <file> [--json]`: the whole pipeline in-process on any local file.
 * Run from a clone: `npm run earshot -- analyze recording.webm --json`.
 * This entry point is the only place that reads the environment (OPENAI_API_KEY, EARSHOT_MODELS_DIR).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeDurationSec } from '../decode/ffmpeg.decoder';
import { isAudioDecodeError } from '../decode/audio-decode.error';
import { defaultModelsDir } from '../models/model-manifest';
import {
  analyzeChunk,
  analyzeChunks,
  analyzeFile,
  combineChunkRecords,
  createAnalysisEngines,
  describeEngines,
  type AnalysisResult,
  type ChunkRecord,
  type EnginesUsed,
  type FileProgress,
} from '../pipeline/analyze';
import { TRANSCRIBER_ARGS, transcriberConfig } from './transcriber-options';

const USAGE = `usage: earshot analyze <file> [options]

  --json                      print one JSON object (otherwise a short report)
  --transcriber NAME          pocketsphinx (default, offline) | openai | whisper-cpp | none
  --openai-base-url URL       OpenAI-compatible server (default https://api.openai.com/v1)
  --openai-model NAME         default whisper-1; key from OPENAI_API_KEY
  --whisper-cpp-bin PATH      whisper.cpp CLI (default whisper-cli)
  --whisper-model PATH        ggml model (default <models>/ggml-base.en.bin)
  --models-dir DIR            default EARSHOT_MODELS_DIR or .data/models
  --speaker-model PATH        sherpa-onnx speaker-embedding model (default engine: mfcc-bic, no model)
  --watch "a,b"               extra watch phrases for this exam
  --no-spot                   no keyword spotting on the audio
  --wake-spotter NAME         speech-embedding (default, shipped model) | pocketsphinx
  --wake-threshold N          one threshold (0-1) for every wake phrase instead of the calibrated ones
  --vad-threshold N           Silero speech threshold (default 0.5)
  --progress                  progress bar even when stderr is not a terminal
  --jobs N                    split a long file over N processes (one per core); default 1
`;

const CHUNK_SEC = 30;

function drawProgress(progress: FileProgress, startedMs: number): void {
  const width = 30;
  const ratio = progress.totalSec > 0 ? Math.min(1, progress.processedSec / progress.totalSec) : 0;
  const filled = Math.round(ratio * width);
  const elapsedSec = (Date.now() - startedMs) / 1000;
  const etaSec = ratio > 0 ? elapsedSec / ratio - elapsedSec : 0;
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ` +
      `${Math.round(progress.processedSec)}/${Math.round(progress.totalSec)} s audio, ${elapsedSec.toFixed(1)} s elapsed, ~${etaSec.toFixed(0)} s left `,
  );
}

function printReport(result: AnalysisResult): void {
  const lines = [
    `duration ${result.durationSec} s, speech ${(result.voiceActivityRatio * 100).toFixed(1)} %, ${result.speechSegments.length} segments`,
    `voices ${result.speakerCount} (changes at ${result.speakerChanges.join(', ') || 'none'})`,
    `transcript: ${result.transcript || '(none)'}`,
    `phrases: ${result.phrases.map((p) => `${p.phrase} @${p.start}s`).join(', ') || 'none'}`,
    `score ${result.score}${result.flagged === undefined ? '' : result.flagged ? ' (FLAGGED)' : ''}`,
    ...result.flags.map((f) => `  ${f.type} ${f.start}-${f.end}s severity ${f.severity}: ${f.evidence}`),
    `engines: vad ${result.engines.vad}, speakers ${result.engines.speakers}, transcriber ${result.engines.transcriber}`,
    ...result.notices.map((n) => `notice: ${n}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface RangeOutput {
  records: ChunkRecord[];
  engines: EnginesUsed;
  notices: string[];
}

/** Options of this run passed on to the range children (everything but the output and split flags). */
function childOptionArgs(argv: readonly string[]): string[] {
  const dropWithValue = new Set(['--jobs', '--from', '--to']);
  const dropAlone = new Set(['--json', '--progress']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue; // positionals are set by the parent
    const [name] = arg.split('=');
    if (dropAlone.has(name!)) continue;
    if (dropWithValue.has(name!)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(arg);
    const next = argv[i + 1];
    if (!arg.includes('=') && next !== undefined && !next.startsWith('--')) out.push(argv[++i]!);
  }
  return out;
}

/**
 * Splits a long file into `jobs` time ranges on chunk boundaries, analyses each in its own process (each uses one
 * core) and combines their chunk records into one result.
 */
async function analyzeInProcesses(
  file: string,
  durationSec: number,
  jobs: number,
  argv: readonly string[],
  onProgress?: (p: FileProgress) => void,
) {
  const chunks = Math.ceil(durationSec / CHUNK_SEC);
  const perJob = Math.ceil(chunks / jobs);
  const ranges = Array.from(
    { length: jobs },
    (_, j) => [j * perJob * CHUNK_SEC, Math.min(durationSec, (j + 1) * perJob * CHUNK_SEC)] as const,
  ).filter(([from, to]) => to > from);
  const processed = ranges.map(() => 0);
  const outputs = await Promise.all(
    ranges.map(
      ([from, to], j) =>
        new Promise<RangeOutput>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              ...process.execArgv,
              __filename,
              'analyze-range',
              file,
              '--from',
              String(from),
              '--to',
              String(to),
              ...childOptionArgs(argv),
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
          child.stderr.setEncoding('utf8').on('data', (text: string) => {
            for (const line of text.split('\n')) {
              const match = /^progress ([\d.]+)$/.exec(line);
              if (!match) {
                if (line.trim()) stderr = (stderr + line + '\n').slice(-2000);
                continue;
              }
              processed[j] = Number(match[1]);
              onProgress?.({
                processedSec: processed.reduce((a, b) => a + b, 0),
                totalSec: durationSec,
                chunkIndex: 0,
              });
            }
          });
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0
              ? resolve(JSON.parse(stdout) as RangeOutput)
              : reject(new Error(`range ${from}-${to} s failed (${code}): ${stderr.trim()}`)),
          );
        }),
    ),
  );
  return combineChunkRecords(
    outputs.flatMap((o) => o.records),
    { engines: outputs[0]!.engines, notices: [...new Set(outputs.flatMap((o) => o.notices))] },
  );
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      ...TRANSCRIBER_ARGS,
      'models-dir': { type: 'string' },
      watch: { type: 'string' },
      'speaker-model': { type: 'string' },
      'no-spot': { type: 'boolean' },
      'wake-spotter': { type: 'string' },
      'wake-threshold': { type: 'string' },
      'vad-threshold': { type: 'string' },
      progress: { type: 'boolean' },
      jobs: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file] = positionals;
  if (values.help || (command !== 'analyze' && command !== 'analyze-range') || !file) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (!existsSync(file)) {
    process.stderr.write(`earshot: no such file: ${file}\n`);
    return 2;
  }
  if (values['wake-spotter'] && !['speech-embedding', 'pocketsphinx'].includes(values['wake-spotter'])) {
    process.stderr.write(`earshot: --wake-spotter takes speech-embedding or pocketsphinx\n`);
    return 2;
  }
  const wakeThreshold = values['wake-threshold'] === undefined ? undefined : Number(values['wake-threshold']);
  if (wakeThreshold !== undefined && !(wakeThreshold > 0 && wakeThreshold < 1)) {
    process.stderr.write(`earshot: --wake-threshold takes a number between 0 and 1\n`);
    return 2;
  }
  const modelsDir = values['models-dir'] ?? process.env.EARSHOT_MODELS_DIR ?? defaultModelsDir(process.cwd());
  const engines = await createAnalysisEngines({
    transcriber: transcriberConfig(values, modelsDir, process.env.OPENAI_API_KEY),
    ...(values['speaker-model'] ? { speakers: { engine: 'sherpa-onnx', modelPath: values['speaker-model'] } } : {}),
    ...(values['wake-spotter'] === 'pocketsphinx' || values['no-spot']
      ? { wakeSpotter: false as const }
      : wakeThreshold !== undefined
        ? { wakeSpotter: { threshold: wakeThreshold } }
        : {}),
  });
  try {
    const options = {
      watchPhrases: values.watch
        ? values.watch
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
        : [],
      spotInAudio: !values['no-spot'],
      ...(values['vad-threshold'] ? { vad: { threshold: Number(values['vad-threshold']) } } : {}),
    };
    const durationSec = await probeDurationSec(file);
    if (command === 'analyze-range') {
      // Child of --jobs: analyse one time range and hand the chunk records back as JSON.
      const records = await analyzeChunks(file, engines, {
        ...options,
        durationSec,
        chunkSec: CHUNK_SEC,
        startSec: Number(values.from ?? 0),
        endSec: Number(values.to ?? durationSec),
        onProgress: (p: FileProgress) => process.stderr.write(`progress ${p.processedSec}\n`),
      });
      process.stdout.write(
        `${JSON.stringify({ records, engines: describeEngines(engines, options), notices: engines.notices })}\n`,
      );
      return 0;
    }
    let result: AnalysisResult;
    const jobs = Math.max(1, Math.floor(Number(values.jobs ?? 1)));
    if (durationSec <= CHUNK_SEC + 1) {
      result = await analyzeChunk(file, engines, options);
    } else {
      const startedMs = Date.now();
      const showProgress = values.progress || process.stderr.isTTY;
      const onProgress = showProgress ? (p: FileProgress) => drawProgress(p, startedMs) : undefined;
      const { session: _session, ...fileResult } =
        jobs > 1 && durationSec > jobs * CHUNK_SEC
          ? await analyzeInProcesses(file, durationSec, jobs, argv, onProgress)
          : await analyzeFile(file, engines, {
              ...options,
              durationSec,
              chunkSec: CHUNK_SEC,
              ...(onProgress ? { onProgress } : {}),
            });
      if (showProgress) process.stderr.write('\n');
      result = fileResult;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else printReport(result);
    return 0;
  } catch (error) {
    if (isAudioDecodeError(error)) {
      process.stderr.write(`earshot: cannot decode ${file}: ${error.message}\n`);
      return 3;
    }
    throw error;
  } finally {
    await engines.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`earshot: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
