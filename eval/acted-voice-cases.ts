/**
 * One-voice cases of real people for the speaker eval: the acted voices of the game Hedgewars (Debian
 * hedgewars-data, GPL), one character each, saying short lines with their own laugh, cough, groans and "Nooo!"
 * between them. What a candidate does during an exam beyond reading (laughing, coughing, exclaiming) should not
 * count as another voice; these measure it on recorded people, none of whom the speaker settings were tuned on.
 * Only false alarms are measured here: whether two packs are two actors is not known, so no pair is made.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { concat, durationOf, silence } from '../libs/audio/test/audio-fixtures';
import { ensureDebianPackages } from './debian-packages';
import { sox } from './generate-cases';
import { cachedClips } from './wake-model/training-data';

export const HEDGEWARS_VOICES_DIR = '/usr/share/games/hedgewars/Data/Sounds/voices';

/** Sounds that are not words: what the cases are about. Each pack has some of them. */
const NON_WORDS = /^(Laugh|PoisonCough|PoisonMoan|Hmm|Nooo|Ohdear|Oops|Ouch|Ow1|Ooff1)\.ogg$/;
/** A processed (vocoded) voice, not a person's. */
const SKIPPED_PACKS = new Set(['Robot']);
const MAX_CASE_SEC = 29;

export interface ActedCase {
  id: string;
  file: string;
  set: 'acted';
  kind: 'acted_one_voice';
  numSpeakers: 1;
  /** Expressive sounds in the clip (file names). */
  nonWords: string[];
}

/** Builds (or reuses) one ~28 s clip per voice pack in `dir`: lines with the pack's own non-word sounds between. */
export function generateActedCases(dir: string): ActedCase[] {
  return cachedClips(dir, () => {
    if (!existsSync(HEDGEWARS_VOICES_DIR)) ensureDebianPackages(['hedgewars-data'], 'speakers-eval');
    return readdirSync(HEDGEWARS_VOICES_DIR)
      .sort()
      .filter((pack) => !SKIPPED_PACKS.has(pack))
      .map((pack) => actedCaseOf(pack, path.join(dir, pack)));
  });
}

function actedCaseOf(pack: string, packDir: string): ActedCase {
  const files = readdirSync(path.join(HEDGEWARS_VOICES_DIR, pack))
    .filter((f) => f.endsWith('.ogg'))
    .sort();
  const nonWords = files.filter((f) => NON_WORDS.test(f));
  const words = files.filter((f) => !NON_WORDS.test(f));
  mkdirSync(packDir, { recursive: true });
  let n = 0;
  const wav = (file: string): string => {
    const out = path.join(packDir, `${n++}.wav`);
    sox([path.join(HEDGEWARS_VOICES_DIR, pack, file), '-r', '16000', '-c', '1', '-b', '16', out]);
    return out;
  };
  const pieces = [silence(path.join(packDir, 'lead.wav'), 0.7)];
  const gaps = [0.5, 0.75, 1].map((sec) => ({ sec, file: silence(path.join(packDir, `gap-${sec}.wav`), sec) }));
  let totalSec = 0.7;
  const used: string[] = [];
  // A line, then one of the non-word sounds, in turn, while the clip has room.
  const lines = words.filter((_, i) => i % 3 === 0);
  const order = lines.flatMap((line, i) => (i < nonWords.length ? [line, nonWords[i]!] : [line]));
  for (const file of order) {
    const piece = wav(file);
    const gap = gaps[pieces.length % gaps.length]!;
    const sec = durationOf(piece) + gap.sec;
    if (totalSec + sec > MAX_CASE_SEC) break;
    pieces.push(piece, gap.file);
    totalSec += sec;
    if (NON_WORDS.test(file)) used.push(file.replace(/\.ogg$/, ''));
  }
  const file = concat(path.join(packDir, 'case.wav'), pieces);
  return { id: `acted_${pack}`, file, set: 'acted', kind: 'acted_one_voice', numSpeakers: 1, nonWords: used };
}
