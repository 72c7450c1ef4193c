export * from './errors';
export * from './auth';
export * from './redis-keys';
export * from './sessions.schema';
export * from './jobs';
export * from './events';
