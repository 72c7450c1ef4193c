import type { LevelSummary } from './levels';
import { DEFAULT_WEIGHTS, scoreChunk, summarizeSession, type ScoreInput } from './score';

const quietLevels: LevelSummary = { rmsDbfs: -40, peakDbfs: -20, speechLevelsDbfs: [], loudNonSpeech: [] };

function input(overrides: Partial<ScoreInput> = {}): ScoreInput {
  return { durationSec: 30, speechSegments: [], levels: quietLevels, ...overrides };
}

describe('scoreChunk', () => {
  it('scores a quiet chunk with no evidence 0 and no flags', () => {
    expect(scoreChunk(input())).toEqual({ score: 0, flags: [] });
  });

  it('flags more than one voice from the first turn of the second voice, weighted by confidence', () => {
    const { flags, score } = scoreChunk(
      input({
        speechSegments: [{ startSec: 1, endSec: 8 }],
        levels: { ...quietLevels, speechLevelsDbfs: [-25] },
        speakers: {
          speakerCount: 2,
          confidence: 0.5,
          turns: [
            { speaker: 0, startSec: 1, endSec: 4 },
            { speaker: 1, startSec: 4.5, endSec: 8 },
          ],
        },
      }),
    );
    expect(flags).toEqual([
      expect.objectContaining({
        type: 'more_than_one_voice',
        start: 4.5,
        end: 8,
        severity: DEFAULT_WEIGHTS.more_than_one_voice * 0.5,
      }),
    ]);
    expect(score).toBeCloseTo(0.35, 3);
  });

  it('gives a wake phrase its weight, halved when only pocketsphinx keyword spotting heard it', () => {
    const transcriptHit = {
      phrase: 'alexa',
      kind: 'wake' as const,
      startSec: 2,
      endSec: 2.5,
      heard: 'alexa',
      sources: ['transcript' as const],
    };
    const spotterHit = { ...transcriptHit, startSec: 10, endSec: 10.5, sources: ['keyword-spotter' as const] };
    const embeddingHit = { ...transcriptHit, startSec: 20, endSec: 20.5, sources: ['speech-embedding' as const] };
    const { flags } = scoreChunk(input({ phrases: [transcriptHit, spotterHit, embeddingHit] }));
    expect(flags.map((f) => [f.type, f.severity])).toEqual([
      ['wake_phrase', 0.9],
      ['wake_phrase', 0.45],
      ['wake_phrase', 0.9],
    ]);
    expect(flags[0]!.evidence).toMatch(/alexa/);
  });

  it('combines flags as a noisy-OR that stays below 1', () => {
    const hit = {
      phrase: 'hey siri',
      kind: 'wake' as const,
      startSec: 1,
      endSec: 2,
      heard: 'hey siri',
      sources: ['transcript' as const],
    };
    const { score } = scoreChunk(input({ phrases: [hit, { ...hit, startSec: 5, endSec: 6 }] }));
    expect(score).toBeCloseTo(1 - 0.1 * 0.1, 3);
  });

  it('flags sustained talking across short pauses only when long enough', () => {
    const segments = [
      { startSec: 0, endSec: 5 },
      { startSec: 6, endSec: 12 },
      { startSec: 20, endSec: 24 },
    ];
    const { flags } = scoreChunk(
      input({ speechSegments: segments, levels: { ...quietLevels, speechLevelsDbfs: [-25, -25, -25] } }),
    );
    expect(flags.filter((f) => f.type === 'sustained_talking')).toEqual([
      expect.objectContaining({ start: 0, end: 12 }),
    ]);
  });

  it('flags low-level speech, loud non-speech and a silent microphone from the levels', () => {
    const low = scoreChunk(
      input({ speechSegments: [{ startSec: 3, endSec: 5 }], levels: { ...quietLevels, speechLevelsDbfs: [-50] } }),
    );
    expect(low.flags.map((f) => f.type)).toEqual(['low_level_speech']);
    const loud = scoreChunk(
      input({ levels: { ...quietLevels, loudNonSpeech: [{ startSec: 7, endSec: 7.4, peakDbfs: -6 }] } }),
    );
    expect(loud.flags).toEqual([expect.objectContaining({ type: 'loud_non_speech', start: 7, end: 7.4 })]);
    const silent = scoreChunk(input({ levels: { ...quietLevels, rmsDbfs: -100 } }));
    expect(silent.flags.map((f) => f.type)).toEqual(['silent_microphone']);
  });

  it('flags a decoded duration that differs from the declared one beyond the tolerance, and explains it', () => {
    const forged = scoreChunk(input({ durationSec: 58, declaredDurationSec: 30 }));
    expect(forged.flags).toEqual([
      expect.objectContaining({ type: 'duration_mismatch', start: 0, end: 58, evidence: expect.stringMatching(/58 s .* declared 30 s/) }),
    ]);
    expect(scoreChunk(input({ durationSec: 31.5, declaredDurationSec: 30 })).flags).toEqual([]);
    expect(scoreChunk(input({ durationSec: 58 })).flags).toEqual([]);
    expect(scoreChunk(input({ durationSec: 40, declaredDurationSec: 30 }), { durationToleranceSec: 15 }).flags).toEqual([]);
  });

  it('applies configured weights', () => {
    const hit = {
      phrase: 'alexa',
      kind: 'wake' as const,
      startSec: 2,
      endSec: 2.5,
      heard: 'alexa',
      sources: ['transcript' as const],
    };
    expect(scoreChunk(input({ phrases: [hit] }), { weights: { wake_phrase: 0.2 } }).score).toBeCloseTo(0.2, 3);
    expect(scoreChunk(input({ phrases: [hit] }), { weights: { wake_phrase: 0 } }).flags).toEqual([]);
  });
});

describe('summarizeSession', () => {
  const flag = { type: 'wake_phrase' as const, start: 1, end: 2, severity: 0.9, evidence: 'x' };
  it('puts flags on the session timeline and flags the session above the threshold', () => {
    const summary = summarizeSession([
      { chunkIndex: 0, chunkStartSec: 0, score: 0, flags: [] },
      { chunkIndex: 1, chunkStartSec: 30, score: 0.9, flags: [flag] },
    ]);
    expect(summary.priorityScore).toBeCloseTo(0.9, 3);
    expect(summary.flagged).toBe(true);
    expect(summary.timeline).toEqual([expect.objectContaining({ chunkIndex: 1, start: 31, end: 32 })]);
    expect(summary.flagCounts).toEqual({ wake_phrase: 1 });
  });

  it('raises the priority when several chunks are mildly suspicious, but not above what evidence allows', () => {
    const mild = Array.from({ length: 6 }, (_, i) => ({ chunkIndex: i, chunkStartSec: i * 30, score: 0.3, flags: [] }));
    const summary = summarizeSession(mild);
    expect(summary.priorityScore).toBeGreaterThan(0.3);
    expect(summary.priorityScore).toBeLessThan(1);
    expect(summarizeSession(mild.slice(0, 1)).flagged).toBe(false);
  });
});
