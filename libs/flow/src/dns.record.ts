/** One resource record of a DNS answer section. */
export interface DnsRR {
  readonly name: string;
  /** Type mnemonic: A, AAAA, CNAME, PTR, ... (TYPEnn when unknown). */
  readonly type: string;
  /** Seconds. */
  readonly ttl: number;
  /** Address text for A/AAAA, the target name for CNAME/PTR/NS, else a short text form. */
  readonly data: string;
}

/** A DNS response seen on the wire (or read from a Zeek dns.log). */
export interface DnsAnswer {
  /** Epoch seconds of the response. */
  readonly time: number;
  readonly sid: string;
  /** Address that asked. */
  readonly client: string;
  /** Address that answered. */
  readonly server: string;
  readonly qname: string;
  readonly qtype: string;
  /** NOERROR, NXDOMAIN, ... */
  readonly rcode: string;
  readonly answers: readonly DnsRR[];
}
