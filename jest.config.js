// Root jest: runs every project's tests in one process pool, so `npm test` prints one summary.
module.exports = {
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js', '<rootDir>/e2e/jest.config.js'],
  reporters: ['default', '<rootDir>/tools/jest-summary-reporter.js'],
};
