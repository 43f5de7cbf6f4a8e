//! The sensor engine: a packet source (file or interface) feeding decode, the
//! optional BPF filter, the flow table and DNS extraction, with records going
//! to a sink (batches for JavaScript, or a file written natively).

use crate::decode::{Pkt, Undecodable};
use crate::front::{Front, Outcome};
use crate::dns;
use crate::flow::{Config, FlowTable, Pre};
use crate::record::{write_addr, Addr, Rec};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
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

impl DnsRec {
    pub fn empty() -> DnsRec {
        DnsRec { ts: 0, client: Addr::V4([0; 4]), server: Addr::V4([0; 4]), resp: dns::Response::default() }
    }
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
    /// Filter, decode and DNS parsing, when the meter runs them itself.
    pub front: Front,
    /// The packet being metered.
    pkt: Pkt,
    local: [u64; 9],
}

impl Meter {
    pub fn new(cfg: Config, stats: Arc<SharedStats>, bpf: Option<String>, dns: bool) -> Meter {
        Meter { table: FlowTable::new(cfg), stats, front: Front::new(bpf, dns), pkt: Pkt::empty(0), local: [0; 9] }
    }

    pub fn check_filter(src: &str, linktype: u32) -> Result<(), String> {
        let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| e.to_string())?;
        dead.compile(src, true).map(|_| ()).map_err(|e| format!("bad filter \"{src}\": {e}"))
    }

    #[inline]
    pub fn packet(&mut self, linktype: u32, ts: i64, data: &[u8], wire_len: u32, sink: &mut dyn Sink) -> Result<(), String> {
        self.local[0] += 1;
        self.local[1] += wire_len as u64;
        let o = self.front.packet(&mut self.pkt, linktype, ts, data, wire_len)?;
        account(&mut self.table, &self.stats, &mut self.local, ts, o, &self.pkt, None, &self.front.dns_rec, sink)
    }

    /// The flow-table half of `packet`, for a packet whose front half ran
    /// elsewhere (the pipelined reader): `pkt`, `pre` and `dns` as `Front`
    /// and `Pre::of` made them.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn decoded(&mut self, ts: i64, wire_len: u32, o: Outcome, pkt: &Pkt, pre: &Pre, dns: &DnsRec, sink: &mut dyn Sink) -> Result<(), String> {
        self.local[0] += 1;
        self.local[1] += wire_len as u64;
        account(&mut self.table, &self.stats, &mut self.local, ts, o, pkt, Some(pre), dns, sink)
    }

    /// Copies the hot counters to the shared stats (done every 1024 packets).
    pub fn publish(&mut self) {
        publish(&self.table, &self.stats, &mut self.local)
    }

    /// Finalises every flow and delivers the records.
    pub fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), String> {
        sink.end_of_input();
        for chunk in self.table.end_order() {
            self.table.finish_slots(&chunk);
            self.packet_free_flush(sink)?;
        }
        self.publish();
        sink.flush(true)
    }
}

/// Meters one packet whose front half (filter, decode, DNS) is done.
/// Free-standing so that `pkt` may borrow from the meter's own `Front`.
/// `pre`: the packet's `Pre`, when it was made ahead.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn account(table: &mut FlowTable, stats: &SharedStats, local: &mut [u64; 9], ts: i64, o: Outcome, pkt: &Pkt, pre: Option<&Pre>, dns: &DnsRec, sink: &mut dyn Sink) -> Result<(), String> {
    match o {
        Outcome::Decoded { dns: has_dns } => {
            local[3] += 1;
            table.packet_pre(ts, pkt, pre.copied().unwrap_or_else(|| Pre::of(pkt)));
            if has_dns {
                stats.dns_records.fetch_add(1, Ordering::Relaxed);
                sink.dns(dns, &table.cfg.sid)?;
            }
        }
        Outcome::Filtered => {
            local[2] += 1;
            table.tick(ts);
        }
        Outcome::Undecodable(e) => {
            let i = Undecodable::ALL.iter().position(|x| *x == e).unwrap_or(0);
            stats.undecodable[i].fetch_add(1, Ordering::Relaxed);
            table.tick(ts);
        }
    }
    if !table.out.is_empty() || local[0] & 1023 == 0 {
        return after(table, stats, local, sink);
    }
    Ok(())
}

/// Hands finished records to the sink; every 1024 packets, publishes the counters.
#[inline(never)]
fn after(table: &mut FlowTable, stats: &SharedStats, local: &mut [u64; 9], sink: &mut dyn Sink) -> Result<(), String> {
    if !table.out.is_empty() {
        let sid = std::mem::take(&mut table.cfg.sid);
        let r = sink.records(&mut table.out, &sid);
        table.cfg.sid = sid;
        table.out.clear();
        r?;
    }
    if local[0] & 1023 == 0 {
        publish(table, stats, local);
        sink.flush(false)?;
    }
    Ok(())
}

fn publish(table: &FlowTable, s: &SharedStats, local: &mut [u64; 9]) {
    s.packets.fetch_add(local[0] - local[5], Ordering::Relaxed);
    s.bytes.fetch_add(local[1] - local[6], Ordering::Relaxed);
    s.filtered.fetch_add(local[2] - local[7], Ordering::Relaxed);
    s.decoded.fetch_add(local[3] - local[8], Ordering::Relaxed);
    local[5] = local[0];
    local[6] = local[1];
    local[7] = local[2];
    local[8] = local[3];
    s.flows_active.store(table.len() as u64, Ordering::Relaxed);
    s.flows_created.store(table.stats.flows_created, Ordering::Relaxed);
    s.flows_evicted.store(table.stats.flows_evicted, Ordering::Relaxed);
    s.records.store(table.stats.records, Ordering::Relaxed);
}

pub use crate::filesink::FileSink;

/// Discards records (benchmarks of the sensor alone still format nothing).
pub struct NullSink(pub u64);
impl Sink for NullSink {
    fn records(&mut self, recs: &mut Vec<Rec>, _sid: &str) -> Result<(), String> {
        self.0 += recs.len() as u64;
        // The Community ID is made when a record is written, no longer by the
        // flow table: made here once per flow, as the table did, so that the
        // sensor benchmark still counts that work.
        for r in recs.iter().filter(|r| r.seq == 0) {
            std::hint::black_box(r.community_id());
        }
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
