/**
 * `npm run eval [-- --data DIR --out DIR --no-transcribe --only phrases --transcriber openai|whisper-cpp ...]`: runs the analysis over the real clips
 * of shared/evaldata and over generated cases, and writes metrics (JSON + a markdown table) to eval/results/.
 * Default data folder: ../shared/evaldata from the repo root, or EARSHOT_EVALDATA. `--only phrases` runs the
 * wake-phrase part alone (real clips and the phrase cases, no VAD/speaker scoring) into phrase-eval.{md,json}.
 * `--transcriber openai|whisper-cpp` with its options (as for `earshot analyze`: `--openai-base-url`, `--openai-model`,
 * key in OPENAI_API_KEY; `--whisper-cpp-bin`, `--whisper-model`) measures that transcription engine instead of
 * pocketsphinx; the results name the engine.
 * Missing Debian tools are installed when run as root; otherwise it stops with the apt-get command to run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyzeSpeakersMfccBic,
  buildPhraseList,
  createTranscriber,
  defaultModelsDir,
  createSileroVad,
  decodeToPcm,
  findPhraseCandidates,
  spotPhrasesInAudio,
  acceptCandidate,
  DEFAULT_MAX_BOUNDARY_GAP_SEC,
  DEFAULT_WAKE_PHRASES,
  minScoreOf,
  frameScores,
  matchPhrasesInTranscript,
  mergePhraseHits,
  wordErrorRate,
  scoreChunk,
  summarizeLevels,
  type PhraseHit,
  type SpeechSegment,
  type Transcriber,
  type Vad,
} from '@earshot/audio';
import { TRANSCRIBER_ARGS, transcriberConfig } from '../libs/audio/src/cli/transcriber-options';
import { ensureEvalTools } from './debian-packages';
import { generateCases, voiceFamily, type GeneratedCase } from './generate-cases';

const REPO_ROOT = path.resolve(__dirname, '..');

interface ManifestClip {
  id: string;
  file: string;
  duration_s: number;
  tags: string[];
  ground_truth: {
    num_speakers?: number;
    speech_intervals?: Array<[number, number]>;
    transcript?: string;
    phrases_present?: Array<{ phrase: string }>;
  };
}

interface CaseResult {
  id: string;
  source: 'real' | 'generated';
  group: string;
  durationSec: number;
  referenceSpeakers?: number;
  detectedSpeakers: number;
  speakerConfidence: number;
  speechSec: number;
  vadF1?: number;
  vadF1SingleLane?: number;
  wer?: number;
  transcript?: string;
  referencePhrases: string[];
  transcriptPhrases: string[];
  spotterPhrases: string[];
  oraclePhrases?: string[];
  /** Flag types raised without a transcript (levels, voicing, speakers). */
  flagTypes: string[];
  expectedFlags?: string[];
  /** TTS family and split of a generated phrase case (generate-cases.ts PHRASE_VOICES). */
  voiceFamily?: string;
  voiceSplit?: 'tune' | 'heldout';
  /** Keyword-spotter candidates with their verification, for calibration. */
  spotterCandidates?: Array<{
    phrase: string;
    startSec: number;
    score: number;
    boundaryGapSec?: number;
    heardByDecoder?: boolean;
    accepted: boolean;
  }>;
  spotterMs?: number;
  spotterOnTranscriptPhrases?: string[];
}

const toSpans = (intervals: Array<[number, number]>): SpeechSegment[] =>
  intervals.map(([startSec, endSec]) => ({ startSec, endSec }));
const uniquePhrases = (hits: PhraseHit[]): string[] => [...new Set(hits.map((h) => h.phrase))];
const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;

async function evaluateCase(
  c: {
    id: string;
    file: string;
    source: 'real' | 'generated';
    group: string;
    numSpeakers?: number;
    speech?: Array<[number, number]>;
    transcript?: string;
    phrases: string[];
    english: boolean;
    expectedFlags?: string[];
    voice?: string;
    voiceSplit?: 'tune' | 'heldout';
  },
  vad: Vad,
  exactVad: Vad,
  transcriber: Transcriber | undefined,
  phrasesOnly = false,
): Promise<CaseResult> {
  const pcm = await decodeToPcm(c.file);
  const durationSec = pcm.length / 16000;
  const { segments } = await vad.detect(pcm);
  const speechSec = segments.reduce((sum, s) => sum + s.endSec - s.startSec, 0);
  const speakers = phrasesOnly ? { speakerCount: 0, confidence: 0, turns: [] } : analyzeSpeakersMfccBic(pcm, segments);
  const result: CaseResult = {
    id: c.id,
    source: c.source,
    group: c.group,
    durationSec,
    ...(c.numSpeakers !== undefined ? { referenceSpeakers: c.numSpeakers } : {}),
    detectedSpeakers: speakers.speakerCount,
    speakerConfidence: speakers.confidence,
    speechSec,
    referencePhrases: c.phrases,
    transcriptPhrases: [],
    spotterPhrases: [],
    ...(c.voice ? { voiceFamily: voiceFamily(c.voice) } : {}),
    ...(c.voiceSplit ? { voiceSplit: c.voiceSplit } : {}),
    flagTypes: phrasesOnly
      ? []
      : [
          ...new Set(
            scoreChunk({
              durationSec,
              speechSegments: segments,
              levels: summarizeLevels(pcm, segments),
              speakers,
            }).flags.map((f) => f.type),
          ),
        ],
    ...(c.expectedFlags ? { expectedFlags: c.expectedFlags } : {}),
  };
  if (!phrasesOnly && c.speech && c.speech.length > 0) {
    result.vadF1 = frameScores(toSpans(c.speech), segments, durationSec).f1;
    result.vadF1SingleLane = frameScores(toSpans(c.speech), (await exactVad.detect(pcm)).segments, durationSec).f1;
  }
  const phrases = buildPhraseList();
  if (c.english) {
    // Every candidate verified, so the calibration below sees near misses under the current minimum scores too.
    const candidates = await findPhraseCandidates(pcm, segments, phrases, { verifyBelowMinScore: true });
    if (c.source === 'real') {
      // the cost as the pipeline runs it
      const spotStartedMs = performance.now();
      await spotPhrasesInAudio(pcm, segments, phrases);
      result.spotterMs = performance.now() - spotStartedMs;
    }
    const accepted = candidates.filter((candidate) => acceptCandidate(candidate));
    result.spotterPhrases = uniquePhrases(
      mergePhraseHits(
        accepted.map((a) => ({
          phrase: a.phrase.phrase,
          kind: a.phrase.kind,
          startSec: a.startSec,
          endSec: a.endSec,
          heard: a.heard,
          sources: ['keyword-spotter'],
        })),
      ),
    );
    result.spotterCandidates = candidates.map((candidate) => ({
      phrase: candidate.phrase.phrase,
      startSec: Number(candidate.startSec.toFixed(2)),
      score: candidate.score,
      ...(candidate.boundaryGapSec !== undefined ? { boundaryGapSec: candidate.boundaryGapSec } : {}),
      ...(candidate.heardByDecoder !== undefined ? { heardByDecoder: candidate.heardByDecoder } : {}),
      accepted: accepted.includes(candidate),
    }));
    if (c.transcript !== undefined)
      result.oraclePhrases = uniquePhrases(
        matchPhrasesInTranscript(
          {
            engine: 'openai',
            text: c.transcript,
            segments: [{ startSec: 0, endSec: durationSec, text: c.transcript }],
          },
          phrases,
        ),
      );
    if (transcriber) {
      const transcript = await transcriber.transcribe(pcm, segments);
      result.transcript = transcript.text;
      result.transcriptPhrases = uniquePhrases(mergePhraseHits(matchPhrasesInTranscript(transcript, phrases)));
      // The spotter verified against this transcript's words instead of its own decode (no second decode); the
      // boundary tolerance was chosen on pocketsphinx's words, so other engines' words are not used for it.
      result.spotterOnTranscriptPhrases = uniquePhrases(
        await spotPhrasesInAudio(
          pcm,
          segments,
          phrases,
          transcriber.engine === 'pocketsphinx'
            ? { decodedWords: transcript.segments.flatMap((segment) => segment.words ?? []) }
            : {},
        ),
      );
      if (c.transcript) result.wer = wordErrorRate(c.transcript.replace(/\|/g, ' '), transcript.text).wer;
    }
  }
  return result;
}

function summarize(results: CaseResult[]) {
  const vadCases = results.filter((r) => r.vadF1 !== undefined);
  const realSpeech = vadCases.filter((r) => r.source === 'real' && !r.id.startsWith('ami_'));
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const counted = results.filter(
    (r) =>
      r.referenceSpeakers !== undefined &&
      r.group !== 'phrase_positive' &&
      r.group !== 'phrase_near_miss' &&
      r.group !== 'flags',
  );
  const multi = counted.filter((r) => r.referenceSpeakers! >= 2);
  const single = counted.filter((r) => r.referenceSpeakers === 1);
  const noiseOnly = results.filter((r) => r.referenceSpeakers === 0);
  const positives = results.filter((r) => r.referencePhrases.length > 0);
  const negatives = results.filter(
    (r) => r.referencePhrases.length === 0 && r.group !== 'noise_only' && r.source === 'generated',
  );
  const nearMiss = results.filter((r) => r.group === 'phrase_near_miss');
  const realNoPhrase = results.filter((r) => r.source === 'real' && r.referencePhrases.length === 0);
  const recall = (key: 'transcriptPhrases' | 'spotterPhrases' | 'oraclePhrases' | 'either'): number =>
    positives.filter((r) =>
      r.referencePhrases.every((p) =>
        (key === 'either' ? [...r.transcriptPhrases, ...r.spotterPhrases] : (r[key] ?? [])).includes(p),
      ),
    ).length / Math.max(1, positives.length);
  const falseAlarms = (cases: CaseResult[], key: 'transcriptPhrases' | 'spotterPhrases' | 'oraclePhrases'): number =>
    cases.filter((r) => (r[key] ?? []).length > 0).length;
  const wers = results.filter((r) => r.wer !== undefined);
  return {
    vadF1RealSpeechMean: mean(realSpeech.map((r) => r.vadF1!)),
    vadF1RealSpeechMeanSingleLane: mean(realSpeech.map((r) => r.vadF1SingleLane!)),
    vadF1AmiMean: mean(vadCases.filter((r) => r.id.startsWith('ami_')).map((r) => r.vadF1!)),
    vadF1GeneratedMean: mean(vadCases.filter((r) => r.source === 'generated').map((r) => r.vadF1!)),
    maxSpeechSecInNonSpeech: Math.max(0, ...noiseOnly.map((r) => r.speechSec)),
    nonSpeechClips: noiseOnly.map((r) => ({ id: r.id, speechSec: Number(r.speechSec.toFixed(2)) })),
    speakerCountExact:
      counted.filter((r) => r.detectedSpeakers === r.referenceSpeakers).length / Math.max(1, counted.length),
    speakerCountCases: counted.length,
    speakerCountExactReal:
      counted.filter((r) => r.source === 'real' && r.detectedSpeakers === r.referenceSpeakers).length /
      Math.max(1, counted.filter((r) => r.source === 'real').length),
    speakerCountExactGenerated:
      counted.filter((r) => r.source === 'generated' && r.detectedSpeakers === r.referenceSpeakers).length /
      Math.max(1, counted.filter((r) => r.source === 'generated').length),
    moreThanOneVoiceRecall: multi.filter((r) => r.detectedSpeakers >= 2).length / Math.max(1, multi.length),
    moreThanOneVoiceCases: multi.length,
    moreThanOneVoiceFalseAlarmRate: single.filter((r) => r.detectedSpeakers >= 2).length / Math.max(1, single.length),
    singleVoiceCases: single.length,
    werMean: mean(wers.map((r) => r.wer!)),
    werReal: wers.filter((r) => r.source === 'real').map((r) => ({ id: r.id, wer: Number(r.wer!.toFixed(3)) })),
    werGeneratedMean: mean(wers.filter((r) => r.source === 'generated').map((r) => r.wer!)),
    phrasePositives: positives.length,
    phraseRecallTranscript: recall('transcriptPhrases'),
    phraseRecallSpotter: recall('spotterPhrases'),
    phraseRecallEither: recall('either'),
    phraseRecallOracleTranscript: recall('oraclePhrases'),
    nearMissCases: nearMiss.length,
    nearMissFalseAlarmsTranscript: falseAlarms(nearMiss, 'transcriptPhrases'),
    nearMissFalseAlarmsSpotter: falseAlarms(nearMiss, 'spotterPhrases'),
    nearMissFalseAlarmsOracle: falseAlarms(nearMiss, 'oraclePhrases'),
    generatedNegativeCases: negatives.length,
    falseAlarmsSpotterGenerated: falseAlarms(negatives, 'spotterPhrases'),
    falseAlarmsTranscriptGenerated: falseAlarms(negatives, 'transcriptPhrases'),
    realNoPhraseCases: realNoPhrase.length,
    falseAlarmsSpotterReal: realNoPhrase
      .filter((r) => r.spotterPhrases.length > 0)
      .map((r) => `${r.id}: ${r.spotterPhrases.join(', ')}`),
    falseAlarmsTranscriptReal: realNoPhrase
      .filter((r) => r.transcriptPhrases.length > 0)
      .map((r) => `${r.id}: ${r.transcriptPhrases.join(', ')}`),
    flags: (['low_level_speech', 'loud_non_speech', 'silent_microphone'] as const).map((type) => {
      const expecting = results.filter((r) => r.expectedFlags?.includes(type));
      const others = results.filter((r) => !r.expectedFlags?.includes(type));
      return {
        type,
        hits: expecting.filter((r) => r.flagTypes.includes(type)).map((r) => r.id),
        misses: expecting.filter((r) => !r.flagTypes.includes(type)).map((r) => r.id),
        falseAlarms: others.filter((r) => r.flagTypes.includes(type)).map((r) => r.id),
        otherCases: others.length,
      };
    }),
  };
}

const PHRASE_FAMILIES = ['flite', 'festival', 'espeak'] as const;
/** Margin above the highest tuning near miss: scores move by about ±0.02 with the noise under the same sentence. */
const SPOT_MIN_SCORE_MARGIN = 0.005;

/** Wake-phrase figures per TTS family and tuning split, on real clips, spotter cost and calibration. */
function summarizePhrases(results: CaseResult[]) {
  const isPositive = (r: CaseResult): boolean => r.referencePhrases.length > 0;
  type Key = 'transcriptPhrases' | 'spotterPhrases' | 'spotterOnTranscriptPhrases' | 'either';
  const hit = (r: CaseResult, key: Key): boolean =>
    r.referencePhrases.every((p) =>
      (key === 'either' ? [...r.transcriptPhrases, ...r.spotterPhrases] : (r[key] ?? [])).includes(p),
    );
  const rate = (cases: CaseResult[], key: Key) => cases.filter((r) => hit(r, key)).length / Math.max(1, cases.length);
  const group = (name: string, cases: CaseResult[]) => {
    const positives = cases.filter(isPositive);
    const near = cases.filter((r) => r.group === 'phrase_near_miss');
    return {
      name,
      positives: positives.length,
      recallTranscript: rate(positives, 'transcriptPhrases'),
      recallSpotter: rate(positives, 'spotterPhrases'),
      recallEither: rate(positives, 'either'),
      recallSpotterOnTranscript: rate(positives, 'spotterOnTranscriptPhrases'),
      nearMissFalseAlarmsSpotterOnTranscript: near
        .filter((r) => (r.spotterOnTranscriptPhrases ?? []).length > 0)
        .map((r) => r.id),
      nearMisses: near.length,
      nearMissFalseAlarmsTranscript: near.filter((r) => r.transcriptPhrases.length > 0).map((r) => r.id),
      nearMissFalseAlarmsSpotter: near.filter((r) => r.spotterPhrases.length > 0).map((r) => r.id),
    };
  };
  const generated = results.filter((r) => r.voiceFamily !== undefined);
  const groups = [
    ...PHRASE_FAMILIES.flatMap((family) =>
      (['tune', 'heldout'] as const).map((split) =>
        group(
          `${family} (${split})`,
          generated.filter((r) => r.voiceFamily === family && r.voiceSplit === split),
        ),
      ),
    ),
    group(
      'natural TTS, held-out voices (flite slt, festival slt_hts, ked)',
      generated.filter((r) => r.voiceFamily !== 'espeak' && r.voiceSplit === 'heldout'),
    ),
    group(
      'natural TTS, all (flite + festival)',
      generated.filter((r) => r.voiceFamily !== 'espeak'),
    ),
    group('all generated', generated),
  ].filter((g) => g.positives + g.nearMisses > 0);
  const real = results.filter((r) => r.source === 'real' && r.transcriptPhrases !== undefined);
  const realPositives = real.filter(isPositive);
  const realNegatives = real.filter((r) => !isPositive(r) && r.spotterCandidates !== undefined);
  const spotted = results.filter((r) => r.spotterMs !== undefined && r.source === 'real');
  const spotSec = spotted.reduce((sum, r) => sum + r.durationSec, 0);
  // Calibration: the highest score a tuning near miss reaches among candidates verification lets through.
  const tuneNear = generated.filter((r) => r.voiceSplit === 'tune' && r.group === 'phrase_near_miss');
  const calibration = DEFAULT_WAKE_PHRASES.map((phrase) => {
    const nearScores = tuneNear.flatMap((r) =>
      (r.spotterCandidates ?? [])
        .filter(
          (c) =>
            c.phrase === phrase.phrase && (c.heardByDecoder || (c.boundaryGapSec ?? 0) <= DEFAULT_MAX_BOUNDARY_GAP_SEC),
        )
        .map((c) => c.score),
    );
    const highest = nearScores.length ? Math.max(...nearScores) : null;
    return {
      phrase: phrase.phrase,
      highestTuneNearMissScore: highest,
      suggestedMinScore: highest === null ? null : Number((highest + SPOT_MIN_SCORE_MARGIN).toFixed(3)),
      minScore: minScoreOf(phrase),
    };
  });
  return {
    groups,
    realPositives: realPositives.map((r) => ({
      id: r.id,
      phrases: r.referencePhrases,
      transcript: r.transcriptPhrases,
      spotter: r.spotterPhrases,
    })),
    realFalseAlarmsSpotter: realNegatives
      .filter((r) => r.spotterPhrases.length > 0)
      .map((r) => `${r.id}: ${r.spotterPhrases.join(', ')}`),
    realFalseAlarmsSpotterOnTranscript: realNegatives
      .filter((r) => (r.spotterOnTranscriptPhrases ?? []).length > 0)
      .map((r) => `${r.id}: ${r.spotterOnTranscriptPhrases!.join(', ')}`),
    realFalseAlarmsTranscript: realNegatives
      .filter((r) => r.transcriptPhrases.length > 0)
      .map((r) => `${r.id}: ${r.transcriptPhrases.join(', ')}`),
    realNegatives: realNegatives.length,
    realCandidatesRejected: realNegatives.reduce(
      (n, r) => n + (r.spotterCandidates ?? []).filter((c) => !c.accepted).length,
      0,
    ),
    spotterMsPer30s: spotSec > 0 ? (spotted.reduce((sum, r) => sum + r.spotterMs!, 0) / spotSec) * 30 : NaN,
    calibration,
  };
}

function phraseMarkdown(summary: ReturnType<typeof summarizePhrases>): string {
  const list = (ids: string[]): string => (ids.length ? `${ids.length} (${ids.join(', ')})` : '0');
  const rows = summary.groups.map(
    (g) =>
      `| ${g.name} | ${g.positives} | ${pct(g.recallTranscript)} | ${pct(g.recallSpotter)} | ${pct(g.recallEither)} | ${g.nearMisses} | ${list(g.nearMissFalseAlarmsTranscript)} | ${list(g.nearMissFalseAlarmsSpotter)} | ${pct(g.recallSpotterOnTranscript)} / ${g.nearMissFalseAlarmsSpotterOnTranscript.length} |`,
  );
  return [
    '### Wake phrases by voice family',
    '',
    '| voices | wake cases | recall transcript | recall spotter | recall either | near misses | near-miss FA transcript | near-miss FA spotter | spotter verified on the transcript: recall / near-miss FA |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `- Real clips with a wake phrase: ${summary.realPositives.map((r) => `${r.id} (${r.phrases.join(', ')}) → transcript ${r.transcript.join(', ') || '-'} / spotter ${r.spotter.join(', ') || '-'}`).join('; ') || 'none'}`,
    `- False alarms on the ${summary.realNegatives} real English clips without a phrase: spotter ${summary.realFalseAlarmsSpotter.join('; ') || 'none'} (${summary.realCandidatesRejected} candidates rejected by verification); spotter verified on the transcript ${summary.realFalseAlarmsSpotterOnTranscript.join('; ') || 'none'}; transcript ${summary.realFalseAlarmsTranscript.join('; ') || 'none'}`,
    `- Keyword spotting with verification: ${summary.spotterMsPer30s.toFixed(0)} ms per 30 s of real audio`,
    `- Calibration, per phrase: highest near-miss score on the tuning voices that verification lets through, suggested minimum (+${SPOT_MIN_SCORE_MARGIN}), minimum in use: ${summary.calibration.map((c) => `${c.phrase} ${c.highestTuneNearMissScore?.toFixed(3) ?? '-'}, ${c.suggestedMinScore ?? '-'}, ${c.minScore}`).join('; ')}`,
    '',
  ].join('\n');
}

function markdown(summary: ReturnType<typeof summarize>, results: CaseResult[], transcriberName: string): string {
  const rows: Array<[string, string, string]> = [
    [
      'VAD frame F1, real speech clips (mean; jfk, librispeech, pyannote, falcon, cobra, alexa)',
      summary.vadF1RealSpeechMean.toFixed(3),
      '≥ 0.93',
    ],
    [
      'VAD frame F1, same clips, exact sequential Silero (lanes 1)',
      summary.vadF1RealSpeechMeanSingleLane.toFixed(3),
      '',
    ],
    ['VAD frame F1, AMI meeting clips (room sounds unlabelled: lenient)', summary.vadF1AmiMean.toFixed(3), ''],
    ['VAD frame F1, generated espeak speech (clean and mixed)', summary.vadF1GeneratedMean.toFixed(3), ''],
    ['Max speech found in a noise/music/typing-only clip', `${summary.maxSpeechSecInNonSpeech.toFixed(2)} s`, '< 1 s'],
    [`Speaker count exact (${summary.speakerCountCases} clips)`, pct(summary.speakerCountExact), '≥ 80 %'],
    [
      '… real clips / generated clips',
      `${pct(summary.speakerCountExactReal)} / ${pct(summary.speakerCountExactGenerated)}`,
      '',
    ],
    [
      `More-than-one-voice recall (${summary.moreThanOneVoiceCases} clips)`,
      pct(summary.moreThanOneVoiceRecall),
      '≥ 95 %',
    ],
    [
      `More-than-one-voice false alarms (${summary.singleVoiceCases} one-voice clips)`,
      pct(summary.moreThanOneVoiceFalseAlarmRate),
      '≤ 5 %',
    ],
    [`WER ${transcriberName}, real clips`, summary.werReal.map((w) => `${w.id} ${w.wer}`).join('; '), ''],
    [`WER ${transcriberName}, generated espeak`, summary.werGeneratedMean.toFixed(3), ''],
    [
      `Wake-phrase recall, ${transcriberName} transcript (${summary.phrasePositives} clips)`,
      pct(summary.phraseRecallTranscript),
      '≥ 95 %',
    ],
    ['Wake-phrase recall, pocketsphinx keyword spotting', pct(summary.phraseRecallSpotter), ''],
    ['Wake-phrase recall, either', pct(summary.phraseRecallEither), ''],
    [
      'Wake-phrase recall, matcher on the exact transcript (Whisper-grade input)',
      pct(summary.phraseRecallOracleTranscript),
      '',
    ],
    [
      `Near-miss false alarms (${summary.nearMissCases} clips): transcript / spotter / exact transcript`,
      `${summary.nearMissFalseAlarmsTranscript} / ${summary.nearMissFalseAlarmsSpotter} / ${summary.nearMissFalseAlarmsOracle}`,
      '0',
    ],
    [
      `False alarms on other generated speech (${summary.generatedNegativeCases} clips): transcript / spotter`,
      `${summary.falseAlarmsTranscriptGenerated} / ${summary.falseAlarmsSpotterGenerated}`,
      '',
    ],
    ...summary.flags.map((f): [string, string, string] => [
      `Flag ${f.type}: found in cases made for it / raised on the ${f.otherCases} other cases`,
      `${f.hits.length} of ${f.hits.length + f.misses.length}${f.misses.length ? ` (missed ${f.misses.join(', ')})` : ''} / ${f.falseAlarms.length}${f.falseAlarms.length ? ` (${f.falseAlarms.join(', ')})` : ''}`,
      '',
    ]),
    [
      `False alarms on real clips without phrases (${summary.realNoPhraseCases}): spotter`,
      summary.falseAlarmsSpotterReal.join('; ') || 'none',
      '',
    ],
  ];
  const table = [
    '| metric | measured | target |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const perClip = [
    '| case | speakers ref/found (conf) | speech s | VAD F1 | WER | phrases ref → transcript / spotter |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.id} | ${r.referenceSpeakers ?? '?'}/${r.detectedSpeakers} (${r.speakerConfidence.toFixed(2)}) | ${r.speechSec.toFixed(1)} | ${r.vadF1?.toFixed(3) ?? ''} | ${r.wer?.toFixed(2) ?? ''} | ${r.referencePhrases.join(',') || '-'} → ${r.transcriptPhrases.join(',') || '-'} / ${r.spotterPhrases.join(',') || '-'} |`,
    ),
  ].join('\n');
  return `${table}\n\n<details><summary>Per case</summary>\n\n${perClip}\n\n</details>\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      'no-transcribe': { type: 'boolean' },
      'models-dir': { type: 'string' },
      ...TRANSCRIBER_ARGS,
      'no-generated': { type: 'boolean' },
      only: { type: 'string' },
    },
  });
  if (values.only !== undefined && values.only !== 'phrases')
    throw new Error(`--only takes "phrases", not ${values.only}`);
  const phrasesOnly = values.only === 'phrases';
  ensureEvalTools();
  const dataDir = path.resolve(
    values.data ?? process.env.EARSHOT_EVALDATA ?? path.join(REPO_ROOT, '../shared/evaldata'),
  );
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'eval/results'));
  // --transcriber openai|whisper-cpp (with their options, as for `earshot analyze`) measures another engine.
  const choice = values['no-transcribe']
    ? false
    : transcriberConfig(
        values,
        values['models-dir'] ?? process.env.EARSHOT_MODELS_DIR ?? defaultModelsDir(REPO_ROOT),
        process.env.OPENAI_API_KEY,
      );
  // A whisper-cpp choice without its model or binary is pocketsphinx, and says so.
  const transcriber = choice ? createTranscriber(choice) : undefined;
  if (transcriber?.notice) process.stderr.write(`eval: ${transcriber.notice}\n`);
  const manifest = JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')) as { clips: ManifestClip[] };
  const vad = await createSileroVad();
  const exactVad = await createSileroVad({ lanes: 1 });
  const results: CaseResult[] = [];
  const startedMs = Date.now();
  for (const clip of manifest.clips) {
    const gt = clip.ground_truth;
    results.push(
      await evaluateCase(
        {
          id: clip.id,
          file: path.join(dataDir, clip.file),
          source: 'real',
          group: clip.tags.includes('no_speech') ? 'noise_only' : 'real',
          ...(gt.num_speakers !== undefined ? { numSpeakers: gt.num_speakers } : {}),
          ...(gt.speech_intervals ? { speech: gt.speech_intervals } : {}),
          ...(gt.transcript ? { transcript: gt.transcript } : {}),
          phrases: (gt.phrases_present ?? []).map((p) => p.phrase.toLowerCase()),
          english: !clip.tags.includes('spanish'),
        },
        vad,
        exactVad,
        transcriber,
        phrasesOnly,
      ),
    );
    process.stderr.write(`real ${clip.id} done (${((Date.now() - startedMs) / 1000).toFixed(0)} s)\n`);
  }
  const tempDir = mkdtempSync(path.join(tmpdir(), 'earshot-eval-'));
  try {
    const generated: GeneratedCase[] = values['no-generated']
      ? []
      : generateCases(tempDir, phrasesOnly ? { only: 'phrases' } : {});
    for (const c of generated) {
      results.push(
        await evaluateCase(
          {
            id: c.id,
            file: c.file,
            source: 'generated',
            group: c.group,
            numSpeakers: c.numSpeakers,
            speech: c.speechIntervals,
            transcript: c.transcript,
            phrases: c.phrases,
            english: true,
            ...(c.expectedFlags ? { expectedFlags: c.expectedFlags } : {}),
            ...(c.voice ? { voice: c.voice } : {}),
            ...(c.voiceSplit ? { voiceSplit: c.voiceSplit } : {}),
          },
          vad,
          exactVad,
          transcriber,
          phrasesOnly,
        ),
      );
    }
    process.stderr.write(
      `generated ${generated.length} cases done (${((Date.now() - startedMs) / 1000).toFixed(0)} s)\n`,
    );
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
    await vad.close();
    await exactVad.close();
  }
  mkdirSync(outDir, { recursive: true });
  const phraseSummary = summarizePhrases(results);
  const dataDirName = path.relative(REPO_ROOT, dataDir);
  if (phrasesOnly) {
    writeFileSync(
      path.join(outDir, 'phrase-eval.json'),
      `${JSON.stringify({ dataDir: dataDirName, transcriber: transcriber?.engine ?? null, phraseSummary, results }, null, 2)}\n`,
    );
    const md = phraseMarkdown(phraseSummary);
    writeFileSync(path.join(outDir, 'phrase-eval.md'), md);
    process.stdout.write(md);
    return;
  }
  const summary = summarize(results);
  writeFileSync(
    path.join(outDir, 'analysis-eval.json'),
    `${JSON.stringify({ dataDir: dataDirName, transcriber: transcriber?.engine ?? null, summary, phraseSummary, results }, null, 2)}\n`,
  );
  const md = `${markdown(summary, results, transcriber?.engine ?? 'no')}\n${phraseMarkdown(phraseSummary)}`;
  writeFileSync(path.join(outDir, 'analysis-eval.md'), md);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`eval: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
