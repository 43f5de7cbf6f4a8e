//! The sensor engine: a packet source (file or interface) feeding decode, the
//! optional BPF filter, the flow table and DNS extraction, with records going
//! to a sink (batches for JavaScript, or a file written natively).

use crate::decode::{decode, Undecodable, L3};
use crate::dns;
use crate::flow::{Config, FlowTable};
use crate::pcapfile::PcapReader;
use crate::record::{write_addr, Addr, Rec};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Counters shared with the JavaScript side, readable at any time.
#[derive(Default)]
pub struct SharedStats {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub decoded: AtomicU64,
    pub filtered: AtomicU64,
    pub undecodable: [AtomicU64; 5],
    pub kernel_drops: AtomicU64,
    pub flows_active: AtomicU64,
    pub flows_created: AtomicU64,
    pub flows_evicted: AtomicU64,
    pub records: AtomicU64,
    pub dns_records: AtomicU64,
    pub file_offset: AtomicU64,
}

pub struct DnsRec {
    pub ts: i64,
    pub client: Addr,
    pub server: Addr,
    pub resp: dns::Response,
}

/// Where records and DNS answers go.
pub trait Sink {
    fn records(&mut self, recs: &mut Vec<Rec>, sid: &str) -> Result<(), String>;
    fn dns(&mut self, d: &DnsRec, sid: &str) -> Result<(), String>;
    /// Called between packets; a sink that batches sends when a batch is full
    /// (`force`: at end of input, or on a live capture's periodic flush).
    fn flush(&mut self, force: bool) -> Result<(), String>;
    /// Input has ended; only the final flush remains.
    fn end_of_input(&mut self) {}
    /// End of output: everything delivered (a file sink waits for its writer).
    fn close(&mut self) -> Result<(), String> {
        Ok(())
    }
}

pub struct Meter {
    pub table: FlowTable,
    pub stats: Arc<SharedStats>,
    pub bpf: Option<pcap::BpfProgram>,
    bpf_src: Option<String>,
    bpf_linktype: u32,
    pub dns: bool,
    local: [u64; 9],
    /// The last DNS answer, its strings reused for the next one.
    dns_rec: DnsRec,
}

impl Meter {
    pub fn new(cfg: Config, stats: Arc<SharedStats>, bpf: Option<String>, dns: bool) -> Meter {
        let dns_rec = DnsRec { ts: 0, client: Addr::V4([0; 4]), server: Addr::V4([0; 4]), resp: dns::Response::default() };
        Meter { table: FlowTable::new(cfg), stats, bpf: None, bpf_src: bpf, bpf_linktype: u32::MAX, dns, local: [0; 9], dns_rec }
    }

    /// Compiles the filter for a link type (files may change link type per interface).
    fn ensure_bpf(&mut self, linktype: u32) -> Result<(), String> {
        let Some(src) = &self.bpf_src else { return Ok(()) };
        if linktype == self.bpf_linktype {
            return Ok(());
        }
        let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| format!("cannot compile filter: {e}"))?;
        self.bpf = Some(dead.compile(src, true).map_err(|e| format!("bad filter \"{src}\": {e}"))?);
        self.bpf_linktype = linktype;
        Ok(())
    }

    pub fn check_filter(src: &str, linktype: u32) -> Result<(), String> {
        let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| e.to_string())?;
        dead.compile(src, true).map(|_| ()).map_err(|e| format!("bad filter \"{src}\": {e}"))
    }

    pub fn packet(&mut self, linktype: u32, ts: i64, data: &[u8], wire_len: u32, sink: &mut dyn Sink) -> Result<(), String> {
        self.local[0] += 1;
        self.local[1] += wire_len as u64;
        if self.bpf_src.is_some() {
            self.ensure_bpf(linktype)?;
            if let Some(b) = &self.bpf {
                if !b.filter(data) {
                    self.local[2] += 1;
                    self.table.tick(ts);
                    return self.after(sink);
                }
            }
        }
        match decode(linktype, data, wire_len) {
            Ok(p) => {
                self.local[3] += 1;
                self.table.packet(ts, &p);
                if self.dns && p.app_cap > 0 && (p.l3 == L3::Ip4 || p.l3 == L3::Ip6) && p.sport == 53 && p.has_ports {
                    self.dns_answer(ts, &p, data, sink)?;
                }
            }
            Err(e) => {
                let i = Undecodable::ALL.iter().position(|x| *x == e).unwrap_or(0);
                self.stats.undecodable[i].fetch_add(1, Ordering::Relaxed);
                self.table.tick(ts);
            }
        }
        self.after(sink)
    }

    fn dns_answer(&mut self, ts: i64, p: &crate::decode::Pkt, data: &[u8], sink: &mut dyn Sink) -> Result<(), String> {
        let Some(mut m) = data.get(p.app_off..p.app_off + p.app_cap) else { return Ok(()) };
        if p.proto == 6 {
            // DNS over TCP: a two-byte length, then the message (whole messages in one segment only).
            if m.len() < 2 || u16::from_be_bytes([m[0], m[1]]) as usize != m.len() - 2 {
                return Ok(());
            }
            m = &m[2..];
        } else if p.proto != 17 {
            return Ok(());
        }
        let d = &mut self.dns_rec;
        if dns::parse_response_into(m, &mut d.resp) {
            let v4 = p.l3 == L3::Ip4;
            let a = |x: &[u8; 16]| if v4 { Addr::V4([x[0], x[1], x[2], x[3]]) } else { Addr::V6(*x) };
            d.ts = ts;
            d.client = a(&p.dst);
            d.server = a(&p.src);
            self.stats.dns_records.fetch_add(1, Ordering::Relaxed);
            sink.dns(d, &self.table.cfg.sid)?;
        }
        Ok(())
    }

    fn after(&mut self, sink: &mut dyn Sink) -> Result<(), String> {
        if !self.table.out.is_empty() {
            let sid = std::mem::take(&mut self.table.cfg.sid);
            let r = sink.records(&mut self.table.out, &sid);
            self.table.cfg.sid = sid;
            self.table.out.clear();
            r?;
        }
        if self.local[0] & 1023 == 0 {
            self.publish();
            sink.flush(false)?;
        }
        Ok(())
    }

    /// Copies the hot counters to the shared stats (done every 1024 packets).
    pub fn publish(&mut self) {
        let s = &self.stats;
        s.packets.fetch_add(self.local[0] - self.local[5], Ordering::Relaxed);
        s.bytes.fetch_add(self.local[1] - self.local[6], Ordering::Relaxed);
        s.filtered.fetch_add(self.local[2] - self.local[7], Ordering::Relaxed);
        s.decoded.fetch_add(self.local[3] - self.local[8], Ordering::Relaxed);
        self.local[5] = self.local[0];
        self.local[6] = self.local[1];
        self.local[7] = self.local[2];
        self.local[8] = self.local[3];
        s.flows_active.store(self.table.len() as u64, Ordering::Relaxed);
        s.flows_created.store(self.table.stats.flows_created, Ordering::Relaxed);
        s.flows_evicted.store(self.table.stats.flows_evicted, Ordering::Relaxed);
        s.records.store(self.table.stats.records, Ordering::Relaxed);
    }

    /// Finalises every flow and delivers the records.
    pub fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), String> {
        sink.end_of_input();
        for chunk in self.table.end_order() {
            for i in chunk {
                self.table.finish_slot(i);
            }
            self.packet_free_flush(sink)?;
        }
        self.publish();
        sink.flush(true)
    }
}

/// Reads a whole file through the meter. A read error ends the input after
/// every flow read so far has been flushed, and is returned as
/// `"<file>: <what> at byte offset N"`.
pub fn run_file(path: &str, meter: &mut Meter, sink: &mut dyn Sink, stop: &AtomicBool) -> Result<(), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut rd = PcapReader::new(f).map_err(|e| format!("{path}: {e}"))?;
    if let (Some(b), Some(lt)) = (&meter.bpf_src, rd.linktype()) {
        Meter::check_filter(b, lt)?;
    }
    let mut failure = None;
    let mut n = 0u64;
    loop {
        if n & 4095 == 0 {
            meter.stats.file_offset.store(rd.offset(), Ordering::Relaxed);
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        n += 1;
        match rd.next_packet() {
            Ok(Some(p)) => {
                let (lt, ts, wl) = (p.linktype, p.ts_us, p.orig_len);
                meter.packet(lt, ts, p.data, wl, sink)?;
            }
            Ok(None) => break,
            Err(e) => {
                failure = Some(format!("{path}: {e}"));
                break;
            }
        }
    }
    meter.stats.file_offset.store(rd.offset(), Ordering::Relaxed);
    meter.finish(sink)?;
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub use crate::filesink::FileSink;

/// Discards records (benchmarks of the sensor alone still format nothing).
pub struct NullSink(pub u64);
impl Sink for NullSink {
    fn records(&mut self, recs: &mut Vec<Rec>, _sid: &str) -> Result<(), String> {
        self.0 += recs.len() as u64;
        Ok(())
    }
    fn dns(&mut self, _d: &DnsRec, _sid: &str) -> Result<(), String> {
        Ok(())
    }
    fn flush(&mut self, _force: bool) -> Result<(), String> {
        Ok(())
    }
}

/// One DNS answer record as a JSON object.
pub fn write_dns_json(o: &mut Vec<u8>, d: &DnsRec, sid: &str) {
    let us = d.ts;
    let _ = write!(o, "{{\"time\":{}.{:06},\"sid\":\"{}\",\"client\":\"", us.div_euclid(1_000_000), us.rem_euclid(1_000_000), sid);
    write_addr(o, &d.client);
    o.extend_from_slice(b"\",\"server\":\"");
    write_addr(o, &d.server);
    o.extend_from_slice(b"\",\"qname\":");
    json_str(o, &d.resp.qname);
    let _ = write!(o, ",\"qtype\":\"{}\",\"rcode\":\"{}\",\"answers\":[", dns::type_name(d.resp.qtype), dns::rcode_name(d.resp.rcode));
    for (i, a) in d.resp.answers.iter().enumerate() {
        if i > 0 {
            o.push(b',');
        }
        o.extend_from_slice(b"{\"name\":");
        json_str(o, &a.name);
        let _ = write!(o, ",\"type\":\"{}\",\"ttl\":{},\"data\":", dns::type_name(a.rtype), a.ttl);
        json_str(o, &a.data);
        o.push(b'}');
    }
    o.extend_from_slice(b"]}");
}

pub fn json_str(o: &mut Vec<u8>, s: &str) {
    o.push(b'"');
    for c in s.chars() {
        match c {
            '"' => o.extend_from_slice(b"\\\""),
            '\\' => o.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => {
                let mut b = [0u8; 4];
                o.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    o.push(b'"');
}

impl Meter {
    /// Hands records made outside packet processing (timer ticks) to the sink.
    pub fn packet_free_flush(&mut self, sink: &mut dyn Sink) -> Result<(), String> {
        if self.table.out.is_empty() {
            return Ok(());
        }
        let sid = std::mem::take(&mut self.table.cfg.sid);
        let r = sink.records(&mut self.table.out, &sid);
        self.table.cfg.sid = sid;
        self.table.out.clear();
        r
    }
}
