import type { ExamRecorder, RecorderEvents, StoredSession } from '@earshot/recorder';
import { ExamRecorderPanel, useExamRecorder } from '@earshot/recorder/react';
import { useEffect, useMemo, useState } from 'react';
import { findToken, readPageSettings, TOKEN_STORAGE_KEY } from './page-settings';

interface LoggedEvent {
  type: keyof RecorderEvents;
  atMs: number;
  payload: unknown;
}

declare global {
  interface Window {
    /** The page's recorder and every event it emitted (except `level`): for the console and the browser tests. */
    earshot?: { recorder: ExamRecorder; log: LoggedEvent[] };
  }
}

const LOGGED_EVENTS: (keyof RecorderEvents)[] = [
  'state',
  'chunk-recorded',
  'chunk-uploaded',
  'chunk-failed',
  'queue',
  'microphone',
  'analysis',
  'server-chunk-uploaded',
  'session-progress',
  'session-completed',
  'session-complete-sent',
  'error',
];

export function App() {
  const settings = useMemo(() => readPageSettings(window.location.search), []);
  const [token, setToken] = useState<string | null | undefined>(undefined);
  const [pasted, setPasted] = useState('');
  const [examId, setExamId] = useState(settings.testSessionId);
  const [interrupted, setInterrupted] = useState<StoredSession[]>([]);

  useEffect(() => {
    findToken().then(
      (found) => setToken(found ?? null),
      () => setToken(null),
    );
  }, []);

  const view = useExamRecorder(token ? { ...settings.options, getToken: () => token } : null);
  const { recorder } = view;

  useEffect(() => {
    if (!recorder) return;
    const log: LoggedEvent[] = [];
    window.earshot = { recorder, log };
    const unsubscribe = LOGGED_EVENTS.map((type) =>
      recorder.on(type, (payload) => log.push({ type, atMs: performance.now(), payload })),
    );
    const refresh = () => void recorder.interruptedSessions().then(setInterrupted, () => undefined);
    refresh();
    unsubscribe.push(recorder.on('state', refresh), recorder.on('session-complete-sent', refresh));
    return () => unsubscribe.forEach((off) => off());
  }, [recorder]);

  if (token === undefined) return <p>Loading…</p>;
  if (token === null) {
    return (
      <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
        <h1>Earshot demo exam</h1>
        <p>
          Paste a candidate token (<code>npm run --silent token</code>):
        </p>
        <textarea value={pasted} onChange={(event) => setPasted(event.target.value)} rows={4} cols={80} />
        <br />
        <button
          type="button"
          onClick={() => {
            localStorage.setItem(TOKEN_STORAGE_KEY, pasted.trim());
            setToken(pasted.trim());
          }}
        >
          Use this token
        </button>
      </main>
    );
  }

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>Earshot demo exam</h1>
      <p style={{ maxWidth: 720 }}>
        Start recording and speak. Every {settings.options.chunkDurationSec ?? 30} s a chunk is sent to Earshot; its
        analysis (speech, speakers, transcript, score) appears in the table as soon as it is ready. Cut the network or
        reload: nothing is lost, the queue resumes.
      </p>
      <label>
        Exam id{' '}
        <input
          value={examId}
          onChange={(event) => setExamId(event.target.value)}
          disabled={view.state === 'recording'}
        />
      </label>
      {interrupted.length > 0 && (
        <div data-testid="interrupted" style={{ margin: '12px 0', padding: 8, background: '#fff6dd' }}>
          Interrupted sessions on this browser:
          {interrupted.map((session) => (
            <div key={session.sessionId}>
              {session.sessionId} ({session.nextChunkIndex} chunks){' '}
              <button
                type="button"
                onClick={() => void view.start({ sessionId: session.sessionId }).catch(() => undefined)}
                disabled={view.state === 'recording'}
              >
                Continue
              </button>{' '}
              <button
                type="button"
                onClick={() =>
                  void recorder
                    ?.finish(session.sessionId)
                    .then(() => setInterrupted((list) => list.filter((item) => item !== session)))
                }
              >
                Finish
              </button>
            </div>
          ))}
        </div>
      )}
      <ExamRecorderPanel view={view} testSessionId={examId} />
      <p style={{ fontSize: 12, color: '#666' }}>
        <button
          type="button"
          onClick={() => {
            localStorage.removeItem(TOKEN_STORAGE_KEY);
            setToken(null);
          }}
        >
          Use another token
        </button>
      </p>
    </main>
  );
}
