module.exports = { ...require('../../jest.preset.js'), displayName: 'audio', rootDir: __dirname, testTimeout: 60_000 };
