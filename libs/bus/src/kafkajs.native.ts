/**
 * Two pieces of kafkajs 2.2 that cost a producer more than they need to, and
 * that it offers no option for, replaced when the native module loads:
 *
 * - The CRC-32C of every record batch, computed in JavaScript (about 5 ms
 *   per MB here); the native one uses the processor's CRC instruction.
 * - Its Encoder grows by allocating a new zero-filled Buffer and copying into
 *   it, for each record and again as a batch grows. Nothing past what it has
 *   written is ever read (its `buffer` is the written part), so the growth
 *   allocates without zero-filling.
 *
 * kafkajs's record-batch encoder keeps the CRC function it required when it
 * is first loaded, on a process's first produce request: the CRC is replaced
 * only if that has not happened yet (the bus calls this before it produces).
 * The answer says what was replaced; a later kafkajs that moves these
 * modules is left as it is.
 */
import Module = require('node:module');
import { crc32c, nativeLoadError } from '@panoptes/capture';

export interface KafkajsHelpers {
  /** kafkajs's record batches get their CRC-32C from the native module. */
  crc32c: boolean;
  /** kafkajs's Encoder grows without zero-filling. */
  encoder: boolean;
}

const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C';
const BATCH_MODULE = 'kafkajs/src/protocol/recordBatch/v0';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder';

/** Replaces what it can (again is harmless); see the module's comment. */
export function useNativeKafkajsHelpers(): KafkajsHelpers {
  return { crc32c: nativeCrc(), encoder: uninitialisedGrowth() };
}

function resolved(id: string): string | undefined {
  try {
    return require.resolve(id);
  } catch {
    return undefined;
  }
}

function nativeCrc(): boolean {
  if (nativeLoadError() !== undefined) return false;
  const crcFile = resolved(CRC_MODULE);
  const batchFile = resolved(BATCH_MODULE);
  if (crcFile === undefined || batchFile === undefined) return false;
  const cached = require.cache[crcFile];
  if (cached?.exports === crc32c) return true;
  // Too late once the batch encoder holds kafkajs's own function.
  if (require.cache[batchFile] !== undefined) return false;
  const m = new Module(crcFile);
  m.filename = crcFile;
  m.loaded = true;
  m.exports = crc32c;
  require.cache[crcFile] = m;
  return true;
}

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

let nextPowerOfTwo: (n: number) => number;

/** kafkajs's Encoder.ensureAvailable, with a Buffer that is not zero-filled. */
function ensureAvailable(this: KafkajsEncoder, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(nextPowerOfTwo(this.offset + length));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}

function uninitialisedGrowth(): boolean {
  const file = resolved(ENCODER_MODULE);
  if (file === undefined) return false;
  const Encoder = require(file) as {
    prototype: { ensureAvailable?: unknown };
    nextPowerOfTwo?: (n: number) => number;
  };
  const power = Encoder.nextPowerOfTwo;
  if (typeof Encoder.prototype.ensureAvailable !== 'function' || typeof power !== 'function') return false;
  nextPowerOfTwo = power;
  Encoder.prototype.ensureAvailable = ensureAvailable;
  return true;
}
