/**
 * @panoptes/capture: native capture and flow metering (Rust, napi-rs).
 * Records use the field names of libs/flow's catalogue; counters are deltas
 * since the previous record of the same flow.
 */

/** What to read and how to meter it. Exactly one of `file` and `interface`. */
export interface CaptureOptions {
  /** A pcap or pcapng file. */
  file?: string;
  /** An interface to capture on live (libpcap). */
  interface?: string;
  /** A BPF filter expression (tcpdump syntax). */
  bpf?: string;
  /** Live capture: bytes kept of each packet (default 262144). */
  snaplen?: number;
  /** Live capture: promiscuous mode (default true). */
  promisc?: boolean;
  /** Sensor id written in every record's `sid` (default "sensor"). */
  sid?: string;
  /** A status record for each active flow this often; 0 turns them off (default 5, like Argus). */
  statusIntervalSec?: number;
  /** Idle timeouts per protocol (defaults: TCP 60, UDP 30, ICMP 5, other 30). */
  tcpTimeoutSec?: number;
  udpTimeoutSec?: number;
  icmpTimeoutSec?: number;
  otherTimeoutSec?: number;
  /** Flow table bound; when full the oldest idle flows are finalised early (default: about 512 MiB worth). */
  maxFlows?: number;
  /** Records per batch handed to JavaScript (default 4096). */
  batchSize?: number;
  /** Extract DNS answers (default true). */
  dns?: boolean;
  /** Native fast path: write records to this file ("-" = stdout) instead of batches. */
  outputPath?: string;
  /** Format for outputPath: json lines, csv, or none to discard (sensor benchmarks). */
  outputFormat?: 'json' | 'csv' | 'none';
}

export type FlowDir = '->' | '<->' | '<-' | '?>' | '<?>' | '<?';

/** One flow record as the sensor emits it (the catalogue's sensor fields). */
export interface SensorRecord {
  uid: string;
  seq: number;
  rtype: 'status' | 'final';
  sid: string;
  stime: number;
  ltime: number;
  dur: number;
  proto: string;
  saddr: string;
  sport: number | null;
  dir: FlowDir;
  daddr: string;
  dport: number | null;
  spkts: number;
  dpkts: number;
  sbytes: number;
  dbytes: number;
  sappbytes: number;
  dappbytes: number;
  state: string;
  flgs: string;
  stcpflgs?: string;
  dtcpflgs?: string;
  sttl?: number;
  dttl?: number;
  stos?: number;
  dtos?: number;
  smac?: string;
  dmac?: string;
  vlan?: number;
  mpls?: number;
  swin?: number;
  dwin?: number;
  tcprtt?: number;
  synack?: number;
  ackdat?: number;
  sloss?: number;
  dloss?: number;
  sretrans?: number;
  dretrans?: number;
  soo?: number;
  doo?: number;
  sintpkt?: number;
  dintpkt?: number;
  sintdev?: number;
  dintdev?: number;
  sjit?: number;
  djit?: number;
  smeansz?: number;
  dmeansz?: number;
  sminsz?: number;
  smaxsz?: number;
  dminsz?: number;
  dmaxsz?: number;
  cid?: string;
}

/** One resource record of a DNS answer section. */
export interface DnsAnswer {
  name: string;
  /** Type name: A, AAAA, CNAME, MX, ... or TYPEnnn. */
  type: string;
  /** Seconds. */
  ttl: number;
  /** Address text for A/AAAA, the target name for CNAME/NS/PTR/MX, text for TXT, empty otherwise. */
  data: string;
}

/** A DNS response seen on the wire (topic dns.answers). */
export interface DnsAnswerRecord {
  /** Epoch seconds with microseconds. */
  time: number;
  sid: string;
  /** The resolver's client (destination of the response). */
  client: string;
  /** The answering server. */
  server: string;
  qname: string;
  /** Question type name (A, AAAA, ...). */
  qtype: string;
  /** Response code name (NOERROR, NXDOMAIN, ...). */
  rcode: string;
  answers: DnsAnswer[];
}

export interface CaptureBatch {
  records: SensorRecord[];
  dns: DnsAnswerRecord[];
  done: boolean;
}

export interface CaptureStats {
  packets: number;
  bytes: number;
  decoded: number;
  /** Packets the BPF filter rejected (files; live filters run in the kernel). */
  filtered: number;
  /** Packets that could not be metered, by reason. */
  undecodable: Record<string, number>;
  kernelDrops: number;
  flowsActive: number;
  flowsCreated: number;
  /** Flows finalised early because the table was full. */
  flowsEvicted: number;
  records: number;
  dnsRecords: number;
  /** Bytes of the file read so far (progress). */
  fileOffset: number;
}

export class CaptureError extends Error {}

export class Capture {
  constructor(options: CaptureOptions);
  start(): this;
  next(): Promise<CaptureBatch | null>;
  batches(): AsyncGenerator<CaptureBatch>;
  stop(): void;
  stats(): CaptureStats;
}

/** Runs to the end with records written natively (outputPath/outputFormat); `onProgress` gets stats every 200 ms. */
export function captureToFile(
  options: CaptureOptions,
  onProgress?: (stats: CaptureStats) => void,
): Promise<{ stats: CaptureStats; error?: Error }>;

/** Throws when the expression does not compile for the link type (default 1, Ethernet). */
export function checkFilter(expr: string, linktype?: number): void;

/**
 * One byte per line of UTF-8 `text` (split at "\n", a "\r" before it left
 * out): bit 0 set where the line is one flat JSON object (no object nested
 * in it) spelled exactly as JSON.stringify spells what JSON.parse makes of
 * it, and then bit 1 too where the line is all ASCII (it may be decoded as
 * Latin-1, a plain copy), and bit 2 too where it holds one of the keys
 * `watch` at its top level; 0 elsewhere (or where the check cannot tell).
 */
export function jsonCanonicalLines(text: Uint8Array, watch?: readonly string[]): Uint8Array;

/** jsonCanonicalLines, or undefined where the native module is not built (callers then parse). */
export function jsonCanonicalLinesIfBuilt(text: Uint8Array, watch?: readonly string[]): Uint8Array | undefined;

/** The bits of a jsonCanonicalLines flag. */
export const LINE_CANONICAL: 1;
export const LINE_ASCII: 2;
export const LINE_WATCHED: 4;

/**
 * The line bytes[start, end) as a string, a trailing "\r" left out: copied
 * as Latin-1 where its flag says canonical and ASCII, decoded as UTF-8
 * otherwise. Each line its own string, not a slice pinning the whole text.
 */
export function lineText(bytes: Buffer, start: number, end: number, flag: number): string;

/** The CRC-32C (Castagnoli) of `data`, as Kafka's record batches carry it. */
export function crc32c(data: Uint8Array): number;

/** One LZ4 frame of `data`: Kafka's lz4 codec, as the Java client writes it. */
export function lz4Compress(data: Uint8Array): Buffer;

/** The data of LZ4 frames; throws on anything else, or on more than 512 MiB. */
export function lz4Decompress(data: Uint8Array): Buffer;

/** Why the native module cannot be loaded (not built, say), or undefined when it loads. */
export function nativeLoadError(): string | undefined;
