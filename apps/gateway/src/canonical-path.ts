/** Characters RFC 3986 calls unreserved: a percent-escape of one of them means the same URL as the character. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
/** A `%` that does not start a valid escape; Fastify's router refuses such paths anyway. */
const BROKEN_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
/** Escaped `/` or `\`: no Earshot route has them, and routers disagree on whether they separate segments. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;
/** Only the path is parsed; any absolute origin does, since the result keeps nothing of it. */
const PARSE_BASE = 'http://canonical.invalid';

/**
 * The canonical spelling of a request path (RFC 3986 §6.2.2): percent-escapes of unreserved characters
 * decoded, then dot segments resolved and the rest normalised by the WHATWG URL parser, as browsers send it.
 * Undefined for paths with a broken escape or an encoded slash or backslash.
 */
export function canonicalPath(path: string): string | undefined {
  if (BROKEN_ESCAPE.test(path) || ENCODED_SEPARATOR.test(path)) return undefined;
  const decoded = path.replace(PERCENT_ESCAPE, (escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : escape;
  });
  return new URL(decoded, PARSE_BASE).pathname;
}

/**
 * True when a request target (as on the request line) is an origin-form path already in canonical spelling,
 * with or without a query. The gateway routes, rate-limits and forwards only such targets: every other
 * spelling of the same route (`upload%2Dchunk`, `./upload-chunk`, `%61udio`, a `#` fragment) is refused
 * rather than rewritten, so the bucket that counts a request and the route the uploader picks read one string.
 */
export function isCanonicalTarget(target: string): boolean {
  if (!target.startsWith('/')) return false;
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  return !path.includes('#') && canonicalPath(path) === path;
}
