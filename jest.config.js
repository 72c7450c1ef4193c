// Root jest: runs every project's tests in one process pool, so `npm test` prints one summary.
module.exports = {
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js', '<rootDir>/e2e/jest.config.js'],
  reporters: ['default', '<rootDir>/tools/jest-summary-reporter.js'],
  // Global options (ignored inside `projects` entries): tests touch real services and media tools on a
  // shared 2-core machine, so the 5 s default is too tight. Tests that need more set their own.
  testTimeout: 60_000,
};
