import { CHUNK_STAGES, JOB_NAMES, QUEUES, chunkStageJob, jobId, nextChunkStage, parseJobPayload } from './jobs';

const sessionId = '5b0c4c36-5d8c-4f0e-9a57-0f6a4d4b1b2e';

describe('job contracts', () => {
  it('gives each job one deterministic id without the ":" BullMQ forbids', () => {
    expect(jobId('chunk.vad', { v: 1, sessionId, chunkIndex: 3 })).toBe(`chunk.vad_${sessionId}_3`);
    expect(jobId('session.summary', { v: 1, sessionId })).toBe(`session.summary_${sessionId}`);
    expect(jobId('session.sweep', { v: 1 })).toBe('session.sweep');
    for (const name of JOB_NAMES) expect(QUEUES[name]).not.toContain(':');
  });

  it('chains every chunk stage to a queue, ending after score', () => {
    expect(CHUNK_STAGES.map(chunkStageJob).every((name) => JOB_NAMES.includes(name))).toBe(true);
    expect(nextChunkStage('vad')).toBe('speakers');
    expect(nextChunkStage('score')).toBeUndefined();
  });

  it('accepts a valid payload and rejects anything else', () => {
    expect(parseJobPayload('chunk.vad', { v: 1, sessionId, chunkIndex: 0 })).toEqual({ v: 1, sessionId, chunkIndex: 0 });
    for (const bad of [{ v: 2, sessionId, chunkIndex: 0 }, { v: 1, sessionId: 'x', chunkIndex: 0 }, { v: 1, sessionId, chunkIndex: -1 }, null, 'x']) {
      expect(() => parseJobPayload('chunk.vad', bad)).toThrow(/invalid chunk.vad payload/);
    }
  });
});
