import { detectWakeWindows, planWakeRegions } from './embedding.spotter';
import { EMBEDDING_DIM, EMBEDDING_HOP_SEC } from './speech-embedding';
import { createWakeHead, decodeFloat32, encodeFloat32, ensembleOf, type WakeHeadModel } from './wake-head';
import { phrasesLeftToPocketsphinx } from '../pipeline/stages';
import { buildPhraseList } from './phrases.types';

/**
 * A head whose class scores read embedding dimension 0 of the window's first embedding: a value of k (1..2) makes
 * class k almost certain, 0 makes "none" certain. Enough to drive the detection logic exactly.
 */
function probeHead(): ReturnType<typeof createWakeHead> {
  const windowEmbeddings = 2;
  const input = windowEmbeddings * EMBEDDING_DIM;
  const hidden = 2;
  const w1 = new Float32Array(hidden * input);
  // hidden 0 = relu(x0 - 0.5) * 2 ~ "class 1 or 2", hidden 1 = relu(x0 - 1.5) * 2 ~ "class 2"
  w1[0] = 1;
  w1[input] = 1;
  const classes = ['none', 'alexa', 'hey siri'];
  const w2 = new Float32Array(classes.length * hidden);
  // logits: none 0; alexa 24.4*h0 - 80*h1 - 10 (p 0.9 at x0 = 1); hey siri 80*h1 - 10 (p 1.0 at x0 = 2)
  w2[1 * hidden + 0] = 24.4;
  w2[1 * hidden + 1] = -80;
  w2[2 * hidden + 1] = 80;
  const model: WakeHeadModel = {
    version: 1,
    classes,
    windowEmbeddings,
    hidden,
    mean: new Array<number>(EMBEDDING_DIM).fill(0),
    std: new Array<number>(EMBEDDING_DIM).fill(1),
    w1: encodeFloat32(w1),
    b1: [-0.5, -1.5],
    w2: encodeFloat32(w2),
    b2: [0, -10, -10],
    thresholds: { alexa: 0.5, 'hey siri': 0.5 },
    minWindows: 2,
  };
  return createWakeHead(model);
}

function embeddingsWith(values: number[]) {
  const data = new Float32Array(values.length * EMBEDDING_DIM);
  values.forEach((v, i) => (data[i * EMBEDDING_DIM] = v));
  return { data, count: values.length };
}

describe('wake head', () => {
  it('round-trips float32 weights through base64 exactly', () => {
    const values = Float32Array.from([0.1, -2.5, 3e-8, 12345.678]);
    expect(Array.from(decodeFloat32(encodeFloat32(values)))).toEqual(Array.from(values));
  });

  it('refuses weights that do not match the declared sizes', () => {
    const model = { ...probeHead().model, hidden: 3 };
    expect(() => createWakeHead(model)).toThrow(/sizes/);
  });

  it('gives one probability per class and window, summing to 1', () => {
    const { probabilities, windows } = probeHead().scoreWindows(embeddingsWith([0, 1, 2, 0]));
    expect(windows).toBe(3);
    for (let j = 0; j < windows; j++) {
      const row = Array.from(probabilities.subarray(j * 3, j * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(probabilities[0]).toBeGreaterThan(0.99); // window 0: none
    expect(probabilities[3 + 1]).toBeGreaterThan(0.85); // window 1: alexa
    expect(probabilities[6 + 2]).toBeGreaterThan(0.99); // window 2: hey siri
  });

  it('averages the probabilities of an ensemble of heads', () => {
    const one = probeHead().model;
    // A second head that always says "none": the ensemble's probabilities are the mean of both.
    const none: WakeHeadModel = { ...one, b2: [30, -30, -30] };
    const input = embeddingsWith([0, 1, 2, 0]);
    const a = createWakeHead(one).scoreWindows(input).probabilities;
    const b = createWakeHead(none).scoreWindows(input).probabilities;
    const both = createWakeHead(ensembleOf(one, [none])).scoreWindows(input).probabilities;
    both.forEach((p, i) => expect(p).toBeCloseTo((a[i]! + b[i]!) / 2, 6));
    expect(both[3 + 1]).toBeLessThan(0.5); // alexa, certain in one head, is halved
    expect(() => ensembleOf(one, [{ ...none, classes: ['none', 'x', 'y'] }])).toThrow(/share/);
  });
});

describe('detectWakeWindows', () => {
  const head = probeHead();

  it('reports a run of windows at least minWindows long, inside the windows it covers', () => {
    const found = detectWakeWindows(head, embeddingsWith([0, 0, 1, 1, 1, 0, 0, 0]), head.model.thresholds, 2, 10);
    expect(found).toHaveLength(1);
    expect(found[0]!.phrase).toBe('alexa');
    expect(found[0]!.probability).toBeCloseTo(0.9, 1);
    // windows 2-4: the phrase lies after the last window's start and before the first window's end
    expect(found[0]!.startSec).toBeGreaterThanOrEqual(10 + 2 * EMBEDDING_HOP_SEC - 0.1);
    expect(found[0]!.endSec).toBeLessThanOrEqual(10 + 2 * EMBEDDING_HOP_SEC + head.windowSpanSec);
    expect(found[0]!.endSec - found[0]!.startSec).toBeGreaterThanOrEqual(0.599);
  });

  it('ignores a single window above the threshold when two are needed', () => {
    expect(detectWakeWindows(head, embeddingsWith([0, 1, 0, 0, 0]), head.model.thresholds, 2)).toEqual([]);
    expect(detectWakeWindows(head, embeddingsWith([0, 1, 0, 0, 0]), head.model.thresholds, 1)).toHaveLength(1);
  });

  it('keeps the more probable phrase where two fire on the same stretch, and only phrases given a threshold', () => {
    const values = [0, 1, 1, 2, 2, 2, 0, 0];
    const both = detectWakeWindows(head, embeddingsWith(values), head.model.thresholds, 2);
    expect(both.map((d) => d.phrase)).toEqual(['hey siri']);
    expect(detectWakeWindows(head, embeddingsWith(values), { alexa: 0.5 }, 2).map((d) => d.phrase)).toEqual(['alexa']);
  });

  it('finds nothing in fewer embeddings than one window', () => {
    expect(detectWakeWindows(head, embeddingsWith([1]), head.model.thresholds, 1)).toEqual([]);
  });
});

describe('planWakeRegions', () => {
  it('pads speech with context, merges what touches and makes every region at least one window long', () => {
    const regions = planWakeRegions(
      [
        { startSec: 2, endSec: 3 },
        { startSec: 3.5, endSec: 4 },
        { startSec: 20, endSec: 20 },
      ],
      2.5,
    );
    expect(regions[0]).toEqual({ startSec: 1, endSec: 5 });
    // 19-21 is shorter than a window: it grows both ways
    expect(regions[1]).toEqual({ startSec: 18.725, endSec: 21.275 });
    expect(regions).toHaveLength(2);
  });

  it('reaches before the start of the input rather than cutting a phrase said at once', () => {
    const [region] = planWakeRegions([{ startSec: 0.05, endSec: 0.6 }], 1.975);
    expect(region!.startSec).toBeLessThan(0);
  });
});

describe('phrasesLeftToPocketsphinx', () => {
  it('leaves the wake phrases the neural spotter knows to it, and the watch phrases to pocketsphinx', () => {
    const phrases = buildPhraseList(['calculator']);
    const left = phrasesLeftToPocketsphinx(phrases, { phrases: ['hey siri', 'ok google', 'hey google', 'alexa'] });
    expect(left.map((p) => p.phrase)).toEqual(['hey cortana', 'calculator']);
    expect(phrasesLeftToPocketsphinx(phrases, undefined)).toHaveLength(phrases.length);
  });
});
