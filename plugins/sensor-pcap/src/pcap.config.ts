import { IsBoolean, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, Min, ValidateIf } from 'class-validator';

/**
 * Where the sensor reads packets and how it meters them into flows. Exactly
 * one of `interface` and `file` is given; the timeouts default to Argus's.
 */
export class PcapSensorConfig {
  /** Interface to capture on live (libpcap), e.g. eth0. Needs root or CAP_NET_RAW. */
  @ValidateIf((c: PcapSensorConfig) => c.file === undefined)
  @IsString({ message: 'give either interface or file' })
  @IsNotEmpty({ message: 'give either interface or file' })
  interface?: string;

  /** A pcap or pcapng file to read instead of an interface; the source then ends with the file. */
  @ValidateIf((c: PcapSensorConfig) => c.interface === undefined || c.file !== undefined)
  @IsString({ message: 'give either interface or file' })
  @IsNotEmpty({ message: 'give either interface or file' })
  file?: string;

  /** BPF filter in tcpdump syntax, e.g. "not port 22". */
  @IsOptional()
  @IsString()
  bpf?: string;

  /** Live capture: bytes kept of each packet. */
  @IsOptional()
  @IsInt()
  @Min(64)
  @Max(262144)
  snaplen = 262144;

  /** Live capture: put the interface in promiscuous mode. */
  @IsOptional()
  @IsBoolean()
  promisc = true;

  /** Sensor id written into every record's sid; the plugin instance id when unset. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  sid?: string;

  /** A status record for each active flow this often (Argus: 5 s); 0 sends final records only. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  statusIntervalSec = 5;

  /** Idle time after which a TCP flow gets its final record. */
  @IsOptional()
  @IsNumber()
  @Min(1)
  tcpTimeoutSec = 60;

  /** Idle time after which a UDP flow gets its final record. */
  @IsOptional()
  @IsNumber()
  @Min(1)
  udpTimeoutSec = 30;

  /** Idle time after which an ICMP flow gets its final record. */
  @IsOptional()
  @IsNumber()
  @Min(1)
  icmpTimeoutSec = 5;

  /** Idle time for every other protocol (ARP, non-IP, GRE, ESP, ...). */
  @IsOptional()
  @IsNumber()
  @Min(1)
  otherTimeoutSec = 30;

  /** Most flows held at once; when full the oldest idle flows are finalised early (counted). Unset: about 512 MiB worth. */
  @IsOptional()
  @IsInt()
  @Min(1000)
  maxFlows?: number;

  /** Records per batch handed from the native sensor to the bus. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  batchSize = 4096;

  /** Parse DNS responses into records on the dns output. */
  @IsOptional()
  @IsBoolean()
  dns = true;
}
