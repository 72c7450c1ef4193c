/**
 * Speaker-count cases beyond eval/generate-cases.ts: more voices (espeak-ng variants, flite, festival HTS and
 * diphone voices), same-gender pairs, short interjections by a second voice, pitch-shifted copies, and one-voice
 * cases with varied prosody, speed, noise and reverberation to measure false second voices.
 *
 * Voices are split into a tuning set and a held-out set (`SpeakerCase.set`): tune on the first, report both.
 * Each case is one chunk (≤ 30 s) with exact speech intervals (every synthesised piece is trimmed of its own
 * silence). Needs espeak-ng, flite, festival (+ festvox-us-slt-hts, festvox-kallpc16k, festvox-kdlpc16k) and sox.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { concat, durationOf, mix, noise, silence, trimmedSpeech } from '../libs/audio/test/audio-fixtures';
import { CaseBuilder, type GeneratedCase } from './generate-cases';

export type VoiceSet = 'tuning' | 'heldout' | 'mbrola';

export interface SpeakerCase extends GeneratedCase {
  set: VoiceSet;
  /**
   * What the case tests: one_voice, one_voice_noise, one_voice_room, one_voice_exclaim, one_voice_shifted, same_gender, cross_gender,
   * two_voices_noise, two_voices_room, interjection, shifted_pair, three_voices.
   */
  kind: string;
  /** Who speaks each of `speechIntervals` (a person id, with the pitch shift when the voice was shifted). */
  intervalSpeakers: string[];
}

interface Voice {
  id: string;
  synth: 'espeak' | 'flite' | 'festival' | 'mbrola';
  /** espeak-ng voice, flite voice, festival voice function or MBROLA voice (espeak-ng's mb-<name>). */
  name: string;
  gender: 'm' | 'f';
  /** The recorded person behind the voice: two voices of one person are never paired as two speakers. */
  person: string;
}

const espeak = (name: string, gender: 'm' | 'f'): Voice => ({
  id: `espeak:${name}`,
  synth: 'espeak',
  name,
  gender,
  person: `espeak-${name.split('+')[1] ?? 'default'}`,
});

/** Tuning voices: the four espeak-ng voices of generate-cases.ts plus three flite voices. */
const TUNING_VOICES: Voice[] = [
  espeak('en-us', 'm'),
  espeak('en+f3', 'f'),
  espeak('en-gb+m3', 'm'),
  espeak('en+f4', 'f'),
  { id: 'flite:rms', synth: 'flite', name: 'rms', gender: 'm', person: 'rms' },
  { id: 'flite:slt', synth: 'flite', name: 'slt', gender: 'f', person: 'slt' },
  { id: 'flite:kal16', synth: 'flite', name: 'kal16', gender: 'm', person: 'kal' },
];

/**
 * Held-out voices: other espeak-ng variants and accents, flite's awb, festival's ked diphone voice and the SLT HTS
 * voice (the SLT speaker is in the tuning set through flite's clustergen voice, a different synthesiser).
 */
const HELDOUT_VOICES: Voice[] = [
  espeak('en-029+m5', 'm'),
  espeak('en-gb-x-rp+f2', 'f'),
  espeak('en-us-nyc+m6', 'm'),
  espeak('en-gb-scotland+f5', 'f'),
  { id: 'flite:awb', synth: 'flite', name: 'awb', gender: 'm', person: 'awb' },
  { id: 'festival:ked', synth: 'festival', name: 'voice_ked_diphone', gender: 'm', person: 'ked' },
  { id: 'festival:slt', synth: 'festival', name: 'voice_cmu_us_slt_arctic_hts', gender: 'f', person: 'slt-hts' },
];

/**
 * A second held-out set, added after every speaker setting was chosen: MBROLA diphone voices (real speakers, a
 * synthesiser none of the other sets uses) read through espeak-ng: its English voices (us1 a woman, us2 and us3 men,
 * en1 a British man) and three women of other languages reading English with their accent (de5, fr4, pl1).
 */
const mbrola = (name: string, gender: 'm' | 'f'): Voice => ({
  id: `mbrola:${name}`,
  synth: 'mbrola',
  name,
  gender,
  person: `mbrola-${name.replace(/-en$/, '')}`,
});
export const MBROLA_SPEAKER_VOICES: Voice[] = [
  mbrola('us2', 'm'),
  mbrola('us1', 'f'),
  mbrola('us3', 'm'),
  mbrola('en1', 'm'),
  mbrola('de5-en', 'f'),
  mbrola('fr4-en', 'f'),
  mbrola('pl1-en', 'f'),
];

const SENTENCES = [
  'The second question is about the water cycle and how clouds are formed.',
  'I would start with the definition and then give two examples from the text.',
  'Divide both sides by three and the answer should come out as a whole number.',
  'The treaty was signed in the spring, after nearly four years of fighting.',
  'Make sure you label the axes of the graph before you plot the points.',
  'Could you read the last paragraph again, more slowly this time?',
  'Energy cannot be created or destroyed, only changed from one form to another.',
  'The poem uses the storm as a picture of the narrator feeling lost.',
  'Underline the key words in the question before you begin writing.',
  'Most of the marks are for explaining your reasoning, not just the result.',
];

const EXCLAMATIONS = ['Oh no!', 'Wait, what?', 'Oh, really?'];

const INTERJECTIONS = ['Yes.', 'Okay, go on.', 'Number four.', 'Really?', 'No, the other one.', 'Right.'];

/** Prosody of one sentence: speaking rate and pitch relative to the voice's default. */
interface Prosody {
  rate?: number;
  pitch?: number;
  /** Raises the voice's pitch (not its formants) by this many semitones: an exclamation. espeak-ng and flite only. */
  raiseSemitones?: number;
}

/** espeak-ng's -p moves its pitch by about one semitone per 6 units (measured with the pitch track). */
const ESPEAK_PITCH_UNITS_PER_SEMITONE = 6;

function run(command: string, args: string[], input?: string): void {
  execFileSync(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], input });
}

class SpeakerCaseBuilder {
  readonly base: CaseBuilder;
  private counter = 0;
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.base = new CaseBuilder(dir);
  }

  file(name: string): string {
    return path.join(this.dir, `s${String(this.counter++).padStart(4, '0')}-${name}.wav`);
  }

  /** One sentence, 16 kHz mono, trimmed of its leading and trailing silence, normalised to -3 dBFS peak. */
  speech(voice: Voice, text: string, prosody: Prosody = {}): string {
    const raw = this.file('raw');
    const rate = prosody.rate ?? 1;
    const pitch = prosody.pitch ?? 1;
    if (voice.synth === 'espeak' || voice.synth === 'mbrola') {
      run('espeak-ng', [
        '-v',
        voice.synth === 'mbrola' ? `mb-${voice.name}` : voice.name,
        '-s',
        String(Math.round(155 * rate)),
        '-p',
        String(Math.round(50 * pitch + ESPEAK_PITCH_UNITS_PER_SEMITONE * (prosody.raiseSemitones ?? 0))),
        '-w',
        raw,
        text,
      ]);
    } else if (voice.synth === 'flite') {
      const args = ['-voice', voice.name, '-t', text, '-o', raw, '--setf', `duration_stretch=${(1 / rate).toFixed(3)}`];
      // flite's default target F0 is about 100 Hz for its male voices and 170 Hz for slt.
      const f0 = pitch * 2 ** ((prosody.raiseSemitones ?? 0) / 12);
      if (f0 !== 1) args.push('--setf', `int_f0_target_mean=${Math.round((voice.gender === 'f' ? 170 : 105) * f0)}`);
      run('flite', args);
    } else {
      run(
        'text2wave',
        ['-eval', `(${voice.name})`, '-eval', `(Parameter.set 'Duration_Stretch ${(1 / rate).toFixed(3)})`, '-o', raw],
        text,
      );
    }
    return trimmedSpeech(raw, this.file('speech'), ['norm', '-3']);
  }

  /** Applies sox effects (pitch, reverb, vol, ...) to a file. */
  effect(input: string, effects: string[]): string {
    const out = this.file('fx');
    run('sox', [input, out, ...effects]);
    return out;
  }
}

interface Turn {
  voice: Voice;
  text: string;
  prosody?: Prosody;
  /** sox effects applied to this piece only (a pitch-shifted copy of a voice). */
  effects?: string[];
}

interface CaseOptions {
  background?: (durationSec: number) => string;
  /** sox effects on the whole case (reverberation, pitch shift). */
  effects?: string[];
}

const MAX_CASE_SEC = 29.5;

function buildCase(
  b: SpeakerCaseBuilder,
  id: string,
  set: VoiceSet,
  kind: string,
  turns: Turn[],
  options: CaseOptions = {},
): SpeakerCase {
  const pieces: string[] = [silence(b.file('lead'), 0.7)];
  const speech: Array<{ index: number; file: string }> = [];
  const texts: string[] = [];
  const speakers: string[] = [];
  let totalSec = 0.7;
  turns.forEach((turn, t) => {
    let file = b.speech(turn.voice, turn.text, turn.prosody);
    if (turn.effects) file = b.effect(file, turn.effects);
    const pieceSec = durationOf(file);
    const gapSec = 0.5 + (t % 3) * 0.25;
    if (totalSec + pieceSec > MAX_CASE_SEC) return;
    speech.push({ index: pieces.length, file });
    pieces.push(file, silence(b.file('gap'), gapSec));
    texts.push(turn.text);
    speakers.push(`${turn.voice.person}${turn.effects ? ` ${turn.effects.join(' ')}` : ''}`);
    totalSec += pieceSec + gapSec;
  });
  let file = concat(b.file('case'), pieces);
  const startsSec: number[] = [];
  let at = 0;
  for (const piece of pieces) {
    startsSec.push(at);
    at += durationOf(piece);
  }
  const durationSec = durationOf(file);
  // Effects that keep the length (pitch shift, reverb with its tail cut) keep the speech intervals valid.
  if (options.effects) file = b.effect(file, [...options.effects, 'trim', '0', String(durationSec)]);
  if (options.background) {
    const fitted = b.effect(options.background(durationSec), ['trim', '0', String(durationSec)]);
    file = mix(b.file('mixed'), [file, fitted]);
  }
  return {
    id,
    file,
    durationSec,
    group: 'speakers',
    numSpeakers: new Set(speakers).size,
    speechIntervals: speech.map(({ index, file: f }) => [startsSec[index]!, startsSec[index]! + durationOf(f)]),
    transcript: texts.join(' '),
    phrases: [],
    set,
    kind,
    intervalSpeakers: speakers,
  };
}

const short = (voice: Voice): string => voice.id.replace(/[:+]/g, '_');

/** Sentences i, i+1, ... (wrapping) for `count` turns, alternating through `voices`. */
function dialogue(voices: Voice[], count: number, offset: number): Turn[] {
  return Array.from({ length: count }, (_, t) => ({
    voice: voices[t % voices.length]!,
    text: SENTENCES[(offset + t) % SENTENCES.length]!,
  }));
}

/** Varied prosody for one voice: slow and low, fast and high, and in between. */
const PROSODY: Prosody[] = [
  { rate: 0.85, pitch: 0.8 },
  { rate: 1.2, pitch: 1.25 },
  { rate: 1, pitch: 1 },
  { rate: 1.1, pitch: 0.9 },
  { rate: 0.9, pitch: 1.15 },
];

function casesForSet(b: SpeakerCaseBuilder, set: VoiceSet, voices: Voice[]): SpeakerCase[] {
  const cases: SpeakerCase[] = [];
  const prefix = `spk_${set === 'tuning' ? 't' : set === 'mbrola' ? 'm' : 'h'}`;
  const males = voices.filter((v) => v.gender === 'm');
  const females = voices.filter((v) => v.gender === 'f');

  // One voice, varied rate and pitch.
  voices.forEach((voice, v) => {
    const turns = PROSODY.map((prosody, t) => ({ voice, text: SENTENCES[(v + t) % SENTENCES.length]!, prosody }));
    cases.push(buildCase(b, `${prefix}_1_${short(voice)}`, set, 'one_voice', turns));
  });
  // One voice over noise, music and in a reverberant room; one voice pitch-shifted as a whole.
  const backgrounds: Array<{ name: string; make: (d: number) => string; effects?: string[] }> = [
    { name: 'pink', make: (d) => noise(b.file('pink'), d, 'pink', 0.06) },
    { name: 'white', make: (d) => noise(b.file('white'), d, 'white', 0.02) },
    { name: 'music', make: (d) => b.base.music(d, 0.2) },
    { name: 'reverb', make: () => '', effects: ['reverb', '60', '50', '80'] },
  ];
  backgrounds.forEach((bg, i) => {
    const voice = voices[(i * 2 + 1) % voices.length]!;
    cases.push(
      buildCase(b, `${prefix}_1n_${bg.name}_${short(voice)}`, set, 'one_voice_noise', dialogue([voice], 5, i), {
        ...(bg.effects ? { effects: bg.effects } : { background: bg.make }),
      }),
    );
  });
  // Rooms from dry to very reverberant (sox reverb: reverberance %, HF damping %, room scale %, stereo depth %,
  // pre-delay ms): a far microphone smears every word into the next; one voice, then two voices of one gender.
  const rooms = [
    ['reverb', '40', '50', '50'],
    ['reverb', '80', '30', '100'],
    ['reverb', '90', '60', '100', '100', '20'],
  ];
  rooms.forEach((room, k) => {
    const voice = voices[(k * 3 + 2) % voices.length]!;
    cases.push(
      buildCase(b, `${prefix}_1r_${k}_${short(voice)}`, set, 'one_voice_room', dialogue([voice], 5, k + 2), {
        effects: room,
      }),
    );
  });
  [
    [males[0]!, males[2]!],
    [females[0]!, females[2] ?? females[1]!],
  ].forEach((pair, k) => {
    cases.push(
      buildCase(
        b,
        `${prefix}_2r_${short(pair[0]!)}_${short(pair[1]!)}`,
        set,
        'two_voices_room',
        dialogue(pair, 6, k + 1),
        { effects: rooms[1]! },
      ),
    );
  });
  // One voice exclaiming in a raised pitch (6 semitones, formants unchanged): a short "Oh no!" between sentences,
  // twice, or a whole sentence read excitedly. Still one voice.
  const exclaimers = [
    males[0]!,
    females[0]!,
    voices.find((v) => v.synth === 'flite') ?? voices.find((v) => v !== males[0] && v !== females[0])!,
  ];
  exclaimers.forEach((voice, k) => {
    const turns: Turn[] = dialogue([voice], 4, k + 4);
    turns.splice(1, 0, { voice, text: EXCLAMATIONS[k % EXCLAMATIONS.length]!, prosody: { raiseSemitones: 6 } });
    turns.splice(3, 0, { voice, text: EXCLAMATIONS[(k + 1) % EXCLAMATIONS.length]!, prosody: { raiseSemitones: 6 } });
    cases.push(buildCase(b, `${prefix}_1e_${short(voice)}`, set, 'one_voice_exclaim', turns));
  });
  const excited = dialogue([males[1]!], 4, 6).map((turn, t) =>
    t === 2 ? { ...turn, prosody: { raiseSemitones: 6 } } : turn,
  );
  cases.push(buildCase(b, `${prefix}_1e_sentence_${short(males[1]!)}`, set, 'one_voice_exclaim', excited));
  [males[0]!, females[0]!].forEach((voice, i) => {
    const cents = i === 0 ? 300 : -300;
    cases.push(
      buildCase(b, `${prefix}_1s_${cents}_${short(voice)}`, set, 'one_voice_shifted', dialogue([voice], 5, i + 3), {
        effects: ['pitch', String(cents)],
      }),
    );
  });

  // Two voices of the same gender: every pair of distinct people.
  for (const group of [males, females]) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const pair = [group[i]!, group[j]!];
        if (pair[0]!.person === pair[1]!.person) continue;
        cases.push(
          buildCase(
            b,
            `${prefix}_2_${short(pair[0]!)}_${short(pair[1]!)}`,
            set,
            'same_gender',
            dialogue(pair, 6, i + j),
          ),
        );
      }
    }
  }
  // Two voices of different gender (two pairs), and two over noise.
  for (let k = 0; k < 2; k++) {
    const pair = [males[k]!, females[(k + 1) % females.length]!];
    cases.push(
      buildCase(b, `${prefix}_2x_${short(pair[0]!)}_${short(pair[1]!)}`, set, 'cross_gender', dialogue(pair, 6, k)),
    );
  }
  cases.push(
    buildCase(
      b,
      `${prefix}_2n_pink_${short(males[1]!)}_${short(males[2]!)}`,
      set,
      'two_voices_noise',
      dialogue([males[1]!, males[2]!], 6, 2),
      { background: (d) => noise(b.file('pink'), d, 'pink', 0.05) },
    ),
  );
  cases.push(
    buildCase(
      b,
      `${prefix}_2n_music_${short(females[0]!)}_${short(females[1]!)}`,
      set,
      'two_voices_noise',
      dialogue([females[0]!, females[1]!], 6, 4),
      { background: (d) => b.base.music(d, 0.15) },
    ),
  );

  // A main voice reading, a second voice cutting in briefly (about 0.4-1.2 s each, two or three times).
  const interjections: Array<[Voice, Voice]> = [
    [males[0]!, males[1]!],
    [females[0]!, females[1]!],
    [males[2]!, females[1]!],
    [females[1]!, males[0]!],
  ];
  interjections.forEach(([main, other], k) => {
    const turns: Turn[] = [];
    for (let t = 0; t < 5; t++) {
      turns.push({ voice: main, text: SENTENCES[(k + t) % SENTENCES.length]! });
      if (t % 2 === 1 || (k % 2 === 0 && t === 4))
        turns.push({ voice: other, text: INTERJECTIONS[(k + t) % INTERJECTIONS.length]! });
    }
    cases.push(buildCase(b, `${prefix}_2i_${short(main)}_${short(other)}`, set, 'interjection', turns));
  });

  // A voice and its own copy shifted by four semitones (voice and vocal tract move together: another person).
  [males[1]!, females[0]!].forEach((voice, k) => {
    const cents = k === 0 ? -400 : 400;
    const turns = dialogue([voice], 6, k + 5).map((turn, t) =>
      t % 2 === 1 ? { ...turn, effects: ['pitch', String(cents)] } : turn,
    );
    cases.push(buildCase(b, `${prefix}_2s_${cents}_${short(voice)}`, set, 'shifted_pair', turns));
  });

  // Three voices (two of one gender).
  cases.push(
    buildCase(
      b,
      `${prefix}_3_${short(males[0]!)}_${short(males[1]!)}_${short(females[0]!)}`,
      set,
      'three_voices',
      dialogue([males[0]!, males[1]!, females[0]!], 7, 1),
    ),
  );
  cases.push(
    buildCase(
      b,
      `${prefix}_3_${short(females[0]!)}_${short(females[1]!)}_${short(males[2]!)}`,
      set,
      'three_voices',
      dialogue([females[0]!, females[1]!, males[2]!], 7, 3),
    ),
  );
  return cases;
}

/** Speaker cases for the tuning and held-out voice sets, written to `dir`. */
export function generateSpeakerCases(dir: string): SpeakerCase[] {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const b = new SpeakerCaseBuilder(dir);
  return [...casesForSet(b, 'tuning', TUNING_VOICES), ...casesForSet(b, 'heldout', HELDOUT_VOICES)];
}

/** The speaker cases of the MBROLA voices (`MBROLA_SPEAKER_VOICES`), written to `dir`. */
export function generateMbrolaSpeakerCases(dir: string): SpeakerCase[] {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return casesForSet(new SpeakerCaseBuilder(dir), 'mbrola', MBROLA_SPEAKER_VOICES);
}
