/**
 * Real recorded speech for the wake heads' training, from Debian packages (people, not synthesisers):
 * - asterisk-core-sounds-en-g722 (English prompts, 16 kHz), -es-wav, -fr-wav, -it-wav (8 kHz telephone prompts),
 * - hedgewars-data (acted game voices, several speakers and styles),
 * - ktuberling-data (single words read in about 30 languages).
 * None of it holds a wake phrase. It becomes negative clips (prompts joined into a few seconds of speech) and the
 * context around synthetic phrases (real speech, a phrase, real speech), so the heads learn the phrase and not
 * "synthetic voice". None of shared/evaldata is used: the eval's real clips stay held out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { durationOf, noise, trimmedSpeech } from '../../libs/audio/test/audio-fixtures';
import { sox } from '../generate-cases';
import {
  cachedClips,
  cachedSilence,
  seededRandom,
  synthesizePhrase,
  synthesizeText,
  TRAINING_VOICES,
  WAKE_CLASSES,
  type TrainingClip,
} from './training-data';

/** Each package with a folder it installs. */
export const REAL_SPEECH_PACKAGES = [
  { packageName: 'asterisk-core-sounds-en-g722', dir: '/usr/share/asterisk/sounds/en_US_f_Allison' },
  { packageName: 'asterisk-core-sounds-es-wav', dir: '/usr/share/asterisk/sounds/es_MX_f_Allison' },
  { packageName: 'asterisk-core-sounds-fr-wav', dir: '/usr/share/asterisk/sounds/fr_CA_f_June' },
  { packageName: 'asterisk-core-sounds-it-wav', dir: '/usr/share/asterisk/sounds/it_IT_m_Carlo' },
  { packageName: 'hedgewars-data', dir: '/usr/share/games/hedgewars/Data/Sounds/voices' },
  { packageName: 'ktuberling-data', dir: '/usr/share/ktuberling/sounds' },
];

interface SpeakerGroup {
  name: string;
  files: string[];
}

function listFiles(dir: string, extension: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(extension))
    .map((f) => path.join(dir, f))
    .sort();
}

/** Recordings grouped by speaker (or voice pack, or language). */
export function realSpeechGroups(): SpeakerGroup[] {
  const groups: SpeakerGroup[] = [
    { name: 'asterisk-en', files: listFiles('/usr/share/asterisk/sounds/en_US_f_Allison', '.g722') },
    { name: 'asterisk-es', files: listFiles('/usr/share/asterisk/sounds/es_MX_f_Allison', '.wav') },
    { name: 'asterisk-fr', files: listFiles('/usr/share/asterisk/sounds/fr_CA_f_June', '.wav') },
    { name: 'asterisk-it', files: listFiles('/usr/share/asterisk/sounds/it_IT_m_Carlo', '.wav') },
  ];
  const hedgewars = '/usr/share/games/hedgewars/Data/Sounds/voices';
  if (existsSync(hedgewars))
    for (const voice of readdirSync(hedgewars).sort())
      groups.push({ name: `hedgewars-${voice}`, files: listFiles(path.join(hedgewars, voice), '.ogg') });
  const ktuberling = '/usr/share/ktuberling/sounds';
  if (existsSync(ktuberling))
    for (const language of readdirSync(ktuberling).sort())
      groups.push({ name: `ktuberling-${language}`, files: listFiles(path.join(ktuberling, language), '.ogg') });
  const found = groups.filter((g) => g.files.length > 0);
  if (found.length < 4)
    throw new Error(
      `real speech for training comes from Debian packages: apt-get install -y ${REAL_SPEECH_PACKAGES.map((p) => p.packageName).join(' ')}`,
    );
  return found;
}

function toWav(input: string, out: string): string {
  const format = input.endsWith('.g722') ? ['-f', 'g722'] : [];
  execFileSync('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-y',
    ...format,
    '-i',
    input,
    '-ac',
    '1',
    '-ar',
    '16000',
    `${out}.raw.wav`,
  ]);
  return trimmedSpeech(`${out}.raw.wav`, out, ['norm', '-3']);
}

/** Background and level of a finished clip: clean, pink noise, a room or a telephone band. Returns the lead-in. */
function finish(input: string, out: string, random: () => number): number {
  const r = random();
  const gain = ['norm', (-3 - random() * 20).toFixed(1)];
  const leadSec = Number((0.3 + random() * 0.7).toFixed(2));
  const pad = ['pad', leadSec.toFixed(2), (0.3 + random() * 0.7).toFixed(2)];
  if (r < 0.5) sox([input, out, ...pad, ...gain]);
  else if (r < 0.7) sox([input, out, 'reverb', String(Math.round(20 + random() * 60)), ...pad, ...gain]);
  else if (r < 0.85) sox([input, out, 'sinc', '300-3400', ...pad, ...gain]);
  else {
    const shaped = `${out}.shaped.wav`;
    sox([input, shaped, ...pad, ...gain]);
    const background = noise(
      `${out}.noise.wav`,
      durationOf(shaped),
      'pink',
      Number((0.005 + random() * 0.03).toFixed(3)),
    );
    sox(['-m', shaped, background, out]);
  }
  return leadSec;
}

/**
 * Negative clips of joined real recordings (2-5 s of speech each) and positive clips of a synthetic phrase between
 * real recordings, with exact phrase times. `clips.json` in `dir` caches the result.
 */
export function generateRealSpeechClips(dir: string, negativesPerGroup = 12, positives = 700): TrainingClip[] {
  return cachedClips(dir, () => realSpeechClipsOf(dir, negativesPerGroup, positives));
}

function realSpeechClipsOf(dir: string, negativesPerGroup: number, positives: number): TrainingClip[] {
  const random = seededRandom(99);
  const groups = realSpeechGroups();
  const speechOf = (group: SpeakerGroup, targetSec: number): string[] => realPieces(dir, group, targetSec, random);
  const clips: TrainingClip[] = [];
  for (const group of groups) {
    for (let k = 0; k < negativesPerGroup; k++) {
      const joined = path.join(dir, `neg-${group.name}-${k}.joined.wav`);
      sox([...speechOf(group, 2 + random() * 3), joined]);
      const out = path.join(dir, `neg-${group.name}-${k}.wav`);
      finish(joined, out, random);
      clips.push({ file: out, phraseClass: -1, voice: `real:${group.name}`, variant: 'real' });
    }
  }
  const phraseVoices = TRAINING_VOICES;
  for (let k = 0; k < positives; k++) {
    const phraseClass = k % WAKE_CLASSES.length;
    const voice = phraseVoices[Math.floor(random() * phraseVoices.length)]!;
    const phrase = synthesizePhrase(path.join(dir, `phrase-${k}`), WAKE_CLASSES[phraseClass]!, voice, k);
    const group = groups[Math.floor(random() * groups.length)]!;
    const before = random() < 0.8 ? speechOf(group, 0.8 + random() * 2) : [];
    const after = random() < 0.8 ? speechOf(group, 0.8 + random() * 2) : [];
    const gapBefore = before.length ? [cachedSilence(dir, 0.05 + random() * 0.3)] : [];
    const gapAfter = after.length ? [cachedSilence(dir, 0.05 + random() * 0.3)] : [];
    const pieces = [...before, ...gapBefore, phrase, ...gapAfter, ...after];
    const startSec = [...before, ...gapBefore].reduce((sum, f) => sum + durationOf(f), 0);
    const endSec = startSec + durationOf(phrase);
    const joined = path.join(dir, `pos-${k}.joined.wav`);
    sox([...pieces, joined]);
    const out = path.join(dir, `pos-${k}.wav`);
    const leadSec = finish(joined, out, random);
    clips.push({
      file: out,
      phraseClass,
      startSec: startSec + leadSec,
      endSec: endSec + leadSec,
      voice: `mixed:${voice}`,
      variant: `real-context:${group.name}`,
    });
  }
  return clips;
}

/** Words and fragments that sound like a wake phrase and are not one (near misses beyond the eval's). */
export const NEAR_MISS_FRAGMENTS = [
  'Hey, series',
  'Hey, sorry',
  'Hey Sarah',
  'Hey, city',
  'Hey Sid',
  'hey serious',
  'Hey Cyril',
  'Hey Sierra',
  'hey, see here',
  'hey cereal',
  'Syria',
  'a serious',
  'Hey Kiri',
  'hey Suri',
  'Alexander',
  'Alexandra',
  'Alexis',
  'a lexicon',
  'Alaska',
  'electric',
  'Alex said',
  'Alessia',
  'Alexei',
  'a Lexus',
  'Okay, go',
  'Okay, good',
  'Okay Goodall',
  'Okay, go ahead',
  'on Google',
  'Google it',
  'Hey Gogol',
  'Hey, good',
  'Hey Doug',
  'okay, cool',
  'Hey Gordon',
  'hey, google is',
  'Hey Cortez',
  'the Cortina',
  'hey, carton',
  'Montana',
  'Hey Tana',
  'curtain',
  'hey Corinna',
  'Cortana',
];

/**
 * Hard negatives: a near-miss fragment, said by a training voice, between real recordings (or alone). `hard/` in
 * `dir` caches them.
 */
export function generateNearMissClips(dir: string, count = 900): TrainingClip[] {
  return cachedClips(dir, () => nearMissClipsOf(dir, count));
}

function nearMissClipsOf(dir: string, count: number): TrainingClip[] {
  const random = seededRandom(77);
  const groups = realSpeechGroups();
  const clips: TrainingClip[] = [];
  for (let k = 0; k < count; k++) {
    const fragment = NEAR_MISS_FRAGMENTS[k % NEAR_MISS_FRAGMENTS.length]!;
    const voice = TRAINING_VOICES[Math.floor(random() * TRAINING_VOICES.length)]!;
    const spoken = synthesizeText(path.join(dir, `frag-${k}`), fragment, voice, k);
    const group = groups[Math.floor(random() * groups.length)]!;
    const pieces =
      random() < 0.6
        ? [
            ...realPieces(dir, group, 0.8 + random() * 1.5, random),
            cachedSilence(dir, 0.05 + random() * 0.3),
            spoken,
            cachedSilence(dir, 0.05 + random() * 0.3),
            ...realPieces(dir, group, 0.8 + random() * 1.5, random),
          ]
        : [spoken];
    const joined = path.join(dir, `hard-${k}.joined.wav`);
    sox([...pieces, joined]);
    const out = path.join(dir, `hard-${k}.wav`);
    finish(joined, out, random);
    clips.push({ file: out, phraseClass: -1, voice: `mixed:${voice}`, variant: `near-miss:${fragment}` });
  }
  return clips;
}

const convertedRecordings = new Map<string, string>();
/** Recordings of one group adding up to about `targetSec` (converted once into `dir`). */
function realPieces(dir: string, group: SpeakerGroup, targetSec: number, random: () => number): string[] {
  const pieces: string[] = [];
  let total = 0;
  while (total < targetSec) {
    const source = group.files[Math.floor(random() * group.files.length)]!;
    let file = convertedRecordings.get(source);
    if (!file) {
      file = toWav(source, path.join(dir, `rec-${convertedRecordings.size}.wav`));
      convertedRecordings.set(source, file);
    }
    const length = durationOf(file);
    if (length > 6) continue;
    if (pieces.length) pieces.push(cachedSilence(dir, 0.1 + random() * 0.4));
    pieces.push(file);
    total += length;
  }
  return pieces;
}
