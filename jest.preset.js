// Shared jest settings: every project's jest.config.js spreads this.
// @swc/jest strips types only; `tsc --noEmit` (the typecheck target) does the checking.
const path = require('node:path');

module.exports = {
  // Shares the host realm's typed arrays with tests (onnxruntime-node checks instanceof Float32Array).
  testEnvironment: path.join(__dirname, 'tools', 'jest-node-realm.environment.js'),
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { react: { runtime: 'automatic' } } },
        module: { type: 'commonjs' },
      },
    ],
  },
  // ESM-only dependencies compiled to CommonJS for jest (tsx runs them natively).
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  cacheDirectory: path.join(__dirname, '.cache', 'jest'),
  testTimeout: 30_000,
};
