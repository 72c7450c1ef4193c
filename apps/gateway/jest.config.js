const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'gateway',
  rootDir: __dirname,
  // @fastify/static requires the ESM-only content-disposition (Node >= 20.19 loads it natively; jest needs it compiled).
  transformIgnorePatterns: ['^(?!.*/node_modules/(jose|content-disposition)/).*/node_modules/'],
};
