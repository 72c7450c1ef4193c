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
