//! Live capture through libpcap: a BPF filter, snaplen and promiscuous mode,
//! a short read timeout so that stop() is noticed promptly and idle flows
//! still time out when no packet arrives.

use crate::engine::{Meter, Sink};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// After stop(), how long packets already in the ring are still read (one
/// block timeout and a margin), so flows end with their last packets.
const DRAIN: Duration = Duration::from_millis(250);
const IDLE: Duration = Duration::from_millis(5);

pub struct LiveOptions {
    pub interface: String,
    pub snaplen: i32,
    pub promisc: bool,
    pub bpf: Option<String>,
}

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Opens the interface; errors say which interface and why.
pub fn open(o: &LiveOptions) -> Result<pcap::Capture<pcap::Active>, String> {
    let why = |e: pcap::Error| format!("cannot open interface {}: {e}", o.interface);
    let mut cap = pcap::Capture::from_device(o.interface.as_str())
        .map_err(why)?
        .snaplen(o.snaplen)
        .promisc(o.promisc)
        // The kernel hands over packets at least every 100 ms (TPACKET_V3 block timeout).
        .timeout(100)
        .buffer_size(16 << 20)
        .open()
        .map_err(why)?
        // Non-blocking: with TPACKET_V3 a blocking read on an idle interface
        // never returns, and then neither stop() nor idle timeouts would run.
        .setnonblock()
        .map_err(why)?;
    if let Some(f) = &o.bpf {
        cap.filter(f, true).map_err(|e| format!("bad filter \"{f}\" on {}: {e}", o.interface))?;
    }
    Ok(cap)
}

pub fn run(mut cap: pcap::Capture<pcap::Active>, meter: &mut Meter, sink: &mut dyn Sink, stop: &AtomicBool) -> Result<(), String> {
    let linktype = cap.get_datalink().0 as u32;
    let mut last_flush = Instant::now();
    let mut failure = None;
    let mut drain_until: Option<Instant> = None;
    loop {
        if drain_until.is_none() && stop.load(Ordering::Relaxed) {
            drain_until = Some(Instant::now() + DRAIN);
        }
        if drain_until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        match cap.next_packet() {
            Ok(p) => {
                let ts = p.header.ts.tv_sec as i64 * 1_000_000 + p.header.ts.tv_usec as i64;
                let (len, data) = (p.header.len, p.data);
                meter.packet(linktype, ts, data, len, sink)?;
            }
            Err(pcap::Error::TimeoutExpired) => {
                // Nothing ready: idle a little (packets wait in the kernel ring meanwhile).
                meter.table.tick(now_us());
                std::thread::sleep(IDLE);
            }
            Err(e) => {
                failure = Some(format!("capture on interface failed: {e}"));
                break;
            }
        }
        if last_flush.elapsed() >= Duration::from_millis(500) {
            last_flush = Instant::now();
            meter.table.tick(now_us());
            if let Ok(s) = cap.stats() {
                meter.stats.kernel_drops.store((s.dropped + s.if_dropped) as u64, Ordering::Relaxed);
            }
            meter.publish();
            // Deliver records made by the tick, then whatever batch is pending.
            meter.packet_free_flush(sink)?;
            sink.flush(true)?;
        }
    }
    meter.finish(sink)?;
    failure.map_or(Ok(()), Err)
}
