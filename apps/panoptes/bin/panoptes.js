#!/usr/bin/env node
'use strict';
// The CLI entry: runs the compiled host (npm run build writes dist/).
const path = require('node:path');
const main = path.join(__dirname, '..', '..', '..', 'dist', 'apps', 'panoptes', 'src', 'main.js');
try {
  require.resolve(main);
} catch {
  process.stderr.write(`panoptes: not built yet (${main} missing); run "npm run build" first\n`);
  process.exit(2);
}
require(main)
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err) => {
      process.stderr.write(`panoptes: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 1;
    },
  );
