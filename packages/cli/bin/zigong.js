#!/usr/bin/env node
// The `zigong` command. A file of the source tree, so that `npm ci` links it before anything is
// built; the program itself is the compiled dist/zigong.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const program = join(__dirname, '..', 'dist', 'zigong.js');
if (!existsSync(program)) {
  console.error('zigong is not built yet: run `npm run build` in the repository first.');
  process.exit(1);
}
require(program).zigongProgram().parse();
