#!/usr/bin/env node
'use strict';
// One tsc build compiles every package into dist/<package>/src. Each
// workspace package's "main" is its own dist/, so link <package>/dist to that
// output: Node then resolves @panoptes/* through the workspace symlinks.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
for (const group of ['libs', 'plugins', 'apps']) {
  const dir = path.join(root, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir)) {
    const pkg = path.join(dir, name);
    if (!fs.existsSync(path.join(pkg, 'package.json'))) continue;
    const link = path.join(pkg, 'dist');
    const target = path.relative(pkg, path.join(root, 'dist', group, name, 'src'));
    try {
      if (fs.readlinkSync(link) === target) continue;
      fs.unlinkSync(link);
    } catch {
      /* not a link yet */
    }
    fs.symlinkSync(target, link, 'dir');
  }
}
