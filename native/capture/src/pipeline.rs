//! Capture files through the meter, in chunks of packets: `front` (filter,
//! decode, DNS parsing and the flow key's hash) fills a chunk, then the flow
//! table meters it while loading the memory of the packets ahead. `run_file`
//! does both on one thread; `run_file_pipelined` reads and decodes on a
//! second thread and hands chunks over, for where a second core pays off
//! (the native file output of `panoptes read -w`). Packets keep their order,
//! so both give exactly the same records, in the same order.

use crate::decode::Pkt;
use crate::engine::{DnsRec, Meter, SharedStats, Sink};
use crate::flow::Pre;
use crate::front::{Front, Outcome};
use crate::pcapfile::PcapReader;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Packets per chunk: large enough that handing a chunk over costs little
/// per packet, small enough that chunks in flight stay in the caches.
const CHUNK: usize = 2048;
/// Chunks in flight between the threads.
const DEPTH: usize = 4;
/// Packets per chunk on one thread: enough to look ahead, few enough to
/// stay in the first-level cache.
const SOLO_CHUNK: usize = 64;
/// How many packets ahead the meter starts loading the index bucket, and
/// then the flow, a packet will need: far enough that memory answers in
/// time, near enough that the lines are still cached when used.
const AHEAD_BUCKET: usize = 8;
const AHEAD_FLOW: usize = 4;
/// Items written on the reader's core (two threads): loading them starts
/// further ahead still, before their `pre` is read. On one thread the chunk
/// was just written and is still cached.
const AHEAD_ITEM: usize = 16;

#[derive(Clone)]
struct Item {
    ts: i64,
    wire_len: u32,
    outcome: Outcome,
    /// Meaningful when `outcome` is `Decoded`.
    pkt: Pkt,
    /// `Pre::of(&pkt)`, when `outcome` is `Decoded`.
    pre: Pre,
}

/// How the input ended, sent with the last chunk.
enum End {
    /// End of file, or stopped.
    Done,
    /// A read error: flows read so far are finished, then this is the error.
    Failed(String),
    /// The filter could not be compiled: the run ends at once, as in `run_file`.
    Fatal(String),
}

struct Chunk {
    /// Always as long as made; the first `n` are this chunk's packets (the rest
    /// are kept so that packets are decoded in place, without a copy).
    items: Vec<Item>,
    n: usize,
    /// DNS answers of the items whose outcome says so, in order; `ndns` in use
    /// (the rest are kept for their strings).
    dns: Vec<DnsRec>,
    ndns: usize,
    end: Option<End>,
}

impl Chunk {
    fn new(len: usize) -> Chunk {
        let blank = Item { ts: 0, wire_len: 0, outcome: Outcome::Filtered, pkt: Pkt::empty(0), pre: Pre::default() };
        Chunk { items: vec![blank; len], n: 0, dns: Vec::new(), ndns: 0, end: None }
    }
}

/// Reads a whole file through the meter on this thread, a small chunk at a
/// time: packets are decoded into the chunk, then metered, so that the flow
/// table can load the memory of the packets ahead while it meters one. A
/// read error ends the input after every flow read so far has been
/// flushed, and is returned as `"<file>: <what> at byte offset N"`.
pub fn run_file(path: &str, meter: &mut Meter, sink: &mut dyn Sink, stop: &AtomicBool) -> Result<(), String> {
    let (mut rd, mut front) = open(path, meter)?;
    let stats = meter.stats.clone();
    let mut chunk = Chunk::new(SOLO_CHUNK);
    let mut n = 0u64;
    loop {
        fill(&mut chunk, &mut rd, &mut front, path, &stats, stop, &mut n);
        if let Some(end) = meter_chunk::<false>(meter, sink, &mut chunk)? {
            return end_run(meter, sink, end);
        }
    }
}

/// `run_file`, with reading and decoding on a second thread.
pub fn run_file_pipelined(path: &str, meter: &mut Meter, sink: &mut dyn Sink, stop: &AtomicBool) -> Result<(), String> {
    let (rd, front) = open(path, meter)?;
    let (tx, rx) = sync_channel::<Chunk>(DEPTH);
    let (back_tx, back_rx) = sync_channel::<Chunk>(DEPTH + 2);
    let stats = meter.stats.clone();
    let path_owned = path.to_string();
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("panoptes-reader".into())
            .spawn_scoped(scope, move || read(rd, front, &path_owned, &stats, stop, tx, back_rx))
            .map_err(|e| format!("cannot start reader thread: {e}"))?;
        let r = meter_chunks(meter, sink, rx, back_tx);
        // The receiver is gone when meter_chunks returns, so a reader still
        // sending stops at once.
        let joined = reader.join();
        match (r, joined) {
            (Err(e), _) => Err(e),
            (Ok(None), Err(_)) | (Ok(None), Ok(())) => Err("internal error in the reader thread (panic)".to_string()),
            (Ok(Some(end)), _) => end_run(meter, sink, end),
        }
    })
}

/// The file's reader, its filter checked, and a `Front` like the meter's.
fn open(path: &str, meter: &Meter) -> Result<(PcapReader<std::fs::File>, Front), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let rd = PcapReader::new(f).map_err(|e| format!("{path}: {e}"))?;
    if let (Some(b), Some(lt)) = (&meter.front.bpf_src, rd.linktype()) {
        Meter::check_filter(b, lt)?;
    }
    Ok((rd, Front::new(meter.front.bpf_src.clone(), meter.front.dns)))
}

/// How a run ends once its input has: every flow finished, unless the
/// filter failed (then at once).
fn end_run(meter: &mut Meter, sink: &mut dyn Sink, end: End) -> Result<(), String> {
    if let End::Fatal(e) = end {
        return Err(e);
    }
    meter.finish(sink)?;
    match end {
        End::Failed(e) => Err(e),
        _ => Ok(()),
    }
}

/// The calling thread's half: every chunk through the flow table. Returns
/// how the input ended, or `None` if the reader vanished without saying.
fn meter_chunks(meter: &mut Meter, sink: &mut dyn Sink, rx: Receiver<Chunk>, back: SyncSender<Chunk>) -> Result<Option<End>, String> {
    for mut chunk in rx {
        if let Some(end) = meter_chunk::<true>(meter, sink, &mut chunk)? {
            return Ok(Some(end));
        }
        let _ = back.try_send(chunk);
    }
    Ok(None)
}

/// Meters a chunk's packets and empties it; returns how the input ended
/// if this was its last chunk. `OTHER_CORE`: the chunk was filled on
/// another thread, so its items are loaded ahead too.
fn meter_chunk<const OTHER_CORE: bool>(meter: &mut Meter, sink: &mut dyn Sink, chunk: &mut Chunk) -> Result<Option<End>, String> {
    let no_dns = DnsRec::empty();
    let mut d = 0;
    let items = &chunk.items[..chunk.n];
    for (j, it) in items.iter().enumerate() {
        // An item that is not a decoded packet has a stale `pre`: loading
        // for it is wasted, never wrong.
        if OTHER_CORE {
            if let Some(a) = items.get(j + AHEAD_ITEM) {
                crate::flow::prefetch(a);
            }
        }
        if let Some(a) = items.get(j + AHEAD_BUCKET) {
            meter.table.prefetch_bucket(&a.pre);
        }
        if let Some(a) = items.get(j + AHEAD_FLOW) {
            meter.table.prefetch_flow(&a.pre);
        }
        let dns = match it.outcome {
            Outcome::Decoded { dns: true } => {
                d += 1;
                &chunk.dns[d - 1]
            }
            _ => &no_dns,
        };
        meter.decoded(it.ts, it.wire_len, it.outcome, &it.pkt, &it.pre, dns, sink)?;
    }
    chunk.n = 0;
    chunk.ndns = 0;
    Ok(chunk.end.take())
}

/// The reader thread: packets read, filtered and decoded into chunks.
fn read(
    mut rd: PcapReader<std::fs::File>,
    mut front: Front,
    path: &str,
    stats: &SharedStats,
    stop: &AtomicBool,
    tx: SyncSender<Chunk>,
    recycled: Receiver<Chunk>,
) {
    let mut n = 0u64;
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_else(|_| Chunk::new(CHUNK));
        fill(&mut chunk, &mut rd, &mut front, path, stats, stop, &mut n);
        let last = chunk.end.is_some();
        if tx.send(chunk).is_err() || last {
            return;
        }
    }
}

/// Reads, filters and decodes packets into `chunk` until it is full or the
/// input ends (then `chunk.end` says how). `n` counts packets across calls:
/// every 4096 the file offset is published and `stop` is checked.
#[allow(clippy::too_many_arguments)]
fn fill(chunk: &mut Chunk, rd: &mut PcapReader<std::fs::File>, front: &mut Front, path: &str, stats: &SharedStats, stop: &AtomicBool, n: &mut u64) {
    while chunk.n < chunk.items.len() && chunk.end.is_none() {
        if *n & 4095 == 0 {
            stats.file_offset.store(rd.offset(), Ordering::Relaxed);
            if stop.load(Ordering::Relaxed) {
                chunk.end = Some(End::Done);
                break;
            }
        }
        *n += 1;
        match rd.next_packet() {
            Ok(Some(p)) => {
                let (ts, wire_len) = (p.ts_us, p.orig_len);
                let it = &mut chunk.items[chunk.n];
                match front.packet(&mut it.pkt, p.linktype, ts, p.data, wire_len) {
                    Ok(outcome) => {
                        if outcome == (Outcome::Decoded { dns: true }) {
                            if chunk.ndns == chunk.dns.len() {
                                chunk.dns.push(DnsRec::empty());
                            }
                            std::mem::swap(&mut chunk.dns[chunk.ndns], &mut front.dns_rec);
                            chunk.ndns += 1;
                        }
                        if let Outcome::Decoded { .. } = outcome {
                            it.pre = Pre::of(&it.pkt);
                        }
                        (it.ts, it.wire_len, it.outcome) = (ts, wire_len, outcome);
                        chunk.n += 1;
                    }
                    Err(e) => chunk.end = Some(End::Fatal(e)),
                }
            }
            Ok(None) => chunk.end = Some(End::Done),
            Err(e) => chunk.end = Some(End::Failed(format!("{path}: {e}"))),
        }
    }
    if chunk.end.is_some() && !matches!(chunk.end, Some(End::Fatal(_))) {
        // The final offset, unless the run ends at once.
        stats.file_offset.store(rd.offset(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::write_dns_json;
    use crate::flow::Config;
    use crate::record::{write_json, Rec};
    use std::sync::Arc;

    /// Records and DNS answers as text, in the order the sink saw them.
    #[derive(Default)]
    struct Text(Vec<u8>);
    impl Sink for Text {
        fn records(&mut self, recs: &mut Vec<Rec>, sid: &str) -> Result<(), String> {
            for r in recs.iter() {
                write_json(&mut self.0, r, sid);
                self.0.push(b'\n');
            }
            Ok(())
        }
        fn dns(&mut self, d: &DnsRec, sid: &str) -> Result<(), String> {
            write_dns_json(&mut self.0, d, sid);
            self.0.push(b'\n');
            Ok(())
        }
        fn flush(&mut self, _force: bool) -> Result<(), String> {
            Ok(())
        }
    }

    type Run = fn(&str, &mut Meter, &mut dyn Sink, &AtomicBool) -> Result<(), String>;

    /// The reference: one packet at a time through `Meter::packet`, as a
    /// live capture meters, with no chunks, no `Pre` made ahead and no
    /// loading ahead.
    fn one_by_one(path: &str, meter: &mut Meter, sink: &mut dyn Sink, _stop: &AtomicBool) -> Result<(), String> {
        // The meter's own Front, not the one `open` makes for a chunked run.
        let (mut rd, _) = open(path, meter)?;
        let failure = loop {
            match rd.next_packet() {
                Ok(Some(p)) => {
                    let (lt, ts, wl) = (p.linktype, p.ts_us, p.orig_len);
                    meter.packet(lt, ts, p.data, wl, sink)?;
                }
                Ok(None) => break None,
                Err(e) => break Some(format!("{path}: {e}")),
            }
        };
        meter.stats.file_offset.store(rd.offset(), Ordering::Relaxed);
        meter.finish(sink)?;
        failure.map_or(Ok(()), Err)
    }

    fn meter_with(run: Run, path: &str, bpf: Option<&str>) -> (String, Result<(), String>, Vec<u64>) {
        let cfg = Config {
            sid: "p".into(),
            status_interval_us: 1_000_000,
            tcp_timeout_us: 60_000_000,
            udp_timeout_us: 30_000_000,
            icmp_timeout_us: 5_000_000,
            other_timeout_us: 30_000_000,
            max_flows: 50,
        };
        let stats = Arc::new(SharedStats::default());
        let mut meter = Meter::new(cfg, stats.clone(), bpf.map(String::from), true);
        let mut sink = Text::default();
        let r = run(path, &mut meter, &mut sink, &AtomicBool::new(false));
        let s = &stats;
        let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let mut counts = vec![l(&s.packets), l(&s.bytes), l(&s.decoded), l(&s.filtered), l(&s.flows_created), l(&s.flows_evicted), l(&s.records), l(&s.dns_records), l(&s.file_offset)];
        counts.extend(s.undecodable.iter().map(l));
        (String::from_utf8(sink.0).unwrap(), r, counts)
    }

    #[test]
    fn both_give_what_packets_one_by_one_give_on_every_fixture_a_truncated_file_and_a_filter() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test/fixtures/pcaps");
        let mut paths: Vec<String> = std::fs::read_dir(dir)
            .expect("fixture captures")
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .filter(|p| p.contains(".pcap"))
            .collect();
        // A file cut in the middle of a packet ends in a read error after its flows.
        let whole = std::fs::read(format!("{dir}/gen-200.pcap")).unwrap();
        let cut = std::env::temp_dir().join(format!("panoptes-pipeline-cut-{}.pcap", std::process::id()));
        std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
        paths.push(cut.to_string_lossy().into_owned());
        let mut records = 0;
        for p in &paths {
            for bpf in [None, Some("udp"), Some("not a filter (")] {
                let a = meter_with(one_by_one, p, bpf);
                for run in [run_file as Run, run_file_pipelined] {
                    let b = meter_with(run, p, bpf);
                    assert_eq!(a.1, b.1, "{p} {bpf:?}");
                    assert_eq!(a.2, b.2, "{p} {bpf:?}");
                    assert!(a.0 == b.0, "{p} {bpf:?}: records differ");
                }
                records += a.0.lines().count();
            }
        }
        let _ = std::fs::remove_file(&cut);
        assert!(records > 1000, "only {records} records");
        let (_, r, _) = meter_with(run_file_pipelined, &cut.to_string_lossy(), None);
        assert!(r.is_err(), "a missing file is an error");
    }
}
