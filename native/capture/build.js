#!/usr/bin/env node
// Builds the Rust crate (release, LTO) with cargo and copies the cdylib to
// native/capture/panoptes_capture.node, where index.js loads it. No npm-side
// napi tooling is needed: cargo and libpcap's headers are the only prerequisites.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = __dirname;
const profile = process.env.PANOPTES_NATIVE_PROFILE === 'debug' ? 'debug' : 'release';
const args = ['build', '--features', 'node', '--manifest-path', path.join(dir, 'Cargo.toml')];
if (profile === 'release') args.push('--release');
try {
  execFileSync('cargo', args, { stdio: 'inherit' });
} catch (err) {
  console.error(`native/capture: cargo build failed (${err.message}); is libpcap-dev installed?`);
  process.exit(1);
}
const target = process.env.CARGO_TARGET_DIR || path.join(dir, 'target');
const names = { linux: 'libpanoptes_capture.so', darwin: 'libpanoptes_capture.dylib', win32: 'panoptes_capture.dll' };
const lib = path.join(target, profile, names[process.platform] || names.linux);
const out = path.join(dir, 'panoptes_capture.node');
// Copy to a temporary name and rename, so a running process never sees a half-written file.
fs.copyFileSync(lib, out + '.tmp');
fs.renameSync(out + '.tmp', out);
console.log(`native/capture: built ${path.relative(process.cwd(), out)} (${profile})`);
