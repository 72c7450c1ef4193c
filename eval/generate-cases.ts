/**
 * Generated evaluation cases with exact ground truth: espeak-ng voices (trimmed of their own silence so speech
 * times are known), sox noise, synthetic music and typing, mixed with sox.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { concat, durationOf, keyClick, noise, silence, trimmedSpeech } from '../libs/audio/test/audio-fixtures';

export interface GeneratedCase {
  id: string;
  file: string;
  durationSec: number;
  group: 'noise_only' | 'speakers' | 'phrase_positive' | 'phrase_near_miss' | 'flags';
  numSpeakers: number;
  speechIntervals: Array<[number, number]>;
  transcript: string;
  /** Wake phrases spoken (canonical). */
  phrases: string[];
  /** Level/voicing flags the case must raise (low_level_speech, loud_non_speech, silent_microphone). */
  expectedFlags?: string[];
  /** TTS voice of a phrase case, and whether phrase settings were chosen on it (`tune`) or not (`heldout`). */
  voice?: TtsVoice;
  voiceSplit?: 'tune' | 'heldout';
}

const RATE = '16000';

/**
 * A TTS voice: `flite:<voice>` (flite -lv: kal16, awb, rms, slt), `festival:<voice>` (text2wave: kal_diphone,
 * ked_diphone, cmu_us_slt_arctic_hts), `pico:<language>` (SVOX Pico's pico2wave, Debian non-free
 * libttspico-utils: en-US and en-GB, both women), `mbrola:<voice>` (an MBROLA diphone voice driven by espeak-ng's
 * front end, `espeak-ng -v mb-<voice>`: us1, us2, us3, en1, de1, ...; Debian contrib mbrola and non-free
 * mbrola-<voice>) or a plain espeak-ng voice (en-us, en+f3, ...). espeak's formant synthesis is far from natural
 * speech; flite, festival, pico and mbrola are concatenative/statistical voices of real speakers.
 */
export type TtsVoice = string;

/** The TTS family of a voice, as reported in the eval. */
export function voiceFamily(voice: TtsVoice): 'espeak' | 'flite' | 'festival' | 'pico' | 'mbrola' {
  const engine = voice.includes(':') ? voice.split(':')[0] : 'espeak';
  return engine === 'flite' || engine === 'festival' || engine === 'pico' || engine === 'mbrola' ? engine : 'espeak';
}

/** Speaks `text` into `out` with a TTS voice (see `TtsVoice`); espeak-ng voices at `speedWpm`. */
export function synthesize(out: string, text: string, voice: TtsVoice, speedWpm: number): void {
  const [engine, name] = voice.includes(':') ? (voice.split(':') as [string, string]) : ['espeak', voice];
  if (engine === 'flite') execFileSync('flite', ['-voice', name, '-t', text, '-o', out]);
  else if (engine === 'pico')
    // pico2wave reads its own markup; speed level 100 is its default rate (about 160 words a minute).
    execFileSync('pico2wave', [
      '-l',
      name,
      '-w',
      out,
      `<speed level="${Math.round((speedWpm / 160) * 100)}">${text}</speed>`,
    ]);
  else if (engine === 'festival')
    execFileSync('text2wave', ['-eval', `(voice_${name})`, '-o', out], {
      input: text,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  else
    execFileSync('espeak-ng', [
      '-v',
      engine === 'mbrola' ? `mb-${name}` : name,
      '-s',
      String(speedWpm),
      '-w',
      out,
      text,
    ]);
}

/**
 * Points every case at a copy of its audio as the exam page's recorder sends it: webm/opus at `bitrate` b/s, 48 kHz
 * mono (ffmpeg's libopus), written once into `dir` and reused.
 */
export function asRecorderSends(cases: Array<{ file: string }>, dir: string, bitrate: string): void {
  mkdirSync(dir, { recursive: true });
  cases.forEach((c, i) => {
    const out = path.join(dir, `${i}-${path.basename(c.file)}.webm`);
    if (!existsSync(out))
      execFileSync('ffmpeg', [
        '-nostdin',
        '-v',
        'error',
        '-y',
        '-i',
        c.file,
        '-ar',
        '48000',
        '-ac',
        '1',
        '-c:a',
        'libopus',
        '-b:a',
        bitrate,
        out,
      ]);
    c.file = out;
  });
}

/** sox with `-R`: the same noise and dither on every run, so the eval is repeatable. */
export function sox(args: string[]): void {
  execFileSync('sox', ['-R', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class CaseBuilder {
  private counter = 0;
  constructor(private readonly dir: string) {}

  private next(name: string): string {
    return path.join(this.dir, `${String(this.counter++).padStart(4, '0')}-${name}.wav`);
  }

  /**
   * Speech from a TTS voice (see `TtsVoice`), resampled to 16 kHz and trimmed of leading and trailing silence so
   * speech times are exact.
   */
  speech(text: string, voice: string, speedWpm = 155): string {
    const raw = this.next('raw');
    synthesize(raw, text, voice, speedWpm);
    return trimmedSpeech(raw, this.next('speech'));
  }

  silence(durationSec: number): string {
    return silence(this.next('silence'), durationSec);
  }

  noise(durationSec: number, color: 'white' | 'pink' | 'brown', amplitude: number): string {
    return noise(this.next(`${color}`), durationSec, color, amplitude);
  }

  /** Synthetic music: a plucked melody over a sustained chord with tremolo. */
  music(durationSec: number, amplitude: number): string {
    const notes = [262, 294, 330, 392, 440, 392, 330, 294];
    const pieces = Array.from({ length: Math.ceil(durationSec / 0.4) }, (_, i) => {
      const out = this.next('note');
      sox(['-n', '-r', RATE, '-c', '1', '-b', '16', out, 'synth', '0.4', 'pluck', String(notes[i % notes.length])]);
      return out;
    });
    const melody = this.next('melody');
    sox([...pieces, melody, 'trim', '0', String(durationSec)]);
    const chord = this.next('chord');
    sox([
      '-n',
      '-r',
      RATE,
      '-c',
      '1',
      '-b',
      '16',
      chord,
      'synth',
      String(durationSec),
      'sine',
      '131',
      'sine',
      '165',
      'sine',
      '196',
      'remix',
      '-',
      'tremolo',
      '3',
      '40',
      'vol',
      '0.3',
    ]);
    const out = this.next('music');
    sox(['-m', melody, chord, out, 'vol', String(amplitude)]);
    return out;
  }

  /** Keyboard typing: short noise clicks at irregular intervals. */
  typing(durationSec: number, amplitude: number): string {
    const click = keyClick(this.next('click'), amplitude);
    const gaps = [0.09, 0.17, 0.12, 0.31, 0.08, 0.22, 0.14, 0.45, 0.1, 0.19];
    const pieces: string[] = [];
    let total = 0;
    for (let i = 0; total < durationSec; i++) {
      const gap = gaps[i % gaps.length]!;
      pieces.push(click, this.silence(gap));
      total += 0.012 + gap;
    }
    const out = this.next('typing');
    sox([...pieces, out, 'trim', '0', String(durationSec)]);
    return out;
  }

  /** Concatenates pieces; returns the file and where each piece starts. */
  concat(pieces: string[]): { file: string; startsSec: number[]; durationSec: number } {
    const out = concat(this.next('concat'), pieces);
    const startsSec: number[] = [];
    let at = 0;
    for (const piece of pieces) {
      startsSec.push(at);
      at += durationOf(piece);
    }
    return { file: out, startsSec, durationSec: durationOf(out) };
  }

  /** Mixes a background under a foreground (background trimmed/padded to the foreground's length). */
  mixUnder(foreground: string, background: string): string {
    const fitted = this.next('fitted');
    sox([background, fitted, 'trim', '0', String(durationOf(foreground))]);
    const out = this.next('mixed');
    sox(['-m', foreground, fitted, out]);
    return out;
  }

  duration(file: string): number {
    return durationOf(file);
  }
}

const SENTENCES = [
  'The first question asks about the causes of the industrial revolution in Britain.',
  'I think the answer to number four is the second option about steam power.',
  'Write down the formula for the area of a circle and show your working.',
  'Remember that the exam finishes at eleven so keep an eye on the time.',
  'Can you tell me what you wrote for the essay on climate change?',
  'Photosynthesis turns light energy into chemical energy in the leaves.',
];

const VOICES = ['en-us', 'en+f3', 'en-gb+m3', 'en+f4', 'en-us+m7', 'en-gb-x-rp+f2'];

/** A conversation of `voices` taking turns, optionally over a background. */
function conversation(
  b: CaseBuilder,
  id: string,
  voices: string[],
  turns: number,
  background?: (durationSec: number) => string,
): GeneratedCase {
  const pieces: string[] = [];
  const speechPieces: Array<{ index: number; file: string }> = [];
  const texts: string[] = [];
  pieces.push(b.silence(0.8));
  for (let t = 0; t < turns; t++) {
    const text = SENTENCES[t % SENTENCES.length]!;
    const file = b.speech(text, voices[t % voices.length]!);
    speechPieces.push({ index: pieces.length, file });
    pieces.push(file, b.silence(0.6 + (t % 3) * 0.3));
    texts.push(text);
  }
  const joined = b.concat(pieces);
  const speechIntervals = speechPieces.map(
    ({ index, file }) => [joined.startsSec[index]!, joined.startsSec[index]! + b.duration(file)] as [number, number],
  );
  const file = background ? b.mixUnder(joined.file, background(joined.durationSec)) : joined.file;
  return {
    id,
    file,
    durationSec: joined.durationSec,
    group: 'speakers',
    numSpeakers: new Set(voices).size,
    speechIntervals,
    transcript: texts.join(' '),
    phrases: [],
  };
}

/** Each wake phrase at the start, in the middle and at the end of a carrier sentence. */
export const WAKE_SENTENCES: Array<{ text: string; phrase: string }> = [
  { text: 'Hey Siri, what is the capital of Peru?', phrase: 'hey siri' },
  { text: 'I really need help here, hey Siri, what is a prime number?', phrase: 'hey siri' },
  { text: 'What is the boiling point of water, hey Siri?', phrase: 'hey siri' },
  { text: 'Okay Google, define photosynthesis.', phrase: 'ok google' },
  { text: 'Let me just check this, okay Google, how many grams are in a pound?', phrase: 'ok google' },
  { text: 'I will ask my phone very quietly. Okay Google.', phrase: 'ok google' },
  { text: 'Hey Google, what is seven times eight?', phrase: 'hey google' },
  { text: 'Wait a second, hey Google, who wrote Hamlet?', phrase: 'hey google' },
  { text: 'How far away is the sun, hey Google?', phrase: 'hey google' },
  { text: 'Alexa, how do you spell necessary?', phrase: 'alexa' },
  { text: 'I forgot the date so Alexa, when did the war end?', phrase: 'alexa' },
  { text: 'What is the square root of eighty one, Alexa?', phrase: 'alexa' },
  { text: 'Hey Cortana, open the calculator.', phrase: 'hey cortana' },
  { text: 'This one is hard, hey Cortana, what is the formula for speed?', phrase: 'hey cortana' },
  { text: 'Convert ten miles to kilometres, hey Cortana.', phrase: 'hey cortana' },
];

/** Sentences that sound or read like a wake phrase but are not one: none may fire. */
export const NEAR_MISS_SENTENCES = [
  'I met Alexander at the library yesterday.',
  'Hey, series of numbers can be tricky to sum.',
  'That is a serious question about the maps.',
  'She said hey to Sarah and went on writing.',
  'The Cortina was parked outside the school.',
  'Okay, go ahead and start the second section.',
  'Alexandra said okay and turned the page.',
  'Hey, sorry, I dropped my pencil on the floor.',
  'Look it up on Google later, not during the test.',
  'The lexicon of this language is very large.',
];

/**
 * Voices for the phrase cases. Thresholds and verification settings are chosen on the `tune` voices (speakers
 * awb, rms and kal) and checked on the `heldout` ones (speakers slt and ked, and espeak), so a figure on held-out
 * voices is not fitted to them.
 */
export const PHRASE_VOICES: Array<{ voice: TtsVoice; split: 'tune' | 'heldout' }> = [
  { voice: 'flite:awb', split: 'tune' },
  { voice: 'flite:rms', split: 'tune' },
  { voice: 'flite:kal16', split: 'tune' },
  { voice: 'festival:kal_diphone', split: 'tune' },
  { voice: 'flite:slt', split: 'heldout' },
  { voice: 'festival:cmu_us_slt_arctic_hts', split: 'heldout' },
  { voice: 'festival:ked_diphone', split: 'heldout' },
  { voice: 'en-us', split: 'heldout' },
  { voice: 'en+f3', split: 'heldout' },
  { voice: 'en-gb+m3', split: 'heldout' },
];

/** Background of the k-th phrase case: clean, quiet pink noise or keyboard typing, rotating. */
const PHRASE_BACKGROUNDS = ['clean', 'pink', 'typing'] as const;

/** Wake-phrase and near-miss sentences in every phrase voice, some over noise or typing. */
export function generatePhraseCases(b: CaseBuilder, voices = PHRASE_VOICES): GeneratedCase[] {
  const cases: GeneratedCase[] = [];
  const items = [
    ...WAKE_SENTENCES.map(({ text, phrase }, i) => ({ kind: 'wake' as const, text, phrases: [phrase], i })),
    ...NEAR_MISS_SENTENCES.map((text, i) => ({ kind: 'near' as const, text, phrases: [] as string[], i })),
  ];
  for (const [v, { voice, split }] of voices.entries()) {
    for (const item of items) {
      const background = PHRASE_BACKGROUNDS[(item.i + v) % PHRASE_BACKGROUNDS.length]!;
      const joined = b.concat([b.silence(0.8), b.speech(item.text, voice), b.silence(0.8)]);
      const file =
        background === 'clean'
          ? joined.file
          : b.mixUnder(
              joined.file,
              background === 'pink' ? b.noise(joined.durationSec, 'pink', 0.04) : b.typing(joined.durationSec, 0.3),
            );
      cases.push({
        id: `gen_${item.kind}_${item.i}_${voice.replace(':', '_')}${background === 'clean' ? '' : `_${background}`}`,
        file,
        durationSec: joined.durationSec,
        group: item.kind === 'wake' ? 'phrase_positive' : 'phrase_near_miss',
        numSpeakers: 1,
        speechIntervals: [],
        transcript: item.text,
        phrases: item.phrases,
        voice,
        voiceSplit: split,
      });
    }
  }
  return cases;
}

/** All generated cases, or with `only: 'phrases'` just the wake-phrase and near-miss ones. */
export function generateCases(dir: string, options: { only?: 'phrases' } = {}): GeneratedCase[] {
  const b = new CaseBuilder(dir);
  if (options.only === 'phrases') return generatePhraseCases(b);
  const cases: GeneratedCase[] = [];
  const noiseOnly = (id: string, file: string): GeneratedCase => ({
    id,
    file,
    durationSec: b.duration(file),
    group: 'noise_only',
    numSpeakers: 0,
    speechIntervals: [],
    transcript: '',
    phrases: [],
  });
  cases.push(noiseOnly('gen_pink_noise', b.noise(10, 'pink', 0.3)));
  cases.push(noiseOnly('gen_brown_noise', b.noise(10, 'brown', 0.5)));
  cases.push(noiseOnly('gen_white_noise', b.noise(10, 'white', 0.1)));
  cases.push(noiseOnly('gen_music', b.music(10, 0.8)));
  cases.push(noiseOnly('gen_typing', b.typing(10, 0.6)));

  for (const voice of VOICES.slice(0, 4)) cases.push(conversation(b, `gen_1spk_${voice}`, [voice], 4));
  cases.push(conversation(b, 'gen_2spk_m_f', ['en-us', 'en+f3'], 6));
  cases.push(conversation(b, 'gen_2spk_m_m', ['en-us', 'en-gb+m3'], 6));
  cases.push(conversation(b, 'gen_2spk_f_f', ['en+f3', 'en+f4'], 6));
  cases.push(conversation(b, 'gen_3spk', ['en-us', 'en+f3', 'en-gb+m3'], 6));
  cases.push(conversation(b, 'gen_1spk_pink', ['en-us'], 4, (d) => b.noise(d, 'pink', 0.05)));
  cases.push(conversation(b, 'gen_1spk_music', ['en+f3'], 4, (d) => b.music(d, 0.15)));
  cases.push(conversation(b, 'gen_1spk_typing', ['en-gb+m3'], 4, (d) => b.typing(d, 0.3)));
  cases.push(conversation(b, 'gen_2spk_pink', ['en-us', 'en+f3'], 6, (d) => b.noise(d, 'pink', 0.05)));
  cases.push(conversation(b, 'gen_2spk_music', ['en-us', 'en+f4'], 6, (d) => b.music(d, 0.15)));
  cases.push(conversation(b, 'gen_2spk_typing', ['en-gb+m3', 'en+f3'], 6, (d) => b.typing(d, 0.3)));

  // Flag cases: whispering (espeak's whisper variants), a loud bang between sentences, a dead microphone.
  const flagCase = (id: string, pieces: string[], expectedFlags: string[], transcript: string): GeneratedCase => {
    const joined = b.concat(pieces);
    return {
      id,
      file: joined.file,
      durationSec: joined.durationSec,
      group: 'flags',
      numSpeakers: transcript ? 1 : 0,
      speechIntervals: [],
      transcript,
      phrases: [],
      expectedFlags,
    };
  };
  for (const voice of ['en+whisper', 'en-us+whisper', 'en+f3+whisper']) {
    const text = 'Can you tell me what you wrote for question number four?';
    cases.push(
      flagCase(`gen_whisper_${voice}`, [b.silence(1), b.speech(text, voice), b.silence(1)], ['low_level_speech'], text),
    );
  }
  const bang = b.noise(0.3, 'white', 0.9);
  cases.push(
    flagCase(
      'gen_bang',
      [
        b.silence(1),
        b.speech(SENTENCES[0]!, 'en-us'),
        b.silence(1.5),
        bang,
        b.silence(1.5),
        b.speech(SENTENCES[1]!, 'en-us'),
        b.silence(1),
      ],
      ['loud_non_speech'],
      `${SENTENCES[0]} ${SENTENCES[1]}`,
    ),
  );
  cases.push(flagCase('gen_dead_mic', [b.silence(10)], ['silent_microphone'], ''));

  cases.push(...generatePhraseCases(b));
  return cases;
}
