// One lint config for the workspace: type-aware async rules plus the module boundaries of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const ioLibraries = ['pg', 'drizzle-orm', 'drizzle-orm/*', 'bullmq', 'ioredis', 'socket.io', 'socket.io-client', '@socket.io/*', '@aws-sdk/*', 'fastify', '@fastify/*', 'fluent-ffmpeg', 'openai', 'onnxruntime-node'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.data/**', '**/migrations/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
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
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data', 'type:testing'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:testing'] },
          ],
        },
      ],
    },
  },
  {
    // Only the data lib that owns an engine may import it.
    files: ['apps/**/*.ts', 'libs/contracts/**/*.ts', 'libs/config/**/*.ts', 'libs/auth/**/*.ts', 'libs/audio/**/*.ts', 'libs/storage/**/*.ts', 'libs/queue/**/*.ts', 'libs/events/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['pg', 'drizzle-orm', 'drizzle-orm/*'], message: 'Only libs/db builds SQL: use a repository from @earshot/db.' }] }],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/contracts/**/*.ts', 'libs/config/**/*.ts', 'libs/auth/**/*.ts', 'libs/audio/**/*.ts', 'libs/storage/**/*.ts', 'libs/db/**/*.ts', 'libs/events/**/*.ts', 'libs/http/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['pg', 'drizzle-orm', 'drizzle-orm/*'], message: 'Only libs/db builds SQL: use a repository from @earshot/db.' },
        { group: ['bullmq'], message: 'Only libs/queue imports bullmq.' },
      ] }],
    },
  },
  {
    files: ['libs/db/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['bullmq'], message: 'Only libs/queue imports bullmq.' }] }] },
  },
  {
    // Use cases never read process.env: only config loaders and entry points do.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/main.ts', '**/*.cli.ts', '**/config.ts', '**/*.spec.ts', 'libs/testing/**', 'libs/config/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read config once at boot (loadConfig) and pass it in.' }] },
  },
  {
    files: ['**/*.spec.ts', 'libs/testing/**/*.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-member-access': 'off' },
  },
  prettier,
);
