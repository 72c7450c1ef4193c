import net from 'node:net';

export interface RawHttpAnswer {
  /** Status of the first response, if one arrived. */
  status?: number;
  /** Its headers, lower-cased names. */
  headers: Record<string, string>;
  /** Its body (by Content-Length), as text. */
  body: string;
  /** True when the server closed the connection before `waitMs`. */
  closed: boolean;
  /** From the first byte written until the close (or until `waitMs`). */
  elapsedMs: number;
}

export interface RawHttpOptions {
  /** Longest wait for the server to close the connection; then the client closes it. Default 10 s. */
  waitMs?: number;
  /** Resolve as soon as a whole first response arrived instead of waiting for the close. */
  untilResponse?: boolean;
}

/**
 * Writes bytes on a bare TCP connection, exactly as given (malformed requests, half-sent headers or bodies),
 * and reports what the server answered and whether and when it closed the connection. fetch and http.request
 * cannot send such requests.
 */
export function sendRawHttp(url: string, payload: string | Buffer, options: RawHttpOptions = {}): Promise<RawHttpAnswer> {
  const { hostname, port } = new URL(url);
  const waitMs = options.waitMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const received: Buffer[] = [];
    let started = 0;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const elapsedMs = Date.now() - started;
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(received)), closed, elapsedMs });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => {
      started = Date.now();
      socket.write(payload);
    });
    socket.on('data', (data: Buffer) => {
      received.push(data);
      if (options.untilResponse && parseResponse(Buffer.concat(received)).complete) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer is a close as far as these tests go.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

function parseResponse(bytes: Buffer): Omit<RawHttpAnswer, 'closed' | 'elapsedMs'> & { complete: boolean } {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { headers: {}, body: '', complete: false };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = bytes.subarray(end + 4, end + 4 + length).toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, complete: Buffer.byteLength(body) >= length };
}


/**
 * HTTP/1.1 over a bare socket, for tests that must send what fetch and node:http refuse or repair: malformed
 * multipart bodies, bodies shorter than their Content-Length, NUL bytes, duplicate or contradictory headers.
 */
export interface RawRequest {
  method?: string;
  /** Request target exactly as sent (not encoded for you). */
  path: string;
  /** Header lines in order; a name may repeat. Host and Connection: close are added unless given. */
  headers?: [string, string][];
  body?: Buffer | string;
  /** Set Content-Length to the body's length (default true unless a Content-Length or Transfer-Encoding header is given). */
  contentLength?: boolean;
  /** Send only this many bytes of the body. */
  sendBytes?: number;
  /**
   * Half-close (FIN) after writing. Default false: Node's HTTP server treats a half-close as an abort and
   * answers a complete request with nothing, an incomplete one with its client-error response.
   */
  halfClose?: boolean;
  /** Close the connection after this long without a complete answer (status 0, `timedOut`). Default 10 s. */
  timeoutMs?: number;
}

export interface RawResponse {
  /** 0 when the server closed the connection without an answer (or `timedOut`). */
  status: number;
  headers: Record<string, string>;
  body: string;
  timedOut: boolean;
  durationMs: number;
}

const hasHeader = (headers: [string, string][], name: string) => headers.some(([key]) => key.toLowerCase() === name);

export async function sendRaw(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body =
    typeof request.body === 'string' ? Buffer.from(request.body, 'latin1') : (request.body ?? Buffer.alloc(0));
  const headers = [...(request.headers ?? [])];
  if (!hasHeader(headers, 'host')) headers.unshift(['Host', url.host]);
  if (!hasHeader(headers, 'connection')) headers.push(['Connection', 'close']);
  const framed = hasHeader(headers, 'content-length') || hasHeader(headers, 'transfer-encoding');
  if (request.contentLength ?? !framed) headers.push(['Content-Length', String(body.length)]);
  const head = `${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  const payload = Buffer.concat([Buffer.from(head, 'latin1'), body.subarray(0, request.sendBytes ?? body.length)]);

  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, request.timeoutMs ?? 10_000);
    socket.on('data', (data: Buffer) => {
      received.push(data);
      // Answer complete: no need to wait for the server to close (it may keep reading a body we never send).
      if (parseRawResponse(Buffer.concat(received)).complete) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseRawResponse(Buffer.concat(received)), timedOut, durationMs: performance.now() - started });
    });
    socket.write(payload, () => {
      if (request.halfClose) socket.end();
    });
  });
}

/** Parses the final (non-1xx) response in `raw`; `complete` once its body has fully arrived. */
function parseRawResponse(raw: Buffer): Omit<RawResponse, 'timedOut' | 'durationMs'> & { complete: boolean } {
  let text = raw.toString('latin1');
  for (;;) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return { status: 0, headers: {}, body: '', complete: false };
    const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    if (status >= 100 && status < 200) {
      text = text.slice(end + 4);
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = Buffer.from(text.slice(end + 4), 'latin1');
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const decoded = decodeChunked(rest);
      return { status, headers, body: decoded.body.toString('utf8'), complete: decoded.complete };
    }
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    const bodyBytes = length === undefined ? rest : rest.subarray(0, length);
    return {
      status,
      headers,
      body: bodyBytes.toString('utf8'),
      complete: length !== undefined && rest.length >= length,
    };
  }
}

function decodeChunked(raw: Buffer): { body: Buffer; complete: boolean } {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) return { body: Buffer.concat(pieces), complete: false };
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(pieces), complete: false };
    if (size === 0) return { body: Buffer.concat(pieces), complete: true };
    pieces.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
    if (offset > raw.length) return { body: Buffer.concat(pieces), complete: false };
  }
}

/** One part of a hand-built multipart body. A part with `filename` is a file part. */
export interface RawPart {
  name?: string;
  filename?: string;
  contentType?: string;
  /** Replaces the generated header lines entirely. */
  headerLines?: string[];
  value: string | Buffer;
}

export interface MultipartOptions {
  boundary?: string;
  /** Line ending between header lines and around delimiters. Default CRLF. */
  newline?: string;
  /** Append the closing delimiter `--boundary--`. Default true. */
  close?: boolean;
  preamble?: string;
}

export const RAW_BOUNDARY = 'earshot-raw-boundary-7MA4YWxkTrZu0gW';

/** Builds multipart/form-data bytes exactly as told, however wrong. */
export function rawMultipart(parts: RawPart[], options: MultipartOptions = {}): { body: Buffer; contentType: string } {
  const boundary = options.boundary ?? RAW_BOUNDARY;
  const nl = options.newline ?? '\r\n';
  const pieces: Buffer[] = [];
  if (options.preamble) pieces.push(Buffer.from(options.preamble + nl, 'latin1'));
  for (const part of parts) {
    const lines = part.headerLines ?? [
      `Content-Disposition: form-data${part.name === undefined ? '' : `; name="${part.name}"`}${part.filename === undefined ? '' : `; filename="${part.filename}"`}`,
      ...(part.contentType ? [`Content-Type: ${part.contentType}`] : []),
    ];
    pieces.push(Buffer.from(`--${boundary}${nl}${lines.map((line) => line + nl).join('')}${nl}`, 'latin1'));
    pieces.push(typeof part.value === 'string' ? Buffer.from(part.value, 'utf8') : part.value);
    pieces.push(Buffer.from(nl, 'latin1'));
  }
  if (options.close ?? true) pieces.push(Buffer.from(`--${boundary}--${nl}`, 'latin1'));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The JSON body of a problem response, or undefined when the body is not JSON. */
export const jsonOf = (response: Pick<RawResponse, 'body'>): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};
