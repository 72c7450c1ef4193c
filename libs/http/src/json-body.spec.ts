import { unstorableJson } from './json-body';

describe('unstorableJson', () => {
  it('accepts ordinary values up to the depth limit', () => {
    expect(unstorableJson({ a: [1, { b: 'text\nwith lines' }], c: null }, 3)).toBeUndefined();
    expect(unstorableJson('plain', 1)).toBeUndefined();
  });

  it('finds nesting beyond the limit without recursing', () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(unstorableJson(deep, 32)).toBe('nested deeper than 32 levels');
    expect(unstorableJson({ a: { b: {} } }, 2)).toBe('nested deeper than 2 levels');
  });

  it('finds U+0000 in keys and strings at any depth', () => {
    expect(unstorableJson({ a: [{ b: 'x\u0000' }] }, 10)).toBe('a string contains U+0000');
    expect(unstorableJson({ a: { 'k\u0000': 1 } }, 10)).toBe('a key contains U+0000');
  });
});
