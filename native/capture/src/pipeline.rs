//! A capture file read on two threads: a reader thread reads, filters and
//! decodes packets (the meter's `Front`) and hands them on in chunks to the
//! calling thread, which runs the flow table. Packets keep their order, so the
//! records are exactly those of `run_file`, in the same order. Used where a
//! second core pays off, the native file output of `panoptes read -w`; the
//! sensor benchmark keeps the one-thread `run_file`.

use crate::decode::Pkt;
use crate::engine::{DnsRec, Meter, Sink};
use crate::front::{Front, Outcome};
use crate::pcapfile::PcapReader;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Packets per chunk: large enough that handing a chunk over costs little
/// per packet, small enough that chunks in flight stay in the caches.
const CHUNK: usize = 2048;
/// Chunks in flight between the threads.
const DEPTH: usize = 4;

struct Item {
    ts: i64,
    wire_len: u32,
    outcome: Outcome,
    /// Meaningful when `outcome` is `Decoded`.
    pkt: Pkt,
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

#[derive(Default)]
struct Chunk {
    items: Vec<Item>,
    /// DNS answers of the items whose outcome says so, in order; `ndns` in use
    /// (the rest are kept for their strings).
    dns: Vec<DnsRec>,
    ndns: usize,
    end: Option<End>,
}

/// `run_file`, with reading and decoding on a second thread.
pub fn run_file_pipelined(path: &str, meter: &mut Meter, sink: &mut dyn Sink, stop: &AtomicBool) -> Result<(), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let rd = PcapReader::new(f).map_err(|e| format!("{path}: {e}"))?;
    if let (Some(b), Some(lt)) = (&meter.front.bpf_src, rd.linktype()) {
        Meter::check_filter(b, lt)?;
    }
    let front = Front::new(meter.front.bpf_src.clone(), meter.front.dns);
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
            (Ok(Some(End::Fatal(e))), _) => Err(e),
            (Ok(Some(end)), _) => {
                meter.finish(sink)?;
                match end {
                    End::Failed(e) => Err(e),
                    _ => Ok(()),
                }
            }
        }
    })
}

/// The calling thread's half: every chunk through the flow table. Returns
/// how the input ended, or `None` if the reader vanished without saying.
fn meter_chunks(meter: &mut Meter, sink: &mut dyn Sink, rx: Receiver<Chunk>, back: SyncSender<Chunk>) -> Result<Option<End>, String> {
    let no_dns = DnsRec::empty();
    for mut chunk in rx {
        let mut d = 0;
        for it in &chunk.items {
            let dns = match it.outcome {
                Outcome::Decoded { dns: true } => {
                    d += 1;
                    &chunk.dns[d - 1]
                }
                _ => &no_dns,
            };
            meter.decoded(it.ts, it.wire_len, it.outcome, &it.pkt, dns, sink)?;
        }
        if let Some(end) = chunk.end.take() {
            return Ok(Some(end));
        }
        chunk.items.clear();
        chunk.ndns = 0;
        let _ = back.try_send(chunk);
    }
    Ok(None)
}

/// The reader thread: packets read, filtered and decoded into chunks.
fn read(
    mut rd: PcapReader<std::fs::File>,
    mut front: Front,
    path: &str,
    stats: &crate::engine::SharedStats,
    stop: &AtomicBool,
    tx: SyncSender<Chunk>,
    recycled: Receiver<Chunk>,
) {
    let mut n = 0u64;
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_else(|_| Chunk { items: Vec::with_capacity(CHUNK), ..Chunk::default() });
        while chunk.items.len() < CHUNK && chunk.end.is_none() {
            if n & 4095 == 0 {
                stats.file_offset.store(rd.offset(), Ordering::Relaxed);
                if stop.load(Ordering::Relaxed) {
                    chunk.end = Some(End::Done);
                    break;
                }
            }
            n += 1;
            match rd.next_packet() {
                Ok(Some(p)) => {
                    let (ts, wire_len) = (p.ts_us, p.orig_len);
                    match front.packet(p.linktype, ts, p.data, wire_len) {
                        Ok(outcome) => {
                            if outcome == (Outcome::Decoded { dns: true }) {
                                if chunk.ndns == chunk.dns.len() {
                                    chunk.dns.push(DnsRec::empty());
                                }
                                std::mem::swap(&mut chunk.dns[chunk.ndns], &mut front.dns_rec);
                                chunk.ndns += 1;
                            }
                            chunk.items.push(Item { ts, wire_len, outcome, pkt: front.pkt });
                        }
                        Err(e) => chunk.end = Some(End::Fatal(e)),
                    }
                }
                Ok(None) => chunk.end = Some(End::Done),
                Err(e) => chunk.end = Some(End::Failed(format!("{path}: {e}"))),
            }
        }
        let last = chunk.end.is_some();
        if last {
            stats.file_offset.store(rd.offset(), Ordering::Relaxed);
        }
        if tx.send(chunk).is_err() || last {
            return;
        }
    }
}
