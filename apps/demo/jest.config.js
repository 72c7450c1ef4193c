// Browser tests: headless Debian chromium (playwright-core) against the services started as processes.
module.exports = { ...require('../../jest.preset.js'), displayName: 'demo', rootDir: __dirname, testTimeout: 300_000 };
