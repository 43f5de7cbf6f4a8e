import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { crc32c } from '@panoptes/capture';
import { useNativeKafkajsHelpers } from './kafkajs.native';

// kafkajs's own JavaScript CRC-32C, the reference.
const jsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const Encoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeBuffer(b: Buffer): unknown;
  writeInt32(n: number): unknown;
  buffer: Buffer;
  buf: Buffer;
};

describe('kafkajs with native helpers', () => {
  it('computes the CRC-32C kafkajs computes, for every length round the word size', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const n of [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 65_537]) {
      const b = randomBytes(n);
      expect(crc32c(b)).toBe(jsCrc32c(b) >>> 0);
      expect(crc32c(b.subarray(1))).toBe(jsCrc32c(b.subarray(1)) >>> 0);
    }
  });

  it("grows kafkajs's Encoder without zero-filling and writes the same bytes", () => {
    expect(useNativeKafkajsHelpers().encoder).toBe(true);
    const parts = [randomBytes(100), randomBytes(3000), randomBytes(70_000)];
    const e = new Encoder();
    for (const p of parts) {
      e.writeInt32(p.length);
      e.writeBuffer(p);
    }
    const want = Buffer.concat(
      parts.flatMap((p) => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(p.length);
        return [length, p];
      }),
    );
    expect(e.buffer.equals(want)).toBe(true);
    expect(e.buf.length).toBe(131_072);
  });

  it("replaces kafkajs's CRC in a process that has not produced yet, and its record batches carry the right one", () => {
    // Jest keeps a module registry of its own, so this runs in plain Node
    // over the built bus, as a role process does.
    const bus = join(__dirname, '../../../dist/libs/bus/src/index.js');
    const script = `
      const { useNativeKafkajsHelpers } = require(${JSON.stringify(bus)});
      const applied = useNativeKafkajsHelpers();
      const { crc32c } = require('@panoptes/capture');
      const used = require('kafkajs/src/protocol/recordBatch/crc32C') === crc32c;
      const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
      const jsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C');
      const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
      const records = [Record({ key: 'k', value: Buffer.alloc(5000, 7), headers: {}, offsetDelta: 0, timestampDelta: 0 })];
      RecordBatch({ records, firstTimestamp: 1, maxTimestamp: 1 })
        .then((e) => {
          const b = e.buffer;
          // After baseOffset(8) length(4) epoch(4) magic(1): the CRC over what follows it.
          const crc = b.readUInt32BE(17);
          console.log(JSON.stringify({ applied, used, right: crc === (jsCrc(b.subarray(21)) >>> 0) }));
        });`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ applied: { crc32c: true, encoder: true }, used: true, right: true });
  });
});
