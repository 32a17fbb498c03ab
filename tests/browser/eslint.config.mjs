// ESLint (flat config) for the web interface's modules, run by scripts/test.sh from the
// repository's root: npx --prefix tests/browser eslint -c tests/browser/eslint.config.mjs web/js
import js from '@eslint/js';
import globals from 'globals';
import dissent from './eslint-i18n.mjs';

export default [
  js.configs.recommended,
  {
    files: ['web/js/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    // dissent/no-literal-text: every word a person reads comes from the catalogs (issue 23)
    plugins: { dissent },
    rules: {
      'dissent/no-literal-text': 'error',
      'no-unused-vars': ['error', { args: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-implicit-globals': 'error',
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
];
