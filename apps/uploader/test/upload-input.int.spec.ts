import { ERRORS } from '@earshot/contracts';
import {
  jsonOf,
  makeSpeechChunk,
  makeSpeechChunkIn,
  rawMultipart,
  sendRaw,
  type RawPart,
  type RawRequest,
  type RawResponse,
} from '@earshot/testing';
import { startUploader, type UploaderHarness } from './uploader-harness';

/**
 * Malformed input on every uploader route: each gets a stable 4xx problem+json with a catalogue code, and a
 * rejected upload leaves neither a row nor an object. Requests go over a bare socket so nothing repairs them.
 */
let uploader: UploaderHarness;
let candidate: string;
let chunk: Buffer;

beforeAll(async () => {
  uploader = await startUploader();
  candidate = await uploader.token();
  chunk = (await makeSpeechChunk({ text: 'Hostile input makes robust servers.', durationSec: 2 })).bytes;
}, 60_000);

afterAll(async () => {
  await uploader?.close();
});

const send = (request: RawRequest) =>
  sendRaw(uploader.baseUrl, {
    ...request,
    headers: [['Authorization', `Bearer ${candidate}`], ...(request.headers ?? [])],
  });

const postJson = (path: string, body: string, method = 'POST') =>
  send({ method, path, headers: [['Content-Type', 'application/json']], body: Buffer.from(body, 'utf8') });

const newSession = async (): Promise<string> => {
  const created = await postJson('/api/audio/sessions', JSON.stringify({ test_session_id: 'exam-input' }));
  expect(created.status).toBe(201);
  return jsonOf(created)!.id as string;
};

const field = (name: string, value: string): RawPart => ({ name, value });
const filePart = (bytes: Buffer = chunk, name = 'audio_chunk'): RawPart => ({
  name,
  filename: 'chunk.webm',
  contentType: 'audio/webm',
  value: bytes,
});
const fieldsFor = (sessionId: string, index = '0', startTime = '0'): RawPart[] => [
  field('session_id', sessionId),
  field('chunk_index', index),
  field('start_time', startTime),
];

const postMultipart = (built: { body: Buffer; contentType: string }, extra: Partial<RawRequest> = {}) =>
  send({ path: '/api/audio/upload-chunk', headers: [['Content-Type', built.contentType]], body: built.body, ...extra });

function expectProblem(response: RawResponse, status: number, code: keyof typeof ERRORS): void {
  const body = jsonOf(response);
  expect({ status: response.status, code: body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(ERRORS[code].status).toBe(status);
}

async function expectNothingStored(sessionId: string): Promise<void> {
  expect(await uploader.chunkRows(sessionId)).toEqual([]);
  expect(await uploader.storage.listKeys(`audio/${sessionId}/`)).toEqual([]);
  expect(await uploader.storage.listKeys(`audio/${sessionId.toUpperCase()}/`)).toEqual([]);
}

describe('malformed multipart bodies answer 400 VALIDATION, never 500', () => {
  const cases: [string, (sessionId: string) => Promise<RawResponse>][] = [
    ['no closing delimiter', (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { close: false }))],
    [
      'the body ends inside the file part',
      (id) => {
        const full = rawMultipart([...fieldsFor(id), filePart()]);
        return postMultipart({ ...full, body: full.body.subarray(0, full.body.length - 500) });
      },
    ],
    [
      'the body ends inside a field',
      (id) => {
        const full = rawMultipart([...fieldsFor(id), filePart()]);
        return postMultipart({ ...full, body: full.body.subarray(0, 60) });
      },
    ],
    [
      'multipart/form-data without a boundary',
      (id) => postMultipart({ ...rawMultipart([...fieldsFor(id), filePart()]), contentType: 'multipart/form-data' }),
    ],
    [
      'a boundary the body does not use',
      (id) =>
        postMultipart({
          ...rawMultipart([...fieldsFor(id), filePart()]),
          contentType: 'multipart/form-data; boundary=another-one',
        }),
    ],
    [
      'an empty boundary',
      (id) =>
        postMultipart({
          ...rawMultipart([...fieldsFor(id), filePart()]),
          contentType: 'multipart/form-data; boundary=',
        }),
    ],
    [
      'a boundary of 300 characters',
      (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { boundary: 'b'.repeat(300) })),
    ],
    ['LF-only line endings', (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { newline: '\n' }))],
    [
      'plain text under a multipart content type',
      () => postMultipart({ body: Buffer.from('just some words'), contentType: 'multipart/form-data; boundary=x' }),
    ],
    ['an empty body', () => postMultipart({ body: Buffer.alloc(0), contentType: 'multipart/form-data; boundary=x' })],
    [
      'a NUL byte in the duration',
      (id) => postMultipart(rawMultipart([...fieldsFor(id), field('duration', '1\u0000'), filePart()])),
    ],
    [
      'a NUL byte in the session id',
      (id) =>
        postMultipart(
          rawMultipart([
            field('session_id', `${id}\u0000`),
            field('chunk_index', '0'),
            field('start_time', '0'),
            filePart(),
          ]),
        ),
    ],
  ];
  it.each(cases)('%s', async (_label, run) => {
    const sessionId = await newSession();
    expectProblem(await run(sessionId), 400, 'VALIDATION');
    await expectNothingStored(sessionId);
  });

  it('a client that half-closes before its body is complete gets a problem answer', async () => {
    const sessionId = await newSession();
    const full = rawMultipart([...fieldsFor(sessionId), filePart()]);
    expectProblem(await postMultipart(full, { sendBytes: full.body.length - 500, halfClose: true }), 400, 'VALIDATION');
    await expect(
      poll(
        () => uploader.chunkRows(sessionId),
        (rows) => rows.length === 0,
      ),
    ).resolves.toEqual([]);
    await expectNothingStored(sessionId);
  });

  it('a client that disappears mid-file leaves nothing behind', async () => {
    const sessionId = await newSession();
    const full = rawMultipart([...fieldsFor(sessionId), filePart()]);
    const response = await postMultipart(full, { sendBytes: full.body.length - 500, timeoutMs: 500 });
    expect(response.status).toBe(0);
    await expect(
      poll(
        () => uploader.chunkRows(sessionId),
        (rows) => rows.length === 0,
      ),
    ).resolves.toEqual([]);
    await expectNothingStored(sessionId);
  });
});

describe('numbers are read only in their canonical spelling', () => {
  const badIndexes = [
    '1e3',
    '1.5',
    'true',
    '0x10',
    ' 7',
    '7 ',
    '+7',
    '-0',
    '-1',
    '07',
    `${'0'.repeat(2_000)}7`,
    '',
    '100000',
    'NaN',
    'Infinity',
    '\u0667',
    '7\n',
  ];
  it.each(badIndexes.map((value) => [JSON.stringify(value).slice(0, 40), value]))(
    'chunk_index %s is refused',
    async (_label, value) => {
      const sessionId = await newSession();
      expectProblem(await postMultipart(rawMultipart([...fieldsFor(sessionId, value), filePart()])), 400, 'VALIDATION');
      await expectNothingStored(sessionId);
    },
  );

  const badTimes = [
    'NaN',
    'Infinity',
    '-Infinity',
    '0x10',
    '',
    ' 1',
    '1 ',
    '1,5',
    '1e400',
    '-1',
    '+1',
    '1.',
    '.5',
    '01',
    '1e',
    'true',
    '604801',
  ];
  it.each(badTimes.map((value) => [JSON.stringify(value), value]))(
    'start_time %s is refused',
    async (_label, value) => {
      const sessionId = await newSession();
      expectProblem(
        await postMultipart(rawMultipart([...fieldsFor(sessionId, '0', value), filePart()])),
        400,
        'VALIDATION',
      );
      await expectNothingStored(sessionId);
    },
  );

  it.each(['0', '-1', 'NaN', '', '3601', '0x1'].map((value) => [JSON.stringify(value), value]))(
    'duration %s is refused',
    async (_label, value) => {
      const sessionId = await newSession();
      expectProblem(
        await postMultipart(rawMultipart([...fieldsFor(sessionId), field('duration', value), filePart()])),
        400,
        'VALIDATION',
      );
      await expectNothingStored(sessionId);
    },
  );

  it('stores canonical spellings under the index they name', async () => {
    const sessionId = await newSession();
    const good: [string, string, string | undefined, number, number][] = [
      ['0', '0', undefined, 0, 0],
      ['7', '12.5', '29.98', 7, 12.5],
      ['99999', '1e3', '30', 99_999, 1_000],
      ['10', '604800', '1E1', 10, 604_800],
    ];
    for (const [index, startTime, duration, expectedIndex, expectedStart] of good) {
      const parts = [
        ...fieldsFor(sessionId, index, startTime),
        ...(duration ? [field('duration', duration)] : []),
        filePart(),
      ];
      const response = await postMultipart(rawMultipart(parts));
      expect(response.status).toBe(201);
      expect(jsonOf(response)!.chunk).toMatchObject({ chunk_index: expectedIndex, start_time_seconds: expectedStart });
    }
    expect((await uploader.chunkRows(sessionId)).map((row) => row.chunkIndex)).toEqual([0, 7, 10, 99_999]);
  });

  it.each([
    ['null', 'null'],
    ['true', 'true'],
    ['a string', '"3"'],
    ['a fraction', '1.5'],
    ['negative', '-1'],
    ['an array', '[3]'],
    ['an object', '{}'],
    ['too large', '100001'],
  ])('total_chunks %s is refused', async (_label, value) => {
    const sessionId = await newSession();
    expectProblem(
      await postJson('/api/audio/session-complete', `{"session_id":"${sessionId}","total_chunks":${value}}`),
      400,
      'VALIDATION',
    );
    const session = jsonOf(await send({ method: 'GET', path: `/api/audio/sessions/${sessionId}` }));
    expect(session).toMatchObject({ status: 'recording', total_chunks: null });
  });
});

describe('a multipart body says everything exactly once, fields before the file', () => {
  const upload = (parts: (sessionId: string) => RawPart[]) => async (sessionId: string) =>
    postMultipart(rawMultipart(parts(sessionId)));
  const cases: [string, number, 'VALIDATION' | 'FIELD_ORDER', (sessionId: string) => Promise<RawResponse>][] = [
    [
      'the same field twice with one value',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), field('chunk_index', '0'), filePart()]),
    ],
    [
      'the same field twice with two values',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id, '1'), field('chunk_index', '2'), filePart()]),
    ],
    ['session_id twice', 400, 'VALIDATION', upload((id) => [field('session_id', id), ...fieldsFor(id), filePart()])],
    ['an unknown field', 400, 'VALIDATION', upload((id) => [...fieldsFor(id), field('chunk_idx', '0'), filePart()])],
    [
      'a field named __proto__',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), field('__proto__', '0'), filePart()]),
    ],
    [
      'a part whose Content-Disposition has no name',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), { headerLines: ['Content-Disposition: form-data'], value: 'x' }, filePart()]),
    ],
    [
      'a nameless part after the file',
      400,
      'FIELD_ORDER',
      upload((id) => [...fieldsFor(id), filePart(), { headerLines: ['Content-Disposition: form-data'], value: 'x' }]),
    ],
    [
      'a text part named audio_chunk',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), field('audio_chunk', 'bytes')]),
    ],
    [
      'a file part with another name',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), filePart(chunk, 'recording')]),
    ],
    [
      'a JSON field',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), { name: 'duration', contentType: 'application/json', value: '3' }, filePart()]),
    ],
    [
      'a field value of 2,000 characters',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), field('duration', `3${' '.repeat(1_999)}`), filePart()]),
    ],
    [
      'a field after the file',
      400,
      'FIELD_ORDER',
      upload((id) => [...fieldsFor(id), filePart(), field('duration', '2')]),
    ],
    [
      'a required field only after the file',
      400,
      'FIELD_ORDER',
      upload((id) => [field('session_id', id), field('chunk_index', '0'), filePart(), field('start_time', '0')]),
    ],
    [
      'an unknown field after the file',
      400,
      'FIELD_ORDER',
      upload((id) => [...fieldsFor(id), filePart(), field('comment', 'hi')]),
    ],
    ['a second file part', 400, 'VALIDATION', upload((id) => [...fieldsFor(id), filePart(), filePart()])],
    [
      'a second file part with another name',
      400,
      'VALIDATION',
      upload((id) => [...fieldsFor(id), filePart(), filePart(chunk, 'other')]),
    ],
  ];
  it.each(cases)('%s is refused and nothing is stored or announced', async (_label, status, code, run) => {
    const sessionId = await newSession();
    expectProblem(await run(sessionId), status, code);
    await expectNothingStored(sessionId);
    expect(uploader.published.filter((event) => event.target.sessionId === sessionId)).toEqual([]);
  });

  it('a retry of a stored chunk with a field after the file is refused and changes nothing', async () => {
    const sessionId = await newSession();
    const stored = await postMultipart(rawMultipart([...fieldsFor(sessionId), filePart()]));
    expect(stored.status).toBe(201);
    const retry = await postMultipart(rawMultipart([...fieldsFor(sessionId), filePart(), field('duration', '2')]));
    expectProblem(retry, 400, 'FIELD_ORDER');
    const rows = await uploader.chunkRows(sessionId);
    expect(rows.map((row) => [row.chunkIndex, row.uploadStatus, row.durationSeconds])).toEqual([[0, 'uploaded', null]]);
  });
});

describe('session ids are read case-insensitively and used in their lower-case form', () => {
  it("an upper-case id in the upload stores under the session's own prefix and announces the chunk", async () => {
    const sessionId = await newSession();
    const upper = sessionId.toUpperCase();
    const response = await postMultipart(rawMultipart([...fieldsFor(upper, '3'), filePart()]));
    expect(response.status).toBe(201);
    expect(jsonOf(response)!.chunk).toMatchObject({
      session_id: sessionId,
      s3_key: expect.stringMatching(new RegExp(`^audio/${sessionId}/chunk_0003_`)),
    });
    expect(await uploader.storage.listKeys(`audio/${upper}/`)).toEqual([]);
    expect(await uploader.storage.listKeys(`audio/${sessionId}/`)).toHaveLength(1);
    const announced = uploader.published.filter(
      (event) => event.event === 'chunk_uploaded' && event.target.sessionId === sessionId,
    );
    expect(announced.map((event) => event.payload)).toEqual([
      expect.objectContaining({ session_id: sessionId, chunk_index: 3 }),
    ]);

    // The same bytes again under the lower-case id are the same chunk.
    const again = await postMultipart(rawMultipart([...fieldsFor(sessionId, '3'), filePart()]));
    expect({ status: again.status, duplicate: jsonOf(again)!.duplicate }).toEqual({ status: 200, duplicate: true });
  });

  it('an upper-case id reads and completes the same session', async () => {
    const sessionId = await newSession();
    const upper = sessionId.toUpperCase();
    const read = await send({ method: 'GET', path: `/api/audio/sessions/${upper}` });
    expect({ status: read.status, id: jsonOf(read)!.id }).toEqual({ status: 200, id: sessionId });
    const completed = await postJson(
      '/api/audio/session-complete',
      JSON.stringify({ session_id: upper, total_chunks: 0 }),
    );
    expect({ status: completed.status, id: jsonOf(completed)!.id }).toEqual({ status: 200, id: sessionId });
  });

  const NIL = '00000000-0000-4000-8000-000000000000';
  it.each([
    ['a urn prefix', `urn:uuid:${NIL}`],
    ['braces', `%7B${NIL}%7D`],
    ['no hyphens', NIL.replace(/-/g, '')],
    ['a NUL byte', `${NIL}%00`],
    ['a trailing space', `${NIL}%20`],
    ['one digit short', NIL.slice(1)],
    ['a non-hex digit', `g${NIL.slice(1)}`],
    ['an over-long id', `${NIL}${'0'.repeat(200)}`],
    ['a URL that does not decode', '%zz'],
  ])('an id with %s is refused on every route', async (_label, id) => {
    // A path segment longer than the router's limit (100 characters) is refused as a URL, not as an id.
    if (id.length > 100) expectProblem(await send({ method: 'GET', path: `/api/audio/sessions/${id}` }), 414, 'URI_TOO_LONG');
    else expectProblem(await send({ method: 'GET', path: `/api/audio/sessions/${id}` }), 400, 'VALIDATION');
    const decoded = (() => {
      try {
        return decodeURIComponent(id);
      } catch {
        return id;
      }
    })();
    expectProblem(
      await postJson('/api/audio/session-complete', JSON.stringify({ session_id: decoded, total_chunks: 1 })),
      400,
      'VALIDATION',
    );
    expectProblem(await postMultipart(rawMultipart([...fieldsFor(decoded), filePart()])), 400, 'VALIDATION');
  });
});

describe('stored objects', () => {
  it.each([
    ['webm', 'webm', 'audio/webm'],
    ['ogg', 'ogg', 'audio/ogg'],
    ['wav', 'wav', 'audio/wav'],
    ['mp4', 'mp4', 'audio/mp4'],
    ['mp4-fragmented', 'mp4', 'audio/mp4'],
  ] as const)(
    'a %s chunk is stored under a key ending in .%s, whatever its part claims',
    async (container, extension, contentType) => {
      const sessionId = await newSession();
      const bytes = (
        await makeSpeechChunkIn(container, { text: 'Hostile input makes robust servers.', durationSec: 2 })
      ).bytes;
      const response = await postMultipart(rawMultipart([...fieldsFor(sessionId, '1'), filePart(bytes)]));
      expect(response.status).toBe(201);
      const key = (jsonOf(response)!.chunk as { s3_key: string }).s3_key;
      // chunk_{index}_{attempt}.{extension}: the attempt is 16 hex digits of the upload's claim token.
      expect(key).toMatch(new RegExp(`^audio/${sessionId}/chunk_0001_[0-9a-f]{16}\\.${extension}$`));
      expect(jsonOf(response)!.chunk).toMatchObject({ content_type: contentType });
      expect(await uploader.storage.listKeys(`audio/${sessionId}/`)).toEqual([key]);
    },
  );
});

describe('JSON bodies that no handler can store answer 400 VALIDATION', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const cases: [string, string][] = [
    ['a NUL character in test_session_id', JSON.stringify({ test_session_id: 'exam\u00001' })],
    ['a control character in test_session_id', JSON.stringify({ test_session_id: 'exam\u00071' })],
    [
      'a NUL character in a metadata value',
      JSON.stringify({ test_session_id: 'exam', metadata: { seat: 'a\u0000b' } }),
    ],
    ['a NUL character in a metadata key', JSON.stringify({ test_session_id: 'exam', metadata: { 'se\u0000at': 1 } })],
    ['metadata nested 20,000 deep', `{"test_session_id":"exam","metadata":{"a":${deep(20_000)}}}`],
    ['a body nested 20,000 deep', deep(20_000)],
    ['metadata nested 100 deep', `{"test_session_id":"exam","metadata":{"a":${deep(100)}}}`],
  ];
  it.each(cases)('%s', async (_label, body) => {
    expectProblem(await postJson('/api/audio/sessions', body), 400, 'VALIDATION');
  });

  it('still accepts ordinary metadata', async () => {
    const created = await postJson(
      '/api/audio/sessions',
      JSON.stringify({
        test_session_id: 'exam',
        metadata: { seat: 7, notes: 'line one\nline two', room: { floor: [1, { wing: 'é' }] } },
      }),
    );
    expect(created.status).toBe(201);
  });
});

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
