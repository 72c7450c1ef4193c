import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DomainError } from './errors';
import './formats';

/** Wire formats of the audio session API (snake_case, as the exam page sends and reads them). */

/**
 * `abandoned`: no chunk arrived for `SESSION_ABANDON_SEC` while recording, so the analyzer's sweep closed the
 * session (through `processing`, like a completion) and summarised what had arrived. PERSISTED VALUES.
 */
export const SESSION_STATUSES = ['recording', 'processing', 'completed', 'failed', 'abandoned'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const UPLOAD_STATUSES = ['receiving', 'uploaded'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export const PROCESSING_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type ProcessingStatus = (typeof PROCESSING_STATUSES)[number];

const literalUnion = <T extends readonly string[]>(values: T) => Type.Union(values.map((value) => Type.Literal(value)));

export const Uuid = Type.String({ format: 'uuid' });

/**
 * A session id as a client may write it (hex digits in either case), decoded to the lower-case form every
 * key, room and row uses. Input schemas only: validators that decode (libs/http typeBoxValidatorCompiler,
 * Value.Decode) hand on the lower-case id, so the use cases never see another spelling.
 */
export const SessionIdInput = Type.Transform(Type.String({ pattern: '^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$' }))
  .Decode((id) => id.toLowerCase())
  .Encode((id) => id);

/** One line of text a person typed: no control characters (U+0000 cannot even be stored in PostgreSQL text). */
const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f]*$';
const PlainText = (options: { minLength: number; maxLength: number }) => Type.String({ ...options, pattern: NO_CONTROL_CHARACTERS });

export const CreateSessionBodySchema = Type.Object(
  {
    test_session_id: PlainText({ minLength: 1, maxLength: 200 }),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBodySchema>;

export const CompleteSessionBodySchema = Type.Object(
  {
    session_id: SessionIdInput,
    total_chunks: Type.Integer({ minimum: 0, maximum: 100_000 }),
  },
  { additionalProperties: false },
);
export type CompleteSessionBody = Static<typeof CompleteSessionBodySchema>;

export const SessionParamsSchema = Type.Object({ id: SessionIdInput });

/** Multipart text fields of POST /api/audio/upload-chunk, as numbers; they must precede the `audio_chunk` file part. */
export const UploadChunkFieldsSchema = Type.Object({
  session_id: Uuid,
  chunk_index: Type.Integer({ minimum: 0, maximum: 99_999 }),
  start_time: Type.Number({ minimum: 0, maximum: 7 * 24 * 3600 }),
  duration: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
});
export type UploadChunkFields = Static<typeof UploadChunkFieldsSchema>;
export const UPLOAD_FILE_FIELD = 'audio_chunk';

/** 0 to 99999 written the one way: no sign, no leading zeros, no exponent, no spaces. */
const CHUNK_INDEX_TEXT = '^(0|[1-9][0-9]{0,4})$';
/**
 * A non-negative number as JSON writes it (exponents allowed, as JSON allows them): no sign, no leading zeros,
 * no hex, no Infinity or NaN, no spaces. Ranges are checked on the number.
 */
const DECIMAL_TEXT = '^(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$';
const numberText = (pattern: string) =>
  Type.Transform(Type.String({ pattern, maxLength: 32 }))
    .Decode((text) => Number(text))
    .Encode((value) => String(value));

/** The same fields as the multipart body carries them: text, each name once, nothing else. */
export const UploadChunkFieldsTextSchema = Type.Object(
  {
    session_id: SessionIdInput,
    chunk_index: numberText(CHUNK_INDEX_TEXT),
    start_time: numberText(DECIMAL_TEXT),
    duration: Type.Optional(numberText(DECIMAL_TEXT)),
  },
  { additionalProperties: false },
);
export const UPLOAD_TEXT_FIELDS = Object.keys(UploadChunkFieldsTextSchema.properties) as (keyof UploadChunkFields)[];
export const REQUIRED_UPLOAD_TEXT_FIELDS = UploadChunkFieldsTextSchema.required as (keyof UploadChunkFields)[];

/** Reads the upload's text fields; anything not written exactly as the grammar says is VALIDATION. */
export function parseUploadChunkFields(text: Record<string, string>): UploadChunkFields {
  const invalid = (schema: typeof UploadChunkFieldsTextSchema | typeof UploadChunkFieldsSchema, value: unknown) => {
    const first = Value.Errors(schema, value).First();
    return new DomainError('VALIDATION', `Invalid field ${first?.path.slice(1) || '(body)'}: ${first?.message ?? 'invalid'}`);
  };
  if (!Value.Check(UploadChunkFieldsTextSchema, text)) throw invalid(UploadChunkFieldsTextSchema, text);
  const fields: UploadChunkFields = Value.Decode(UploadChunkFieldsTextSchema, text);
  if (!Value.Check(UploadChunkFieldsSchema, fields)) throw invalid(UploadChunkFieldsSchema, fields);
  return fields;
}

export const ChunkSchema = Type.Object({
  id: Uuid,
  session_id: Uuid,
  chunk_index: Type.Integer(),
  start_time_seconds: Type.Number(),
  end_time_seconds: Type.Union([Type.Number(), Type.Null()]),
  duration_seconds: Type.Union([Type.Number(), Type.Null()]),
  s3_key: Type.String(),
  file_size_bytes: Type.Integer(),
  compressed_size_bytes: Type.Union([Type.Integer(), Type.Null()]),
  compression_ratio: Type.Union([Type.Number(), Type.Null()]),
  content_sha256: Type.String(),
  content_type: Type.String(),
  upload_status: literalUnion(UPLOAD_STATUSES),
  processing_status: literalUnion(PROCESSING_STATUSES),
  failure_reason: Type.Union([Type.String(), Type.Null()]),
  transcription: Type.Union([Type.String(), Type.Null()]),
  speaker_count: Type.Union([Type.Integer(), Type.Null()]),
  voice_activity_ratio: Type.Union([Type.Number(), Type.Null()]),
  suspicious_activity_score: Type.Union([Type.Number(), Type.Null()]),
  analysis_results: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
  processed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Chunk = Static<typeof ChunkSchema>;

/** One interruption of a session's audio stream, as the sweep recorded it. */
export const StreamGapSchema = Type.Object({
  lost_at: Type.String({ format: 'date-time' }),
  restored_at: Type.String({ format: 'date-time' }),
});
export type StreamGap = Static<typeof StreamGapSchema>;

export const SessionSchema = Type.Object({
  id: Uuid,
  org_id: Type.String(),
  user_id: Type.String(),
  test_session_id: Type.String(),
  status: literalUnion(SESSION_STATUSES),
  start_time: Type.String({ format: 'date-time' }),
  end_time: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  total_duration_seconds: Type.Union([Type.Number(), Type.Null()]),
  total_chunks: Type.Union([Type.Integer(), Type.Null()]),
  uploaded_chunks: Type.Integer(),
  s3_base_key: Type.String(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  summary: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  missing_chunk_indexes: Type.Array(Type.Integer()),
  failure_reason: Type.Union([Type.String(), Type.Null()]),
  /** Set while the audio stream is lost: when the last chunk (or upload activity) was seen. Null while streaming. */
  stream_lost_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Earlier gaps of the stream, each from its last activity to the activity that resumed it. */
  stream_gaps: Type.Array(StreamGapSchema),
  /** When the sweep closed the session for inactivity (status then `processing`, finally `abandoned`). */
  abandoned_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type Session = Static<typeof SessionSchema>;

export const SessionWithChunksSchema = Type.Intersect([
  SessionSchema,
  Type.Object({ chunks: Type.Array(ChunkSchema) }),
]);
export type SessionWithChunks = Static<typeof SessionWithChunksSchema>;

/**
 * Who owns a session, for a caller who may read it: the notifier's cheap access check before a socket joins
 * the session's room (one row read, no chunks).
 */
export const SessionAccessSchema = Type.Object({ session_id: Uuid, user_id: Type.String(), org_id: Type.String() });
export type SessionAccess = Static<typeof SessionAccessSchema>;

export const UploadChunkReplySchema = Type.Object({ chunk: ChunkSchema, duplicate: Type.Boolean() });
export type UploadChunkReply = Static<typeof UploadChunkReplySchema>;

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const sessionBaseKey = (sessionId: string): string => `audio/${sessionId}/`;

/**
 * Object key of one upload attempt of a chunk, ending in its container's extension (`webm`, `ogg`, `mp4`, `wav`).
 * Each attempt writes its own object and the chunk's row names the one that won (`s3_key`), so a late attempt can
 * neither overwrite nor delete it. Read keys from the row, never rebuild them. PERSISTED VALUE: stored rows point
 * at objects of this shape (and, before attempts and extensions, of `chunk_{index}.webm`, whatever it holds).
 */
export const chunkObjectKey = (sessionId: string, chunkIndex: number, attempt: string, extension: string): string =>
  `${sessionBaseKey(sessionId)}chunk_${String(chunkIndex).padStart(4, '0')}_${attempt}.${extension}`;
