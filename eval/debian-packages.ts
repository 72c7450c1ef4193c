import { execFileSync } from 'node:child_process';

/**
 * Installs Debian packages the eval or the training needs when run as root (infra/local/ensure-services.sh does
 * the same for the platform); otherwise stops with the apt-get command to run.
 */
export function ensureDebianPackages(missing: readonly string[], who: string): void {
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: ${missing.join(' ')}. Run: sudo ${command}`);
  process.stderr.write(`${who}: installing ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', command.split(' ').slice(1), { stdio: 'inherit', env });
}

export const hasCommand = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
