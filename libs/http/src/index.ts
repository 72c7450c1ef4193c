export * from './problem';
export * from './health';
export * from './auth';
export * from './logger';
export * from './shutdown';
export * from './server-options';
export * from './json-body';
export * from './typebox-validator';
