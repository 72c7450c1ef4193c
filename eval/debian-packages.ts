import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

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
  // Evals and training shards run side by side: wait for another apt-get's lock instead of failing on it.
  const wait = ['-o', 'DPkg::Lock::Timeout=600'];
  aptGetUpdate(env);
  try {
    execFileSync('apt-get', [...wait, ...command.split(' ').slice(1)], { stdio: 'inherit', env });
  } catch (error) {
    const nonFree = missing.filter(isNonFree);
    if (nonFree.length === 0) throw error;
    throw new Error(
      `${nonFree.join(' ')} ${nonFree.length > 1 ? 'are' : 'is'} in Debian contrib or non-free: add "contrib non-free" ` +
        'to the Components line of /etc/apt/sources.list.d/debian.sources (or to sources.list), then run this again',
      { cause: error },
    );
  }
}

/**
 * `apt-get update`, waiting for another apt-get to finish: DPkg::Lock::Timeout covers dpkg's lock, not the package
 * lists' lock that update takes, so a lock failure is retried every 5 s for up to 10 minutes.
 */
function aptGetUpdate(env: NodeJS.ProcessEnv): void {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'inherit', 'pipe'], env });
      return;
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
      if (!/Could not get lock|Unable to lock/.test(stderr) || attempt >= 120) {
        process.stderr.write(stderr);
        throw error;
      }
      execFileSync('sleep', ['5']);
    }
  }
}

/** Packages of Debian's contrib and non-free components, which a default install does not list. */
const isNonFree = (packageName: string): boolean =>
  packageName === 'libttspico-utils' || packageName === 'mbrola' || packageName.startsWith('mbrola-');

/** The Debian packages of MBROLA voices (`mbrola:<voice>` TTS voices) not yet installed. */
export function missingMbrolaPackages(voices: readonly string[]): string[] {
  // mbrola:de2-en is the de2 voice reading English (espeak-ng's mb-de2-en)
  const names = voices.filter((v) => v.startsWith('mbrola:')).map((v) => v.slice('mbrola:'.length).replace(/-en$/, ''));
  return [
    ...(names.length && !hasCommand('mbrola') ? ['mbrola'] : []),
    ...names.filter((n) => !existsSync(path.join('/usr/share/mbrola', n))).map((n) => `mbrola-${n}`),
  ];
}

export const hasCommand = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Debian packages the eval runs (pocketsphinx, TTS voices, sox, ffmpeg), by a command each provides. */
const EVAL_TOOLS: Array<{ command: string; packages: string[] }> = [
  { command: 'ffmpeg', packages: ['ffmpeg'] },
  { command: 'sox', packages: ['sox'] },
  { command: 'espeak-ng', packages: ['espeak-ng'] },
  { command: 'pocketsphinx_continuous', packages: ['pocketsphinx', 'pocketsphinx-en-us'] },
  { command: 'flite', packages: ['flite'] },
  { command: 'text2wave', packages: ['festival'] },
];
/** festival voices the phrase cases use (festival/voices/<lang>/<voice>). */
const FESTIVAL_VOICES: Array<{ dir: string; packageName: string }> = [
  { dir: 'us/cmu_us_slt_arctic_hts', packageName: 'festvox-us-slt-hts' },
  { dir: 'english/kal_diphone', packageName: 'festvox-kallpc16k' },
  { dir: 'english/ked_diphone', packageName: 'festvox-kdlpc16k' },
];

/** Installs missing Debian packages when root, else stops with the command. */
export function ensureEvalTools(who = 'eval'): void {
  ensureDebianPackages(
    [
      ...EVAL_TOOLS.filter((t) => !hasCommand(t.command)).flatMap((t) => t.packages),
      ...FESTIVAL_VOICES.filter((v) => !existsSync(path.join('/usr/share/festival/voices', v.dir))).map(
        (v) => v.packageName,
      ),
    ],
    who,
  );
}

/**
 * Installs the MBROLA voices of an eval's extra held-out set (Debian contrib and non-free) when it can; false, with
 * the reason on stderr, when it cannot (not root, or the components not enabled): the eval then leaves the set out
 * and says so.
 */
export function ensureMbrolaVoices(voices: readonly string[], who: string): boolean {
  try {
    ensureDebianPackages(missingMbrolaPackages(voices), who);
    return true;
  } catch (error) {
    process.stderr.write(
      `${who}: the MBROLA set is left out: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return false;
  }
}
