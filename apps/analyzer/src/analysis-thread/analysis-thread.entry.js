// A worker thread does not inherit the parent's TypeScript loader when the parent is jest (swc) rather than
// `node --import tsx`: tsx's require hook compiles the TypeScript entry here in either case.
require('tsx/cjs/api').register();
module.exports = require('./analysis.thread.ts');
