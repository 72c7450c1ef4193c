import type { ClientError } from './client-error';
import { clientErrorCode } from './client-error';

const overflow = (packet: string, bytesParsed = packet.length): ClientError =>
  Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from(packet, 'latin1'), bytesParsed });

describe('clientErrorCode', () => {
  it.each([
    ['a request timeout', Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), 'REQUEST_TIMEOUT'],
    ['a request line longer than the limit', overflow(`GET /${'a'.repeat(17_000)}`), 'URI_TOO_LONG'],
    ['headers longer than the limit', overflow(`GET /x HTTP/1.1\r\nX-Big: ${'a'.repeat(17_000)}`), 'HEADERS_TOO_LARGE'],
    // The overflow fell in a later packet: it may be a header value, so the safer answer is 431.
    ['an overflow in a later packet', overflow('a'.repeat(9_000)), 'HEADERS_TOO_LARGE'],
    ['a malformed Content-Length', Object.assign(new Error('Invalid'), { code: 'HPE_INVALID_CONTENT_LENGTH' }), 'VALIDATION'],
    ['a malformed chunk size', Object.assign(new Error('Invalid'), { code: 'HPE_INVALID_CHUNK_SIZE' }), 'VALIDATION'],
  ])('maps %s', (_case, error, code) => {
    expect(clientErrorCode(error)).toBe(code);
  });
});
