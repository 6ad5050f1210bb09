// Lint: typescript-eslint's recommended rules, no import cycles between files, and the layers of
// src/ (see CONTRIBUTING.md): a folder imports only from the folders below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Bottom to top. A folder may import from any folder listed before it, never after.
const LAYERS = ['domain', 'db', 'resources', 'files', 'storage', 'tenancy', 'staging', 'downloads', 'lifecycle', 'pipeline', 'imports', 'worker', 'http', 'cli'];

const layerZones = LAYERS.slice(0, -1).map((folder, i) => ({
  target: `./src/${folder}`,
  from: LAYERS.slice(i + 1).map((above) => `./src/${above}`),
  message: `src/${folder} is below these folders in the layering (CONTRIBUTING.md): it must not import them.`,
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'web/dist/**', 'web/src/api/generated/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['./tsconfig.json', './web/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // The readers and the header/file-name checks look for control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests reach into the product's internals freely and use `any` for JSON bodies.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
