import { ApiError, createApiClient, isRetryableFailure } from './api-client';

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 't', status, code }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });

describe('the API client', () => {
  it('sends the text fields before the file, with a fresh token each time', async () => {
    const seen: { headers: Headers; fields: string[] }[] = [];
    let calls = 0;
    const api = createApiClient({
      baseUrl: 'http://gateway/',
      getToken: async () => `token-${++calls}`,
      fetch: async (_url, init) => {
        const form = init!.body as FormData;
        seen.push({ headers: new Headers(init!.headers), fields: [...form.keys()] });
        return new Response(JSON.stringify({ chunk: {}, duplicate: false }), { status: 201 });
      },
    });
    const audio = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])], { type: 'audio/webm' });
    await api.uploadChunk({ sessionId: 's', chunkIndex: 2, startTimeSec: 60, durationSec: 30, audio });
    await api.uploadChunk({ sessionId: 's', chunkIndex: 3, startTimeSec: 90, audio });
    expect(seen[0]!.fields).toEqual(['session_id', 'chunk_index', 'start_time', 'duration', 'audio_chunk']);
    expect(seen[1]!.fields).toEqual(['session_id', 'chunk_index', 'start_time', 'audio_chunk']);
    expect(seen.map((call) => call.headers.get('authorization'))).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('turns problem+json into ApiError with the code and Retry-After, network failures into status 0', async () => {
    const answers = [problem(429, 'RATE_LIMITED', { 'retry-after': '7' }), problem(409, 'CHUNK_CONFLICT')];
    const api = createApiClient({
      getToken: () => 't',
      fetch: async () => {
        const next = answers.shift();
        if (!next) throw new TypeError('Failed to fetch');
        return next;
      },
    });
    const input = { sessionId: 's', chunkIndex: 0, startTimeSec: 0, audio: new Blob(['x']) };
    await expect(api.uploadChunk(input)).rejects.toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      retryAfterMs: 7_000,
      retryable: true,
    });
    await expect(api.uploadChunk(input)).rejects.toMatchObject({
      status: 409,
      code: 'CHUNK_CONFLICT',
      retryable: false,
    });
    await expect(api.uploadChunk(input)).rejects.toMatchObject({ status: 0, code: 'NETWORK', retryable: true });
  });

  it('retries only what may succeed later', () => {
    const retryable = (status: number, code: string) =>
      new ApiError(status, code, '').retryable && isRetryableFailure(status, code);
    expect(retryable(0, 'NETWORK')).toBe(true);
    expect(retryable(429, 'RATE_LIMITED')).toBe(true);
    expect(retryable(409, 'UPLOAD_IN_PROGRESS')).toBe(true);
    for (const status of [500, 502, 503, 504]) expect(retryable(status, 'UNAVAILABLE')).toBe(true);
    for (const [status, code] of [
      [400, 'VALIDATION'],
      [401, 'UNAUTHENTICATED'],
      [403, 'FORBIDDEN'],
      [409, 'CHUNK_CONFLICT'],
      [409, 'SESSION_CLOSED'],
      [413, 'PAYLOAD_TOO_LARGE'],
      [415, 'UNSUPPORTED_MEDIA'],
    ] as const) {
      expect({ status, code, retryable: retryable(status, code) }).toEqual({ status, code, retryable: false });
    }
  });
});
