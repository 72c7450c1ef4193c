// sherpa-onnx-node ships no type declarations; src/speakers/sherpa-onnx.speakers.ts types what it uses.
declare module 'sherpa-onnx-node';
