module.exports = { ...require('../../jest.preset.js'), displayName: 'uploader', rootDir: __dirname };
