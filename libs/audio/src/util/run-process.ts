import { spawn } from 'node:child_process';

export class ProcessError extends Error {
  override readonly name = 'ProcessError';
  constructor(
    message: string,
    readonly code: 'MISSING' | 'FAILED' | 'ABORTED' | 'TIMEOUT',
    readonly stderr = '',
  ) {
    super(message);
  }
}

const STDERR_KEEP_CHARS = 4_000;

/** Runs a command to completion and returns its stdout; rejects with ProcessError. */
export function runProcess(
  command: string,
  args: readonly string[],
  opts: { signal?: AbortSignal; timeoutMs?: number; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new ProcessError(`${command} aborted`, 'ABORTED'));
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEEP_CHARS)));
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', kill, { once: true });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(new ProcessError(`${command}: ${error.message}`, error.code === 'ENOENT' ? 'MISSING' : 'FAILED'));
    });
    child.once('close', (code) => {
      cleanup();
      if (opts.signal?.aborted) return reject(new ProcessError(`${command} aborted`, 'ABORTED', stderr));
      if (timedOut)
        return reject(new ProcessError(`${command} timed out after ${opts.timeoutMs} ms`, 'TIMEOUT', stderr));
      if (code !== 0)
        return reject(
          new ProcessError(
            `${command} exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`,
            'FAILED',
            stderr,
          ),
        );
      resolve(stdout);
    });
  });
}
