export * from './audio-sessions/audio-sessions.table';
export * from './audio-chunks/audio-chunks.table';
