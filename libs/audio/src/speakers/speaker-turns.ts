import type { TimeSpan } from '../types';
import { round3 } from '../vad/speech-segments';
import type { SpeakerTurn } from './speakers.types';

/** Pieces of speech less than this apart with the same voice join one turn. */
const TURN_JOIN_GAP_SEC = 1;

/**
 * Turns and change times from time-ordered pieces and each piece's cluster; speakers are renumbered in order of
 * first appearance. Returns `order`: order[speaker] = cluster.
 */
export function buildTurns(
  pieces: readonly TimeSpan[],
  clusterOfPiece: (piece: number) => number,
): { turns: SpeakerTurn[]; speakerChanges: number[]; order: number[] } {
  const order: number[] = [];
  const turns: SpeakerTurn[] = [];
  pieces.forEach((piece, p) => {
    const cluster = clusterOfPiece(p);
    if (!order.includes(cluster)) order.push(cluster);
    const speaker = order.indexOf(cluster);
    const last = turns[turns.length - 1];
    if (last && last.speaker === speaker && piece.startSec - last.endSec < TURN_JOIN_GAP_SEC)
      last.endSec = round3(piece.endSec);
    else turns.push({ speaker, startSec: round3(piece.startSec), endSec: round3(piece.endSec) });
  });
  const speakerChanges: number[] = [];
  for (let i = 1; i < turns.length; i++) {
    if (turns[i]!.speaker !== turns[i - 1]!.speaker)
      speakerChanges.push(round3((turns[i - 1]!.endSec + turns[i]!.startSec) / 2));
  }
  return { turns, speakerChanges, order };
}
