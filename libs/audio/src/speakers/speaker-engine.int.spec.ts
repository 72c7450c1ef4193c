import { writeFileSync } from 'node:fs';
import { createFixtureDir, type FixtureDir } from '../../test/audio-fixtures';
import { clusterEmbeddings } from './sherpa-onnx.speakers';
import { createSpeakerEngine } from './speaker-engine';
import { findOtherVoices } from './session-voices';

describe('speaker engine selection', () => {
  let fx: FixtureDir;
  beforeAll(() => (fx = createFixtureDir()));
  afterAll(() => fx.remove());

  it('defaults to mfcc-bic', async () => {
    expect((await createSpeakerEngine()).engine).toBe('mfcc-bic');
  });

  it('falls back to mfcc-bic with a notice when the sherpa-onnx model is missing', async () => {
    const engine = await createSpeakerEngine({ engine: 'sherpa-onnx', modelPath: fx.file('absent.onnx') });
    expect(engine.engine).toBe('mfcc-bic');
    expect(engine.notice).toMatch(/not found/);
    const result = await engine.analyze(new Float32Array(16000), []);
    expect(result.notice).toMatch(/sherpa-onnx speaker engine unavailable/);
  });

  it('falls back instead of crashing the process on a file that is not a model', async () => {
    const bad = fx.file('bad.onnx');
    writeFileSync(bad, 'not a model');
    const engine = await createSpeakerEngine({ engine: 'sherpa-onnx', modelPath: bad });
    expect(engine.engine).toBe('mfcc-bic');
    expect(engine.notice).toMatch(/does not load/);
  });
});

describe('embedding clustering (sherpa-onnx engine logic)', () => {
  const piece = (startSec: number, embedding: number[]) => ({
    startSec,
    endSec: startSec + 1.5,
    embedding: Float32Array.from(embedding),
  });

  it('groups similar embeddings and keeps dissimilar voices apart', () => {
    const pieces = [
      piece(0, [1, 0.1, 0]),
      piece(1.5, [0.9, 0.2, 0]),
      piece(3, [0, 1, 0.1]),
      piece(4.5, [0.1, 0.9, 0]),
      piece(6, [1, 0, 0.1]),
    ];
    const { clusters } = clusterEmbeddings(pieces, 0.5, 1.5);
    expect(clusters.map((c) => c.pieces.sort()).sort()).toEqual([
      [0, 1, 4],
      [2, 3],
    ]);
  });

  it('folds a voice with too little speech into the most similar one', () => {
    const pieces = [
      piece(0, [1, 0]),
      piece(1.5, [1, 0.1]),
      { startSec: 3, endSec: 3.5, embedding: Float32Array.from([0, 1]) },
    ];
    expect(clusterEmbeddings(pieces, 0.5, 1.5).clusters).toHaveLength(1);
  });

  it('compares session voices by embedding when the engine gives embeddings', () => {
    const voice = (speaker: number, embedding: number[], speechSec = 6) => ({ speaker, speechSec, embedding });
    const result = findOtherVoices([
      { chunkIndex: 0, chunkStartSec: 0, voices: [voice(0, [1, 0, 0])] },
      {
        chunkIndex: 1,
        chunkStartSec: 30,
        voices: [voice(0, [0.95, 0.1, 0]), voice(1, [0, 1, 0], 3)],
        turns: [{ speaker: 1, startSec: 12, endSec: 15 }],
      },
    ]);
    expect(result.otherVoices).toEqual([expect.objectContaining({ chunkIndex: 1, speaker: 1, startSec: 42 })]);
  });
});
