// One lint config for the workspace: type-aware async rules plus the module boundaries of the README layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const ioLibraries = ['pg', 'drizzle-orm', 'drizzle-orm/*', 'bullmq', 'ioredis', 'socket.io', 'socket.io-client', '@socket.io/*', '@aws-sdk/*', 'fastify', '@fastify/*', 'fluent-ffmpeg', 'openai', 'onnxruntime-node'];

const SPECS = ['**/*.spec.ts'];
const restrictImports = ({ sql, bullmq, testing }) => [
  'error',
  {
    paths: testing ? [{ name: '@earshot/testing', message: 'Test helpers are for tests only.' }] : [],
    patterns: [
      ...(sql ? [{ group: ['pg', 'drizzle-orm', 'drizzle-orm/*'], message: 'Only libs/db builds SQL: use a repository from @earshot/db.' }] : []),
      ...(bullmq ? [{ group: ['bullmq'], message: 'Only libs/queue imports bullmq.' }] : []),
    ],
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.data/**', '**/migrations/**', '**/*.js', '**/*.cjs', '**/*.mjs', '**/drizzle.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: ioLibraries },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            // type:testing is allowed for their test files only; the rule below keeps it out of src.
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data', 'type:testing'] },
            // End-to-end tests read rows and stored bytes back to check them.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data', 'type:testing'] },
          ],
        },
      ],
    },
  },
  // Who may import what (later blocks override earlier ones for the same files).
  { files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'], ignores: SPECS, rules: { 'no-restricted-imports': restrictImports({ sql: true, bullmq: true, testing: true }) } },
  { files: ['libs/db/src/**/*.ts'], ignores: SPECS, rules: { 'no-restricted-imports': restrictImports({ sql: false, bullmq: true, testing: true }) } },
  { files: ['libs/queue/src/**/*.ts'], ignores: SPECS, rules: { 'no-restricted-imports': restrictImports({ sql: true, bullmq: false, testing: true }) } },
  { files: ['libs/testing/src/**/*.ts'], rules: { 'no-restricted-imports': restrictImports({ sql: true, bullmq: true, testing: false }) } },
  {
    // Use cases never read process.env: only config loaders and entry points do.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/main.ts', '**/*.cli.ts', '**/config.ts', '**/*.spec.ts', 'libs/testing/**', 'libs/config/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read config once at boot (loadConfig) and pass it in.' }] },
  },
  {
    files: ['**/*.spec.ts', 'libs/testing/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
