'use strict';
// Loader and thin wrapper over the native module: records arrive from Rust as
// JSON text batches and are materialised here with one JSON.parse per batch,
// far cheaper than building objects field by field through N-API.

const path = require('node:path');

let native;
function loadNative() {
  if (!native) {
    const file = process.env.PANOPTES_CAPTURE_NODE || path.join(__dirname, 'panoptes_capture.node');
    try {
      native = require(file);
    } catch (err) {
      throw new Error(`cannot load the native capture module ${file} (run npm run build:native): ${err.message}`);
    }
  }
  return native;
}

const OPTION_KEYS = [
  'file',
  'interface',
  'bpf',
  'snaplen',
  'promisc',
  'sid',
  'statusIntervalSec',
  'tcpTimeoutSec',
  'udpTimeoutSec',
  'icmpTimeoutSec',
  'otherTimeoutSec',
  'maxFlows',
  'batchSize',
  'dns',
  'outputPath',
  'outputFormat',
];

class CaptureError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CaptureError';
  }
}

class Capture {
  /** Checks the options; opens nothing until start(). */
  constructor(options) {
    const opts = {};
    for (const k of OPTION_KEYS) if (options[k] !== undefined && options[k] !== null) opts[k] = options[k];
    this._native = new (loadNative().NativeCapture)(opts);
    this._ended = false;
  }

  /** Opens the file or interface and starts the capture thread. */
  start() {
    this._native.start();
    return this;
  }

  /**
   * The next batch of records, or null at the end. If the input ended in error
   * (a truncated file, say), the batch carrying the last records has `error`
   * set; next() after it rejects with that error.
   */
  async next() {
    if (this._pendingError) {
      const e = this._pendingError;
      this._pendingError = undefined;
      this._ended = true;
      throw e;
    }
    if (this._ended) return null;
    const b = await this._native.next();
    if (b === null) {
      this._ended = true;
      return null;
    }
    const batch = {
      records: b.recordCount > 0 ? JSON.parse(b.records.toString('utf8')) : [],
      dns: b.dnsCount > 0 ? JSON.parse(b.dns.toString('utf8')) : [],
      done: b.done,
    };
    if (b.error) this._pendingError = new CaptureError(b.error);
    else if (b.done) this._ended = true;
    return batch;
  }

  /** Iterates batches; throws the input's error after yielding every record read before it. */
  async *batches() {
    for (;;) {
      const b = await this.next();
      if (b === null) return;
      if (b.records.length > 0 || b.dns.length > 0 || !b.done) yield b;
      if (b.done && !this._pendingError) return;
    }
  }

  /** Stops capture promptly; remaining flows still arrive as final records. */
  stop() {
    this._native.stop();
  }

  stats() {
    return this._native.stats();
  }
}

/**
 * Runs a file or interface with records written by Rust straight to `outputPath`
 * (json lines, csv, or none to discard): the fast path of `panoptes read -w`.
 */
async function captureToFile(options, onProgress) {
  const cap = new Capture(options).start();
  let error;
  const timer = onProgress ? setInterval(() => onProgress(cap.stats()), 200) : undefined;
  for (;;) {
    let b;
    try {
      b = await cap.next();
    } catch (e) {
      error = e;
      break;
    }
    if (b === null) break;
  }
  if (timer) clearInterval(timer);
  return { stats: cap.stats(), error };
}

function checkFilter(expr, linktype) {
  loadNative().checkFilter(expr, linktype);
}

/**
 * One byte per line of UTF-8 `text` (split at "\n", a "\r" before it left
 * out): bit 0 set where the line is one flat JSON object (no object nested
 * in it) spelled exactly as JSON.stringify spells what JSON.parse makes of
 * it, and then bit 1 too where the line is all ASCII (it may be decoded as
 * Latin-1, a plain copy), and bit 2 too where it holds one of the keys
 * `watch` at its top level; 0 elsewhere (or where the check cannot tell).
 */
function jsonCanonicalLines(text, watch) {
  return loadNative().jsonCanonicalLines(text, watch);
}

let loadError;

/** Why the native module cannot be loaded (not built, say), or undefined when it loads. */
function nativeLoadError() {
  if (loadError === undefined) {
    try {
      loadNative();
      loadError = null;
    } catch (err) {
      loadError = err.message;
    }
  }
  return loadError ?? undefined;
}

/** jsonCanonicalLines, or undefined where the native module is not built (callers then parse). */
function jsonCanonicalLinesIfBuilt(text, watch) {
  return nativeLoadError() === undefined ? jsonCanonicalLines(text, watch) : undefined;
}

/** The bits of a jsonCanonicalLines flag (the Rust side's CANONICAL, ASCII and WATCHED). */
const LINE_CANONICAL = 1;
const LINE_ASCII = 2;
const LINE_WATCHED = 4;

/**
 * The line bytes[start, end) as a string, a trailing "\r" left out: copied
 * as Latin-1 where its flag says canonical and ASCII, decoded as UTF-8
 * otherwise. Each line its own string, not a slice pinning the whole text.
 */
function lineText(bytes, start, end, flag) {
  const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
  const ascii = LINE_CANONICAL | LINE_ASCII;
  return bytes.toString((flag & ascii) === ascii ? 'latin1' : 'utf8', start, stop);
}

/** One LZ4 frame of `data`: Kafka's lz4 codec, as the Java client writes it. */
function lz4Compress(data) {
  return loadNative().lz4Compress(data);
}

/** The data of LZ4 frames; throws on anything else, or on more than 512 MiB. */
function lz4Decompress(data) {
  return loadNative().lz4Decompress(data);
}

/** The CRC-32C (Castagnoli) of `data`, as Kafka's record batches carry it. */
function crc32c(data) {
  return loadNative().crc32c(data);
}

module.exports = {
  Capture,
  CaptureError,
  captureToFile,
  checkFilter,
  crc32c,
  jsonCanonicalLines,
  jsonCanonicalLinesIfBuilt,
  LINE_ASCII,
  LINE_CANONICAL,
  LINE_WATCHED,
  lineText,
  lz4Compress,
  lz4Decompress,
  nativeLoadError,
};
