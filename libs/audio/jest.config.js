module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audio',
  rootDir: __dirname,
  testEnvironment: '<rootDir>/test/node-realm.environment.js',
  testTimeout: 60_000,
};
