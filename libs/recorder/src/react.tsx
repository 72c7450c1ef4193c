import type { ChunkProcessedEvent, SessionCompletedEvent } from '@earshot/contracts';
import { useCallback, useEffect, useRef, useState, type CSSProperties } from 'react';
import { ExamRecorder, type ExamRecorderOptions, type StartInput } from './exam-recorder';
import type { MicrophoneEvent, QueueEvent, RecorderErrorEvent, RecorderState } from './recorder-events';

export type ChunkStatus = 'queued' | 'retrying' | 'uploaded' | 'failed';

/** One row per chunk of the page's sessions, merged from the recorder's events. */
export interface ChunkView {
  sessionId: string;
  chunkIndex: number;
  status: ChunkStatus;
  startTimeSec?: number;
  durationSec?: number;
  sizeBytes?: number;
  attempts: number;
  error?: { status: number; code: string; message: string };
  retryInMs?: number;
  analysis?: ChunkProcessedEvent;
}

export interface ExamRecorderView {
  recorder: ExamRecorder | undefined;
  state: RecorderState;
  sessionId: string | undefined;
  chunks: ChunkView[];
  queue: QueueEvent;
  /** RMS input level, 0..1. */
  level: number;
  microphone: MicrophoneEvent | undefined;
  errors: RecorderErrorEvent[];
  /** The server's summary once every chunk of the session is analysed. */
  completed: SessionCompletedEvent | undefined;
  start(input: StartInput): Promise<string | undefined>;
  stop(): Promise<void>;
}

const MAX_ERRORS_KEPT = 20;

/**
 * Creates one ExamRecorder for the component's lifetime (options are read once; pass `null` to wait, e.g. for a
 * token) and turns its events into React state. Creating it already resumes uploads left by an earlier page.
 */
export function useExamRecorder(options: ExamRecorderOptions | null): ExamRecorderView {
  const [recorder, setRecorder] = useState<ExamRecorder>();
  const [state, setState] = useState<RecorderState>('idle');
  const [sessionId, setSessionId] = useState<string>();
  const [chunks, setChunks] = useState<ChunkView[]>([]);
  const [queue, setQueue] = useState<QueueEvent>({ pending: 0, failed: 0, online: true });
  const [level, setLevel] = useState(0);
  const [microphone, setMicrophone] = useState<MicrophoneEvent>();
  const [errors, setErrors] = useState<RecorderErrorEvent[]>([]);
  const [completed, setCompleted] = useState<SessionCompletedEvent>();
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const enabled = options !== null;

  useEffect(() => {
    const current = optionsRef.current;
    if (!current) return;
    const instance = new ExamRecorder(current);
    const update = (sessionId: string, chunkIndex: number, change: (row: ChunkView) => Partial<ChunkView>) =>
      setChunks((rows) => {
        const at = rows.findIndex((row) => row.sessionId === sessionId && row.chunkIndex === chunkIndex);
        const row: ChunkView = at >= 0 ? rows[at]! : { sessionId, chunkIndex, status: 'queued', attempts: 0 };
        const next = { ...row, ...change(row) };
        const copy = [...rows];
        if (at >= 0) copy[at] = next;
        else copy.push(next);
        return copy.sort((a, b) =>
          a.sessionId === b.sessionId ? a.chunkIndex - b.chunkIndex : a.sessionId < b.sessionId ? -1 : 1,
        );
      });
    const subscriptions = [
      instance.on('state', (value) => {
        setState(value);
        setSessionId(instance.sessionId);
      }),
      instance.on('chunk-recorded', (event) =>
        update(event.sessionId, event.chunkIndex, (row) => ({
          ...event,
          status: row.status === 'uploaded' ? 'uploaded' : 'queued',
        })),
      ),
      instance.on('chunk-uploaded', (event) =>
        update(event.sessionId, event.chunkIndex, () => ({
          status: 'uploaded',
          attempts: event.attempts,
          error: undefined,
          retryInMs: undefined,
        })),
      ),
      instance.on('chunk-failed', (event) =>
        update(event.sessionId, event.chunkIndex, () => ({
          status: event.permanent ? 'failed' : 'retrying',
          attempts: event.attempts,
          error: { status: event.status, code: event.code, message: event.message },
          retryInMs: event.retryInMs,
        })),
      ),
      instance.on('analysis', (event) => update(event.session_id, event.chunk_index, () => ({ analysis: event }))),
      instance.on('queue', setQueue),
      instance.on('level', (event) => setLevel(event.rms)),
      instance.on('microphone', (event) => {
        setMicrophone(event);
        if (event.state === 'off' || event.state === 'ended') setLevel(0);
      }),
      instance.on('error', (event) => setErrors((list) => [...list, event].slice(-MAX_ERRORS_KEPT))),
      instance.on('session-completed', setCompleted),
    ];
    setRecorder(instance);
    return () => {
      for (const unsubscribe of subscriptions) unsubscribe();
      void instance.close();
      setRecorder(undefined);
    };
  }, [enabled]);

  const start = useCallback(
    async (input: StartInput) => {
      if (!recorder) return undefined;
      setCompleted(undefined);
      const id = await recorder.start(input);
      setSessionId(id);
      return id;
    },
    [recorder],
  );
  const stop = useCallback(async () => recorder?.stop(), [recorder]);

  return { recorder, state, sessionId, chunks, queue, level, microphone, errors, completed, start, stop };
}

const cell: CSSProperties = {
  padding: '2px 8px',
  borderBottom: '1px solid #ddd',
  textAlign: 'left',
  fontSize: 13,
  whiteSpace: 'nowrap',
};
const wrapping: CSSProperties = { ...cell, whiteSpace: 'normal' };
const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${Math.round(value * 100)} %`;

function analysisSummary(analysis: ChunkProcessedEvent | undefined): string {
  if (!analysis) return 'waiting…';
  if (analysis.processing_status === 'failed') return `analysis failed: ${analysis.failure_reason ?? 'unknown'}`;
  const parts = [
    `speech ${percent(analysis.voice_activity_ratio)}`,
    `speakers ${analysis.speaker_count ?? '–'}`,
    `score ${analysis.suspicious_activity_score ?? '–'}`,
  ];
  if (analysis.transcription) parts.push(`“${analysis.transcription}”`);
  return parts.join(' · ');
}

/** A minimal recorder panel: start/stop, input level, microphone and queue state, and each chunk with its analysis. */
export function ExamRecorderPanel({
  view,
  testSessionId,
  metadata,
}: {
  view: ExamRecorderView;
  testSessionId: string;
  metadata?: Record<string, unknown>;
}) {
  const recording = view.state === 'recording' || view.state === 'starting' || view.state === 'stopping';
  const onClick = () => {
    if (recording) void view.stop();
    else void view.start({ testSessionId, metadata }).catch(() => undefined);
  };
  const levelWidth = `${Math.min(100, Math.round(Math.sqrt(view.level) * 100))}%`;
  return (
    <section data-testid="earshot-recorder" style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 900 }}>
      <div style={{ display: 'flex', gap: 16, alignItems: 'center' }}>
        <button
          type="button"
          onClick={onClick}
          disabled={!view.recorder || view.state === 'starting' || view.state === 'stopping'}
          data-testid="record-button"
        >
          {recording ? 'Stop recording' : 'Start recording'}
        </button>
        <span data-testid="recorder-state">{view.state}</span>
        <span aria-label="input level" style={{ display: 'inline-block', width: 120, height: 10, background: '#eee' }}>
          <span style={{ display: 'block', width: levelWidth, height: '100%', background: '#2a9d4b' }} />
        </span>
        <span>
          microphone: {view.microphone ? `${view.microphone.state} (${view.microphone.label || 'default'})` : '–'}
        </span>
        <span data-testid="queue">
          queue: {view.queue.pending} waiting{view.queue.failed ? `, ${view.queue.failed} refused` : ''}
          {view.queue.online ? '' : ' (offline)'}
        </span>
      </div>
      {view.sessionId && <p style={{ fontSize: 13 }}>session {view.sessionId}</p>}
      <table style={{ borderCollapse: 'collapse', marginTop: 8, width: '100%' }}>
        <thead>
          <tr>
            {['#', 'start', 'length', 'size', 'upload', 'analysis'].map((title) => (
              <th key={title} style={cell}>
                {title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.chunks.map((chunk) => (
            <tr key={`${chunk.sessionId}:${chunk.chunkIndex}`} data-testid="chunk-row">
              <td style={cell}>{chunk.chunkIndex}</td>
              <td style={cell}>{chunk.startTimeSec === undefined ? '' : `${chunk.startTimeSec.toFixed(1)} s`}</td>
              <td style={cell}>{chunk.durationSec === undefined ? '' : `${chunk.durationSec.toFixed(2)} s`}</td>
              <td style={cell}>{chunk.sizeBytes === undefined ? '' : `${Math.round(chunk.sizeBytes / 1024)} KiB`}</td>
              <td style={cell}>
                {chunk.status}
                {chunk.error
                  ? ` (${chunk.error.code}${chunk.retryInMs !== undefined ? `, retry in ${(chunk.retryInMs / 1000).toFixed(1)} s` : ''})`
                  : ''}
              </td>
              <td style={wrapping}>{analysisSummary(chunk.analysis)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {view.completed && (
        <p data-testid="session-completed" style={{ fontSize: 14 }}>
          Session analysed: {view.completed.processed_chunks}/{view.completed.total_chunks} chunks,{' '}
          {Math.round(view.completed.total_duration_seconds)} s
          {view.completed.missing_chunk_indexes.length
            ? `, missing ${view.completed.missing_chunk_indexes.join(', ')}`
            : ''}
          {typeof view.completed.summary.priorityScore === 'number'
            ? `, priority score ${view.completed.summary.priorityScore.toFixed(2)}`
            : ''}
        </p>
      )}
      {view.errors.length > 0 && (
        <ul style={{ color: '#a00', fontSize: 13 }} data-testid="errors">
          {view.errors.slice(-5).map((error, index) => (
            <li key={index}>
              {error.source}: {error.code ? `${error.code} – ` : ''}
              {error.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
