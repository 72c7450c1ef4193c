import type { ExamRecorderOptions } from '@earshot/recorder';

export const TOKEN_STORAGE_KEY = 'earshot.token';

/**
 * Recorder options the page takes from its URL, for trying things out and for the browser tests:
 * `?chunk_sec=5&backoff_ms=200&raw_audio=1&handover=immediate&exam=exam-42`.
 */
export function readPageSettings(search: string): {
  testSessionId: string;
  options: Omit<ExamRecorderOptions, 'getToken'>;
} {
  const params = new URLSearchParams(search);
  const number = (name: string) => {
    const value = Number(params.get(name));
    return params.has(name) && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const raw = params.get('raw_audio') === '1';
  const backoffMs = number('backoff_ms');
  return {
    testSessionId: params.get('exam') ?? 'demo-exam',
    options: {
      chunkDurationSec: number('chunk_sec'),
      ...(params.get('handover') === 'immediate' ? { chunkHandover: 'immediate' as const } : {}),
      ...(backoffMs ? { backoff: { baseDelayMs: backoffMs, maxDelayMs: backoffMs * 16 } } : {}),
      // The raw signal (no echo cancellation, noise suppression or gain control): what the tests compare.
      ...(raw ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : {}),
    },
  };
}

/** The token: one pasted earlier (localStorage), else the development token `npm run up` writes to config.json. */
export async function findToken(): Promise<string | undefined> {
  const stored = localStorage.getItem(TOKEN_STORAGE_KEY);
  if (stored) return stored;
  const response = await fetch('config.json', { cache: 'no-store' }).catch(() => undefined);
  if (!response?.ok) return undefined;
  const config = (await response.json().catch(() => ({}))) as { token?: unknown };
  return typeof config.token === 'string' && config.token ? config.token : undefined;
}
