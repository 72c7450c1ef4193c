module.exports = { ...require('../../jest.preset.js'), displayName: 'recorder', rootDir: __dirname };
