import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ModelEntry {
  id: string;
  engine: string;
  /** File name inside the models folder. */
  file: string;
  url: string;
  /** Expected digest, hex. At least one is required: nothing unverified is kept. */
  sha256?: string;
  sha1?: string;
  sizeBytes?: number;
  /** Fetched when no ids are named. */
  default?: boolean;
}

export interface ModelManifest {
  models: ModelEntry[];
}

export type FetchOutcome =
  | { id: string; file: string; status: 'present' | 'downloaded' }
  | { id: string; file: string; status: 'failed'; error: string };

/** "fetch failed" says little: add the cause (ENOTFOUND, ECONNREFUSED, ...). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause ? `${error.message} (${cause.code ?? cause.message ?? 'unknown cause'})` : error.message;
}

/** `.data/models` under the given root (the repo's .gitignore keeps .data out of git). */
export function defaultModelsDir(root: string): string {
  return path.join(root, '.data', 'models');
}

export async function readModelManifest(manifestPath: string): Promise<ModelManifest> {
  const parsed = JSON.parse(await readFile(manifestPath, 'utf8')) as ModelManifest;
  for (const model of parsed.models) {
    if (!model.sha256 && !model.sha1) throw new Error(`model ${model.id} has no sha256 or sha1 in ${manifestPath}`);
  }
  return parsed;
}

async function digestOf(file: string, algorithm: 'sha256' | 'sha1'): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function matches(file: string, model: ModelEntry): Promise<boolean> {
  const algorithm = model.sha256 ? 'sha256' : 'sha1';
  return (await digestOf(file, algorithm)) === (model.sha256 ?? model.sha1)!.toLowerCase();
}

/**
 * Downloads each model into `dir` unless a verified copy is there. A download is written to a temporary name,
 * checked against its hash, then renamed: a failed or corrupt download never leaves a file an engine would load.
 */
export async function fetchModels(
  manifest: ModelManifest,
  dir: string,
  opts: {
    ids?: string[];
    fetchImpl?: typeof fetch;
    signal?: AbortSignal;
    onProgress?: (id: string, receivedBytes: number, totalBytes?: number) => void;
  } = {},
): Promise<FetchOutcome[]> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const wanted = manifest.models.filter((m) => (opts.ids?.length ? opts.ids.includes(m.id) : m.default));
  await mkdir(dir, { recursive: true });
  const outcomes: FetchOutcome[] = [];
  for (const model of wanted) {
    const target = path.join(dir, model.file);
    const partial = `${target}.part`;
    try {
      const existing = await stat(target).catch(() => undefined);
      if (existing && (await matches(target, model))) {
        outcomes.push({ id: model.id, file: target, status: 'present' });
        continue;
      }
      const response = await fetchImpl(model.url, { ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} for ${model.url}`);
      const totalBytes = Number(response.headers.get('content-length')) || model.sizeBytes;
      let receivedBytes = 0;
      const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
      body.on('data', (part: Buffer) => {
        receivedBytes += part.length;
        opts.onProgress?.(model.id, receivedBytes, totalBytes);
      });
      await pipeline(body, createWriteStream(partial));
      if (!(await matches(partial, model))) throw new Error(`hash mismatch for ${model.id}: not kept`);
      await rename(partial, target);
      outcomes.push({ id: model.id, file: target, status: 'downloaded' });
    } catch (error) {
      await rm(partial, { force: true });
      outcomes.push({ id: model.id, file: target, status: 'failed', error: describeError(error) });
    }
  }
  return outcomes;
}
