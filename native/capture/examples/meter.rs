//! Reads a capture through the meter without Node: `cargo run --release
//! --example meter FILE [json|csv|none] [OUT]`. Used for profiling and by
//! the fuzz corpus runner's smoke checks. `dns` writes the DNS answer records
//! as JSON lines instead (to compare the DNS output of two builds).
use panoptes_capture::engine::{write_dns_json, DnsRec, FileSink, Meter, NullSink, SharedStats, Sink};
use panoptes_capture::flow::Config;
use panoptes_capture::pipeline::{run_file, run_file_pipelined};
use panoptes_capture::record::Rec;
use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// DNS answers as JSON lines; flow records discarded.
struct DnsSink(std::io::BufWriter<std::fs::File>, Vec<u8>);
impl Sink for DnsSink {
    fn records(&mut self, _recs: &mut Vec<Rec>, _sid: &str) -> Result<(), String> {
        Ok(())
    }
    fn dns(&mut self, d: &DnsRec, sid: &str) -> Result<(), String> {
        self.1.clear();
        write_dns_json(&mut self.1, d, sid);
        self.1.push(b'\n');
        self.0.write_all(&self.1).map_err(|e| e.to_string())
    }
    fn flush(&mut self, _force: bool) -> Result<(), String> {
        Ok(())
    }
    fn close(&mut self) -> Result<(), String> {
        self.0.flush().map_err(|e| e.to_string())
    }
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).expect("usage: meter FILE [json|csv|none] [OUT]");
    let fmt = args.get(2).map(String::as_str).unwrap_or("none");
    let cfg = Config {
        sid: "sensor".into(),
        status_interval_us: 5_000_000,
        tcp_timeout_us: 60_000_000,
        udp_timeout_us: 30_000_000,
        icmp_timeout_us: 5_000_000,
        other_timeout_us: 30_000_000,
        max_flows: 1 << 20,
    };
    let stats = Arc::new(SharedStats::default());
    let mut meter = Meter::new(cfg, stats.clone(), None, std::env::var("NODNS").is_err());
    let mut sink: Box<dyn Sink> = match fmt {
        "none" => Box::new(NullSink(0)),
        "dns" => {
            let out = args.get(3).map(String::as_str).unwrap_or("/dev/stdout");
            Box::new(DnsSink(std::io::BufWriter::new(std::fs::File::create(out).unwrap()), Vec::new()))
        }
        f => Box::new(FileSink::new(args.get(3).map(String::as_str).unwrap_or("-"), f == "csv").unwrap()),
    };
    let t = std::time::Instant::now();
    // Formatted output reads on a second thread, as `panoptes read -w` does (PIPELINE=0: not).
    let run = if matches!(fmt, "json" | "csv") && std::env::var("PIPELINE").as_deref() != Ok("0") { run_file_pipelined } else { run_file };
    let r = run(file, &mut meter, sink.as_mut(), &AtomicBool::new(false)).and_then(|_| sink.close());
    let s = t.elapsed().as_secs_f64();
    let p = stats.packets.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("{{\"packets\":{p},\"records\":{},\"seconds\":{s:.3},\"pps\":{:.0}}}", meter.table.stats.records, p as f64 / s);
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
