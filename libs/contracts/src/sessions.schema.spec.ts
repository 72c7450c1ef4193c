import { parseUploadChunkFields } from './sessions.schema';

const SESSION = '0b6e2a4c-5a1f-4c3e-9d2b-7f0e1a2b3c4d';
const parse = (fields: Record<string, string>) =>
  parseUploadChunkFields({ session_id: SESSION, chunk_index: '0', start_time: '0', ...fields });

describe('parseUploadChunkFields', () => {
  it('reads canonical spellings', () => {
    expect(parse({ chunk_index: '99999', start_time: '1e3', duration: '29.5' })).toEqual({
      session_id: SESSION,
      chunk_index: 99_999,
      start_time: 1_000,
      duration: 29.5,
    });
    expect(parse({})).toEqual({ session_id: SESSION, chunk_index: 0, start_time: 0 });
  });

  it.each(['1e3', '1.5', 'true', '0x10', ' 7', '+7', '-0', '07', '0'.repeat(2_000) + '7', '', '100000', '7\n'])(
    'refuses chunk_index %j',
    (value) => {
      expect(() => parse({ chunk_index: value })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    },
  );

  it.each(['NaN', 'Infinity', '0x10', '', ' 1', '1e400', '-1', '+1', '1.', '.5', '01', '604801'])(
    'refuses start_time %j',
    (value) => {
      expect(() => parse({ start_time: value })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    },
  );

  it('hands on the session id in lower case, whatever case it was sent in', () => {
    expect(parse({ session_id: SESSION.toUpperCase() }).session_id).toBe(SESSION);
    expect(() => parse({ session_id: `urn:uuid:${SESSION}` })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  it('refuses a zero duration and unknown fields', () => {
    expect(() => parse({ duration: '0' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => parse({ comment: 'x' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
