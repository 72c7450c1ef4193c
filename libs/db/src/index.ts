export * from './client';
export * from './schema';
export * from './audio-sessions/audio-sessions.repository';
export * from './audio-chunks/audio-chunks.repository';
export * from './test-database';
