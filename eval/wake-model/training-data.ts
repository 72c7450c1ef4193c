/**
 * Training clips for the wake-phrase heads, made with TTS on this machine: each wake phrase inside carrier
 * sentences, near misses and other speech, in the *training* voices only, with speed, noise, typing, room and
 * telephone variations. None of the eval's sentences (eval/generate-cases.ts) and none of its held-out voices
 * are used, so the eval's held-out figures stay honest.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { durationOf, keyClick, noise, silence, trimmedSpeech } from '../../libs/audio/test/audio-fixtures';
import { sox, synthesize } from '../generate-cases';

export const WAKE_CLASSES = ['hey siri', 'ok google', 'hey google', 'alexa', 'hey cortana'] as const;

/** How each phrase is written for the synthesisers (they read text). */
const PHRASE_TEXT: Record<(typeof WAKE_CLASSES)[number], string[]> = {
  'hey siri': ['Hey Siri'],
  'ok google': ['Okay Google', 'OK Google'],
  'hey google': ['Hey Google'],
  alexa: ['Alexa'],
  'hey cortana': ['Hey Cortana'],
};

/** Carrier sentences: the phrase at the start, in the middle, at the end or alone. `{P}` is the phrase. */
const CARRIERS = [
  '{P}',
  '{P}, what is the answer to question three?',
  '{P}, how do I solve this equation?',
  '{P}. Set a timer for ten minutes.',
  'Quick, {P}, what year did the war start?',
  'Um, {P}, translate this into French.',
  'Right, {P}, what is the speed of light?',
  'Listen {P}, who painted the Mona Lisa?',
  'Just tell me {P}, what comes next?',
  'I need the answer now {P}.',
  'What is the population of Canada, {P}?',
  'Search the web for momentum, {P}.',
  'Now {P}, spell the word rhythm.',
  'Can you hear me {P}?',
];

/** Near misses (sound or read like a phrase) and ordinary speech: no window of these is a phrase. */
const NEGATIVES = [
  'I met Alexis and Alexander at the station.',
  'Alexandra finished her essay early.',
  'A lexicon lists the words of a language.',
  'He lives in Alaska with his family.',
  'Electric cars are much quieter.',
  'Alex said the answer was ten.',
  'Hey, series and sequences are in chapter four.',
  'That was a serious mistake in the proof.',
  'Hey Sarah, pass me a pencil.',
  'Hey, sorry about the noise.',
  'The city is very busy in the morning.',
  'My old Cortina is an old Ford car.',
  'Close the curtain please, the sun is bright.',
  'Montana is a very large state.',
  'Okay, go on with part two.',
  'Okay, good, that is the next question.',
  'I searched on Google for the recipe yesterday.',
  'Google Maps shows the fastest route.',
  'Hey, good morning everyone.',
  'Hey Gordon, how are you today?',
  'OK cool, let us start the test.',
  'Hey, see you later at the bus stop.',
  'Syria and Iraq are neighbouring countries.',
  'A bowl of cereal was on the table.',
  'My phone has Siri but it is switched off.',
  'Cortana was an assistant made by Microsoft.',
  'The girl called Alexa was not in class.',
  'Google is a large technology company.',
  'Hey, I am nearly finished with this page.',
  'Oh, I see, so the answer is forty two.',
  'I would like some coffee with milk.',
  'The integral of one over x is the natural log.',
  'Mitochondria are the powerhouse of the cell.',
  'Please be quiet, I am trying to concentrate.',
  'The French revolution began in seventeen eighty nine.',
  'Water boils at one hundred degrees.',
  'Nine times seven is sixty three.',
  'I think I have made an error in the second part.',
  'What time does the exam end today?',
  'The capital of Australia is Canberra.',
  'Shakespeare wrote many plays and sonnets.',
  'Could you open the window a little?',
  'Let me read the question again slowly.',
  'Is this pen working or is it out of ink?',
  'Hello, can anyone hear me?',
  'Go ahead and turn the page.',
  'Hey there, long time no see.',
  'The lecture was about galaxies and stars.',
  'Hey, is this the right room for the exam?',
  'Hey Kira, did you bring a spare calculator?',
  'Sirius is the brightest star in the night sky.',
  'The theory of evolution was proposed by Darwin.',
  'I am very sorry, I did not hear the question.',
  'She lives near the city centre with her sister.',
  'Okay, go over the last section one more time.',
  'Our goal is to finish early and go home.',
  'The Gobi is a large desert in Asia.',
  'Hey, good luck to all of you.',
  'Alex and Sasha are in the other group.',
  'I need to select a different answer.',
  'A lesson about electricity and magnets.',
  'Kate said the answer was obviously correct.',
  'Hey, quit it, I am trying to think.',
  'He is a serious and careful student.',
  'A ten minute break before the next part.',
  'Cordon off the area near the entrance.',
  'Hey Tom, can you lend me a ruler?',
  'The series finale was on television last night.',
  'This is a good example of a geometric series.',
  'Okay, so the total comes to forty dollars.',
  'Here we go, question number nine.',
  'Say hi to your cousin for me.',
  'Actually I think the second option is right.',
  'Anyway, let me check my answers again.',
  'Google Docs can save your work automatically.',
  'I left my phone in the locker, it is switched off.',
];

/** Training voices: none of the eval's held-out voices (flite slt, festival slt/ked, espeak en-us, en+f3, en-gb+m3). */
export const TRAINING_VOICES = [
  'flite:awb',
  'flite:rms',
  'flite:kal16',
  'flite:kal',
  'festival:kal_diphone',
  'en-gb+m1',
  'en-gb-scotland+m2',
  'en-gb-x-gbclan+m4',
  'en-gb-x-rp+m5',
  'en-gb-x-gbcwmd+m6',
  'en-029+m7',
  'en-us-nyc+m1',
  'en-gb+f1',
  'en-gb-scotland+f2',
  'en-gb-x-rp+f4',
  'en-029+f5',
  'en-us-nyc+f1',
  'en-gb-x-gbclan+klatt',
  'en-gb+Andy',
  'en-gb-x-rp+Annie',
  'en-us-nyc+klatt2',
];

/**
 * `train:wake --accented`: natural voices of other languages (festival voices packaged in Debian), all of them
 * women's, where the training voices above hold no natural woman's voice. Each says the phrases as a speaker of
 * her language would, respelled in its spelling; the carriers and negatives stay English text, which these voices
 * read with their own letter-to-sound rules (foreign-sounding speech: a negative like any other). None of them is
 * an eval voice.
 */
const ACCENTED_PHRASE_TEXT: Record<string, Record<(typeof WAKE_CLASSES)[number], string[]>> = {
  'festival:lp_diphone': {
    'hey siri': ['Ei Siri'],
    'ok google': ['Okei Gugol'],
    'hey google': ['Ei Gugol'],
    alexa: ['Alexa'],
    'hey cortana': ['Ei Cortana'],
  },
  'festival:suo_fi_lj_diphone': {
    'hey siri': ['Hei Siri'],
    'ok google': ['Okei Guugel'],
    'hey google': ['Hei Guugel'],
    alexa: ['Aleksa'],
    'hey cortana': ['Hei Kortana'],
  },
  'festival:upc_ca_ona_hts': {
    'hey siri': ['Ei Siri'],
    'ok google': ['Okei Gugol'],
    'hey google': ['Ei Gugol'],
    alexa: ['Alexa'],
    'hey cortana': ['Ei Cortana'],
  },
  'festival:czech_dita': {
    'hey siri': ['Hej Siri'],
    'ok google': ['Oukej Gugl'],
    'hey google': ['Hej Gugl'],
    alexa: ['Aleksa'],
    'hey cortana': ['Hej Kortana'],
  },
};
export const ACCENTED_VOICES = Object.keys(ACCENTED_PHRASE_TEXT);
/** Debian packages of the accented voices. */
export const ACCENTED_VOICE_PACKAGES = [
  { packageName: 'festvox-italp16k', dir: '/usr/share/festival/voices/italian/lp_diphone' },
  { packageName: 'festvox-suopuhe-lj', dir: '/usr/share/festival/voices/finnish/suo_fi_lj_diphone' },
  { packageName: 'festvox-ca-ona-hts', dir: '/usr/share/festival/voices/catalan/upc_ca_ona_hts' },
  { packageName: 'festvox-czech-dita', dir: '/usr/share/festival/voices/czech/czech_dita' },
];

/**
 * `train:wake --pico`: SVOX Pico's two English voices (pico2wave), both women's, from recordings of real speakers
 * like flite's and festival's, by another synthesiser. Neither is an eval voice. Debian ships Pico in non-free
 * (libttspico-utils: its voice data comes without the means to rebuild it); only training clips are made with it.
 */
export const PICO_VOICES = ['pico:en-US', 'pico:en-GB'];
export const PICO_VOICE_PACKAGES = [{ packageName: 'libttspico-utils', dir: '/usr/share/pico/lang' }];

/**
 * `train:wake --mbrola`: MBROLA diphone voices of other languages' speakers reading English through espeak-ng's
 * English front end (its `mb-<voice>-en` voices: English phonemes mapped onto the voice's own diphones, so English
 * with the speaker's accent). Fourteen real speakers, four of them women, from a synthesiser none of the other
 * training voices uses. de1-en and sw2-en are left out: their diphone sets lack sounds of the phrases ("Siri"), which
 * MBROLA replaces with silence. MBROLA's English voices (us1, us2, us3, en1) are eval voices, never training ones.
 * Debian contrib `mbrola` and non-free `mbrola-<voice>`.
 */
export const MBROLA_VOICES = [
  'mbrola:de3-en',
  'mbrola:de5-en',
  'mbrola:fr4-en',
  'mbrola:pl1-en',
  'mbrola:de2-en',
  'mbrola:de4-en',
  'mbrola:de6-en',
  'mbrola:fr1-en',
  'mbrola:gr2-en',
  'mbrola:hu1-en',
  'mbrola:nl2-en',
  'mbrola:ro1-en',
  'mbrola:sw1-en',
  'mbrola:af1-en',
];

const phraseTextsOf = (voice: string, phrase: (typeof WAKE_CLASSES)[number]): string[] =>
  ACCENTED_PHRASE_TEXT[voice]?.[phrase] ?? PHRASE_TEXT[phrase];

/**
 * synthesize(), except that festival's other-language front ends fail on some English text and exit 0 with an
 * empty file (Italian on a question mark): then once more with `?` and `!` as full stops, and false when that
 * fails too (the caller skips the sentence). The English voices never take the second path.
 */
function trySynthesize(raw: string, text: string, voice: string, rate: number): boolean {
  const made = (): boolean => existsSync(raw) && statSync(raw).size > 1024;
  synthesize(raw, text, voice, rate);
  if (made()) return true;
  synthesize(raw, text.replace(/[?!]/g, '.'), voice, rate);
  return made();
}

export interface TrainingClip {
  file: string;
  /** Class index into WAKE_CLASSES, or -1 for no phrase. */
  phraseClass: number;
  /** Phrase times in the clip (seconds), for clips with a phrase. */
  startSec?: number;
  endSec?: number;
  voice: string;
  variant: string;
}

class SynthesisFailed extends Error {}

/** A deterministic pseudo-random sequence (mulberry32), so the data repeats. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A silent WAV of `sec` (two decimals) in `dir`, made once and reused. */
export function cachedSilence(dir: string, sec: number): string {
  const file = path.join(dir, `gap-${sec.toFixed(2)}.wav`);
  if (!existsSync(file)) silence(file, Number(sec.toFixed(2)));
  return file;
}

/**
 * A voice variant: sox effects that change the speaker (speed moves pitch and formants together, pitch moves the
 * pitch alone, speed with the inverse tempo moves the formants without changing the length), and how much they
 * stretch time. The natural voices are few people, so each becomes several.
 */
interface VoiceVariant {
  name: string;
  effects: string[];
  timeScale: number;
}

const NATURAL_VOICE_VARIANTS: VoiceVariant[] = [
  { name: 'base', effects: [], timeScale: 1 },
  { name: 'speed0.92', effects: ['speed', '0.92'], timeScale: 1 / 0.92 },
  { name: 'speed1.08', effects: ['speed', '1.08'], timeScale: 1 / 1.08 },
  { name: 'formant-up', effects: ['speed', '1.12', 'tempo', '0.893', 'pitch', '200'], timeScale: 1 },
  { name: 'formant-down', effects: ['speed', '0.9', 'tempo', '1.111'], timeScale: 1 },
  { name: 'pitch-up', effects: ['pitch', '450', 'tempo', '0.92'], timeScale: 1 / 0.92 },
  { name: 'pitch-down', effects: ['pitch', '-300', 'tempo', '1.1'], timeScale: 1 / 1.1 },
];
/** The MBROLA voices are many people already: three variants each (fewer clips, the same spread of formants). */
const MBROLA_VARIANTS = NATURAL_VOICE_VARIANTS.filter((v) => ['base', 'formant-up', 'formant-down'].includes(v.name));
const ESPEAK_VARIANTS: VoiceVariant[] = [
  { name: 'speed0.95', effects: ['speed', '0.95'], timeScale: 1 / 0.95 },
  { name: 'speed1.05', effects: ['speed', '1.05'], timeScale: 1 / 1.05 },
];

/** A clip's variation: a voice variant, then one of clean, noise, typing, room or telephone. */
interface Variation {
  name: string;
  voice: VoiceVariant;
  effect: 'clean' | 'pink' | 'white' | 'typing' | 'room' | 'phone';
  gainDb: number;
  padSec: [number, number];
  snrAmplitude: number;
}

function pickVariation(random: () => number, voice: VoiceVariant): Variation {
  const r = random();
  const effect =
    r < 0.35 ? 'clean' : r < 0.5 ? 'pink' : r < 0.58 ? 'white' : r < 0.7 ? 'typing' : r < 0.86 ? 'room' : 'phone';
  return {
    name: `${voice.name}-${effect}`,
    voice,
    effect,
    gainDb: -3 - random() * 22,
    padSec: [0.3 + random() * 0.9, 0.3 + random() * 0.9],
    snrAmplitude: 0.01 + random() * 0.05,
  };
}

/** Applies a variation to a trimmed utterance; returns the clip and how far its speech was shifted. */
function vary(input: string, out: string, v: Variation, work: string, random: () => number): { offsetSec: number } {
  const effects: string[] = [];
  if (v.voice.effects.length) effects.push(...v.voice.effects, 'rate', '16000');
  if (v.effect === 'room')
    effects.push('reverb', String(Math.round(20 + random() * 60)), '50', String(Math.round(30 + random() * 70)));
  if (v.effect === 'phone') effects.push('sinc', '300-3400');
  effects.push('pad', v.padSec[0].toFixed(3), v.padSec[1].toFixed(3), 'norm', v.gainDb.toFixed(1));
  const shaped = `${out}.shaped.wav`;
  sox([input, '-r', '16000', '-c', '1', '-b', '16', shaped, ...effects]);
  if (v.effect === 'pink' || v.effect === 'white' || v.effect === 'typing') {
    const length = durationOf(shaped);
    const background = `${out}.bg.wav`;
    if (v.effect === 'typing') {
      const click = path.join(work, 'click.wav');
      if (!existsSync(click)) keyClick(click, 0.3);
      const pieces: string[] = [];
      let total = 0;
      while (total < length) {
        const gap = 0.06 + random() * 0.35;
        pieces.push(click, cachedSilence(work, gap));
        total += 0.012 + Number(gap.toFixed(2));
      }
      sox([...pieces, background, 'trim', '0', String(length)]);
    } else {
      noise(background, length, v.effect, Number(v.snrAmplitude.toFixed(3)));
    }
    sox(['-m', shaped, background, out]);
  } else {
    sox([shaped, out]);
  }
  return { offsetSec: v.padSec[0] };
}

interface Utterance {
  file: string;
  phraseClass: number;
  /** Phrase times in the trimmed utterance. */
  startSec?: number;
  endSec?: number;
}

/**
 * One voice's utterances. A phrase's times inside a sentence come from the lengths of the trimmed prefix and
 * prefix + phrase, each synthesised alone (about ±0.1 s; the labels leave margins for that).
 */
function utterancesOf(voice: string, dir: string, random: () => number): Utterance[] {
  const rate = 140 + Math.round(random() * 40);
  let counter = 0;
  const utterances: Utterance[] = [];
  const speech = (text: string): string => {
    const raw = path.join(dir, `${counter}.raw.wav`);
    const out = path.join(dir, `${counter++}.wav`);
    if (!trySynthesize(raw, text, voice, rate)) throw new SynthesisFailed(`${voice} could not say "${text}"`);
    return trimmedSpeech(raw, out);
  };
  /** An utterance the voice cannot say is left out (only festival's other-language voices have any). */
  const tryPush = (make: () => Utterance): void => {
    try {
      utterances.push(make());
    } catch (error) {
      if (!(error instanceof SynthesisFailed)) throw error;
      process.stderr.write(`  skipped: ${error.message}\n`);
    }
  };
  for (const [phraseClass, phrase] of WAKE_CLASSES.entries()) {
    for (const [i, carrier] of CARRIERS.entries()) {
      const texts = phraseTextsOf(voice, phrase);
      const text = texts[i % texts.length]!;
      const at = carrier.indexOf('{P}');
      const prefix = carrier.slice(0, at).replace(/[,\s]+$/, '');
      const throughPhrase = carrier.slice(0, at) + text;
      const full = carrier.replace('{P}', text);
      tryPush(() => {
        const startSec = prefix ? durationOf(speech(prefix)) : 0;
        const endSec = durationOf(speech(throughPhrase));
        return {
          file: full === throughPhrase ? path.join(dir, `${counter - 1}.wav`) : speech(full),
          phraseClass,
          startSec,
          endSec,
        };
      });
    }
  }
  for (const text of NEGATIVES) tryPush(() => ({ file: speech(text), phraseClass: -1 }));
  return utterances;
}

/** The clips an earlier run left in `dir/clips.json`, or those `make` writes into `dir` (then recorded there). */
export function cachedClips<T = TrainingClip>(dir: string, make: () => T[]): T[] {
  const manifest = path.join(dir, 'clips.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as T[];
  mkdirSync(dir, { recursive: true });
  const clips = make();
  writeFileSync(manifest, JSON.stringify(clips));
  return clips;
}

const voiceDirOf = (dir: string, voice: string): string => path.join(dir, voice.replace(/[:+]/g, '_'));
const variantsOf = (voice: string): VoiceVariant[] =>
  voice.startsWith('mbrola:') ? MBROLA_VARIANTS : voice.includes(':') ? NATURAL_VOICE_VARIANTS : ESPEAK_VARIANTS;

/** Makes (or reuses) the clips of the given voices in `dir`; writes `dir/<voice>/clips.json` per voice. */
export function generateTrainingClips(dir: string, voices: readonly string[] = TRAINING_VOICES): TrainingClip[] {
  const clips: TrainingClip[] = [];
  for (const [v, voice] of voices.entries()) {
    const voiceDir = voiceDirOf(dir, voice);
    clips.push(...cachedClips(voiceDir, () => voiceClipsOf(voice, voiceDir, seededRandom(1000 + v))));
  }
  return clips;
}

function voiceClipsOf(voice: string, voiceDir: string, random: () => number): TrainingClip[] {
  const utterances = utterancesOf(voice, voiceDir, random);
  const voiceClips: TrainingClip[] = [];
  for (const variant of variantsOf(voice)) {
    for (const [u, utterance] of utterances.entries()) {
      const variation = pickVariation(random, variant);
      const out = path.join(voiceDir, `clip-${variant.name}-${u}.wav`);
      const { offsetSec } = vary(utterance.file, out, variation, voiceDir, random);
      voiceClips.push({
        file: out,
        phraseClass: utterance.phraseClass,
        ...(utterance.phraseClass >= 0
          ? {
              startSec: offsetSec + utterance.startSec! * variant.timeScale,
              endSec: offsetSec + utterance.endSec! * variant.timeScale,
            }
          : {}),
        voice,
        variant: variation.name,
      });
    }
  }
  process.stderr.write(`  ${voice}: ${voiceClips.length} clips\n`);
  return voiceClips;
}

const FORTUNES_DIR = '/usr/share/games/fortunes';
const FORTUNE_FILES = [
  'education',
  'literature',
  'people',
  'science',
  'wisdom',
  'work',
  'humorists',
  'miscellaneous',
  'platitudes',
  'computers',
];
const PHRASE_WORDS = /\b(siri|google|alexa|cortana)\b/i;

/**
 * Ordinary English sentences for more negative speech: the Debian `fortunes` collection (quotations), split into
 * sentences of 5-18 plain words. Deterministic order; `apt-get install fortunes` provides them.
 */
export function fortuneSentences(): string[] {
  if (!existsSync(FORTUNES_DIR))
    throw new Error('negative sentences come from Debian fortunes: apt-get install -y fortunes');
  const sentences = new Set<string>();
  for (const name of FORTUNE_FILES) {
    const file = path.join(FORTUNES_DIR, name);
    if (!existsSync(file)) continue;
    for (const entry of readFileSync(file, 'utf8').split(/^%$/m)) {
      const text = entry.replace(/\s+/g, ' ').replace(/--.*$/, '').trim();
      for (const sentence of text.split(/(?<=[.!?])\s+/)) {
        const words = sentence.split(' ');
        if (words.length < 5 || words.length > 18) continue;
        if (!/^[A-Za-z][A-Za-z ,.'!?;-]*$/.test(sentence) || PHRASE_WORDS.test(sentence)) continue;
        sentences.add(sentence);
      }
    }
  }
  return [...sentences];
}

/** More negative clips: `perVoice` fortune sentences in each voice (a different subset each), one variant each. */
export function generateExtraNegatives(
  dir: string,
  voices: readonly string[] = TRAINING_VOICES,
  perVoice = 60,
): TrainingClip[] {
  const sentences = fortuneSentences();
  const clips: TrainingClip[] = [];
  for (const voice of voices) {
    const voiceDir = path.join(voiceDirOf(dir, voice), 'extra');
    clips.push(
      ...cachedClips(voiceDir, () => {
        const random = seededRandom(
          5000 + [...TRAINING_VOICES, ...ACCENTED_VOICES, ...PICO_VOICES, ...MBROLA_VOICES].indexOf(voice),
        );
        const variants = variantsOf(voice);
        const rate = 140 + Math.round(random() * 40);
        const voiceClips: TrainingClip[] = [];
        for (let k = 0; k < perVoice; k++) {
          const text = sentences[Math.floor(random() * sentences.length)]!;
          const raw = path.join(voiceDir, `${k}.raw.wav`);
          if (!trySynthesize(raw, text, voice, rate)) continue;
          const speech = trimmedSpeech(raw, path.join(voiceDir, `${k}.wav`));
          const variant = variants[k % variants.length]!;
          const variation = pickVariation(random, variant);
          const out = path.join(voiceDir, `clip-${variant.name}-${k}.wav`);
          vary(speech, out, variation, voiceDir, random);
          voiceClips.push({ file: out, phraseClass: -1, voice, variant: variation.name });
        }
        process.stderr.write(`  ${voice}: ${voiceClips.length} extra negative clips\n`);
        return voiceClips;
      }),
    );
  }
  return clips;
}

/** One wake phrase said alone by a training voice (a voice variant picked by `k`), trimmed, 16 kHz. */
export function synthesizePhrase(
  base: string,
  phrase: (typeof WAKE_CLASSES)[number],
  voice: string,
  k: number,
): string {
  const texts = phraseTextsOf(voice, phrase);
  return synthesizeText(base, texts[k % texts.length]!, voice, k);
}

/** Any text said by a training voice, in the voice variant `k` picks, trimmed, 16 kHz. */
export function synthesizeText(base: string, text: string, voice: string, k: number): string {
  const raw = `${base}.raw.wav`;
  synthesize(raw, text, voice, 150 + (k % 5) * 8);
  const variants = variantsOf(voice);
  const variant = variants[k % variants.length]!;
  return trimmedSpeech(raw, `${base}.wav`, variant.effects.length ? [...variant.effects, 'rate', '16000'] : []);
}
