import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import {
  DomainError,
  isDomainError,
  parseUploadChunkFields,
  REQUIRED_UPLOAD_TEXT_FIELDS,
  UPLOAD_FILE_FIELD,
  UPLOAD_TEXT_FIELDS,
  type UploadChunkFields,
} from '@earshot/contracts';

export interface UploadRequest {
  fields: UploadChunkFields;
  file: MultipartFile;
  /**
   * Reads what follows the file: the end of the body, or the rejection of a part sent after the file (a field
   * is FIELD_ORDER, a second file VALIDATION). Call it once the file's bytes are consumed; repeated calls share
   * the one answer.
   */
  expectEnd: () => Promise<void>;
}

const TEXT_FIELDS: ReadonlySet<string> = new Set(UPLOAD_TEXT_FIELDS);

/**
 * Reads POST /api/audio/upload-chunk's multipart body in order, up to the file part: every text field once,
 * each a known name with a plain text value, all before the file. Streaming needs them first: the target of the
 * bytes is known before they arrive. Throws DomainError for every malformed body.
 */
export async function readUploadRequest(request: FastifyRequest): Promise<UploadRequest> {
  const parts = request.parts();
  const next = async (): Promise<Multipart | undefined> => {
    try {
      const result = await parts.next();
      return result.done ? undefined : result.value;
    } catch (error) {
      throw asMalformedBody(error);
    }
  };

  const text = new Map<string, string>();
  for (let part = await next(); part; part = await next()) {
    if (part.type === 'file')
      return { fields: fieldsBeforeFile(part, text), file: part, expectEnd: once(() => expectEnd(next)) };
    if (!TEXT_FIELDS.has(part.fieldname)) {
      const hint =
        part.fieldname === UPLOAD_FILE_FIELD ? ` (${UPLOAD_FILE_FIELD} must be a file part, with a filename)` : '';
      throw new DomainError('VALIDATION', `Unknown field ${nameOf(part)}${hint}`);
    }
    if (text.has(part.fieldname)) throw new DomainError('VALIDATION', `Field ${part.fieldname} is sent more than once`);
    if (part.valueTruncated || typeof part.value !== 'string') {
      throw new DomainError('VALIDATION', `Field ${part.fieldname} must be a short plain-text value`);
    }
    text.set(part.fieldname, part.value);
  }
  throw new DomainError('VALIDATION', `The ${UPLOAD_FILE_FIELD} file part is missing`);
}

function fieldsBeforeFile(file: MultipartFile, text: Map<string, string>): UploadChunkFields {
  try {
    if (file.fieldname !== UPLOAD_FILE_FIELD)
      throw new DomainError('VALIDATION', `The file part must be named ${UPLOAD_FILE_FIELD}`);
    const missing = REQUIRED_UPLOAD_TEXT_FIELDS.filter((name) => !text.has(name));
    if (missing.length > 0) {
      throw new DomainError(
        'FIELD_ORDER',
        `Send ${REQUIRED_UPLOAD_TEXT_FIELDS.join(', ')} before the ${UPLOAD_FILE_FIELD} file (missing: ${missing.join(', ')})`,
      );
    }
    return parseUploadChunkFields(Object.fromEntries(text));
  } catch (error) {
    file.file.resume();
    throw error;
  }
}

async function expectEnd(next: () => Promise<Multipart | undefined>): Promise<void> {
  let part: Multipart | undefined;
  try {
    part = await next();
  } catch (error) {
    // @fastify/multipart's limit of one file part (the app's `files: 1`) is how a second file shows itself.
    if ((error as { code?: unknown }).code === 'FST_FILES_LIMIT') {
      throw new DomainError('VALIDATION', `Send exactly one file part (${UPLOAD_FILE_FIELD})`);
    }
    throw error;
  }
  if (!part) return;
  if (part.type === 'file') {
    part.file.resume();
    throw new DomainError('VALIDATION', `Send exactly one file part (${UPLOAD_FILE_FIELD})`);
  }
  throw new DomainError(
    'FIELD_ORDER',
    `Field ${nameOf(part)} comes after the ${UPLOAD_FILE_FIELD} file: send every field before it`,
  );
}

/** A part's name for a message: busboy hands on a Content-Disposition without a name as an undefined one. */
const nameOf = (part: Multipart): string => {
  const name: unknown = part.fieldname;
  return typeof name === 'string' ? JSON.stringify(name.slice(0, 100)) : '(without a name)';
};

const once = (run: () => Promise<void>): (() => Promise<void>) => {
  let result: Promise<void> | undefined;
  return () => (result ??= run());
};

/**
 * busboy's errors carry no code, and every error the multipart parser raises means the body is not well-formed
 * multipart/form-data (truncated, no or wrong boundary, LF line endings, ...). @fastify/multipart's own FST_*
 * errors keep their codes (libs/http maps them).
 */
export function asMalformedBody(error: unknown): unknown {
  if (isDomainError(error)) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_')) return error;
  return new DomainError(
    'VALIDATION',
    `The body is not well-formed multipart/form-data (${typeof message === 'string' ? message : 'unreadable'})`,
  );
}
