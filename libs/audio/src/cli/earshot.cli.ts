/**
 * `earshot analyze <file> [--json]`: the whole pipeline in-process on any local file.
 * Run from a clone: `npm run earshot -- analyze recording.webm --json`.
 * This entry point is the only place that reads the environment (OPENAI_API_KEY, EARSHOT_MODELS_DIR).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probeDurationSec } from '../decode/ffmpeg.decoder';
import { isAudioDecodeError } from '../decode/audio-decode.error';
import { defaultModelsDir } from '../models/model-manifest';
import {
  analyzeChunk,
  analyzeFile,
  createAnalysisEngines,
  type AnalysisResult,
  type FileProgress,
} from '../pipeline/analyze';
import type { TranscriberConfig } from '../transcribe/transcriber';

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
  --vad-threshold N           Silero speech threshold (default 0.5)
  --progress                  progress bar even when stderr is not a terminal
`;

const CHUNK_SEC = 30;

function transcriberConfig(
  values: Record<string, string | boolean | undefined>,
  modelsDir: string,
): TranscriberConfig | false {
  const name = (values.transcriber as string | undefined) ?? 'pocketsphinx';
  switch (name) {
    case 'none':
      return false;
    case 'pocketsphinx':
      return { engine: 'pocketsphinx' };
    case 'openai':
      return {
        engine: 'openai',
        apiKey: process.env.OPENAI_API_KEY ?? 'unset',
        ...(values['openai-base-url'] ? { baseURL: values['openai-base-url'] as string } : {}),
        ...(values['openai-model'] ? { model: values['openai-model'] as string } : {}),
      };
    case 'whisper-cpp':
      return {
        engine: 'whisper-cpp',
        binaryPath: (values['whisper-cpp-bin'] as string | undefined) ?? 'whisper-cli',
        modelPath: (values['whisper-model'] as string | undefined) ?? path.join(modelsDir, 'ggml-base.en.bin'),
      };
    default:
      throw new Error(`unknown transcriber ${name}`);
  }
}

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

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      transcriber: { type: 'string' },
      'openai-base-url': { type: 'string' },
      'openai-model': { type: 'string' },
      'whisper-cpp-bin': { type: 'string' },
      'whisper-model': { type: 'string' },
      'models-dir': { type: 'string' },
      watch: { type: 'string' },
      'speaker-model': { type: 'string' },
      'no-spot': { type: 'boolean' },
      'vad-threshold': { type: 'string' },
      progress: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file] = positionals;
  if (values.help || command !== 'analyze' || !file) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (!existsSync(file)) {
    process.stderr.write(`earshot: no such file: ${file}\n`);
    return 2;
  }
  const modelsDir = values['models-dir'] ?? process.env.EARSHOT_MODELS_DIR ?? defaultModelsDir(process.cwd());
  const engines = await createAnalysisEngines({
    transcriber: transcriberConfig(values, modelsDir),
    ...(values['speaker-model'] ? { speakers: { engine: 'sherpa-onnx', modelPath: values['speaker-model'] } } : {}),
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
    let result: AnalysisResult;
    if (durationSec <= CHUNK_SEC + 1) {
      result = await analyzeChunk(file, engines, options);
    } else {
      const startedMs = Date.now();
      const showProgress = values.progress || process.stderr.isTTY;
      const { session: _session, ...fileResult } = await analyzeFile(file, engines, {
        ...options,
        durationSec,
        chunkSec: CHUNK_SEC,
        ...(showProgress ? { onProgress: (p: FileProgress) => drawProgress(p, startedMs) } : {}),
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
