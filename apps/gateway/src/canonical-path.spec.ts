import { canonicalPath, isCanonicalTarget } from './canonical-path';

describe('canonical request paths', () => {
  it.each([
    ['/api/audio/upload%2Dchunk', '/api/audio/upload-chunk'],
    ['/api/audio/%75pload-chunk', '/api/audio/upload-chunk'],
    ['/api/%61udio/upload-chunk', '/api/audio/upload-chunk'],
    ['/api/audio/./upload-chunk', '/api/audio/upload-chunk'],
    ['/api/audio/%2e/upload-chunk', '/api/audio/upload-chunk'],
    ['/api/audio/x/%2E%2E/upload-chunk', '/api/audio/upload-chunk'],
    ['/api/audio/x/../../../../upload-chunk', '/upload-chunk'],
    ['/api/audio\\upload-chunk', '/api/audio/upload-chunk'],
    ['/api/audio/%7e', '/api/audio/~'],
    // Escapes of reserved or non-ASCII characters keep their meaning and stay escaped.
    ['/files/a%20b', '/files/a%20b'],
    ['/files/%C3%A9t%C3%A9', '/files/%C3%A9t%C3%A9'],
    ['/files/a%3Fb', '/files/a%3Fb'],
    // `%25` is `%` itself: decoding it would make a new escape out of what follows.
    ['/files/%2541', '/files/%2541'],
  ])('spells %s as %s', (path, canonical) => {
    expect(canonicalPath(path)).toBe(canonical);
  });

  it.each(['/api/audio%2Fupload-chunk', '/api/audio%2fx', '/api/audio%5Cx', '/api/%zz', '/api/%4'])('has no canonical spelling for %s', (path) => {
    expect(canonicalPath(path)).toBeUndefined();
  });

  it.each(['/api/audio/upload-chunk', '/api/audio/upload-chunk?x=%2F..%2F&y=./z', '/socket.io/?EIO=4&transport=polling&t=abc', '/', '/assets/index-abc.js'])(
    'accepts the canonical target %s',
    (target) => {
      expect(isCanonicalTarget(target)).toBe(true);
    },
  );

  it.each(['/api/audio/./upload-chunk?x=1', '/api/audio/upload-chunk#x', 'http://gateway/api/audio/upload-chunk', '*', '/api/audio/%75pload-chunk'])(
    'refuses the target %s',
    (target) => {
      expect(isCanonicalTarget(target)).toBe(false);
    },
  );
});
