export { createTestDatabase, type TestDatabase } from '@earshot/db';
export * from './s3-server';
export * from './audio-fixtures';
export * from './redis';
export * from './service-process';
export * from './stack';
export * from './raw-http';
