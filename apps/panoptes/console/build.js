#!/usr/bin/env node
'use strict';
// Builds the web console into dist/console: compiles src/*.ts with the
// console's own tsconfig (browser ES modules, no bundler), copies the static
// files, and writes fields.json from the flow catalogue so the browser shows
// the same field names, units and meanings as the rest of Panoptes.
// Run after build:ts (it reads the compiled catalogue from dist/).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const root = path.resolve(here, '..', '..', '..');
const out = path.join(root, 'dist', 'console');
const STATIC = ['index.html', 'console.css', 'favicon.svg'];

fs.mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(here, 'tsconfig.json')], {
  stdio: 'inherit',
});
for (const name of STATIC) fs.copyFileSync(path.join(here, 'src', name), path.join(out, name));

const catalogue = path.join(root, 'dist', 'libs', 'flow', 'src', 'flow.catalogue.js');
if (!fs.existsSync(catalogue)) {
  process.stderr.write(`build:console: ${catalogue} missing; run "npm run build:ts" first\n`);
  process.exit(2);
}
const { FIELDS } = require(catalogue);
const fields = FIELDS.map(({ name, type, unit, group, counter, description }) => ({
  name,
  type,
  unit,
  group,
  counter: !!counter,
  description,
}));
fs.writeFileSync(path.join(out, 'fields.json'), JSON.stringify(fields));
process.stdout.write(`build:console: wrote ${path.relative(root, out)} (${fields.length} fields)\n`);
