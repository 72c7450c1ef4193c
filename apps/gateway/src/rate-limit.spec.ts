import type { FastifyRequest } from 'fastify';
import { REDIS_KEYS } from '@earshot/contracts';
import { isChunkUpload, rateLimitKey } from './rate-limit';

const request = (method: string, url: string, userId = 'user-1') =>
  ({ method, url, principal: { userId, role: 'candidate', orgId: 'org-1' } }) as unknown as FastifyRequest;

describe('rate-limit buckets', () => {
  it.each(['/api/audio/upload-chunk', '/api/audio/upload-chunk/', '/api/audio//upload-chunk', '/API/audio/Upload-Chunk', '/api/audio/upload-chunk?x=1'])(
    'counts POST %s as a chunk upload',
    (url) => {
      expect(isChunkUpload(request('POST', url))).toBe(true);
      expect(rateLimitKey(request('POST', url))).toBe(REDIS_KEYS.uploadRate('user-1'));
    },
  );

  it.each([
    ['GET', '/api/audio/upload-chunk'],
    ['POST', '/api/audio/sessions'],
    ['POST', '/api/audio/upload-chunks'],
    ['POST', '/api/audio/upload-chunk/extra'],
  ])('counts %s %s in the general API bucket', (method, url) => {
    expect(isChunkUpload(request(method, url))).toBe(false);
    expect(rateLimitKey(request(method, url))).toBe('audio:rate:api:user-1');
  });

  it('needs an authenticated caller', () => {
    expect(() => rateLimitKey({ method: 'POST', url: '/api/audio/upload-chunk', principal: null } as unknown as FastifyRequest)).toThrow('A valid bearer token is required');
  });
});
