//! The N-API binding: the only place that touches Node. Capture runs on its
//! own thread; JavaScript pulls whole batches through `next()`, which waits on
//! a bounded channel in libuv's thread pool, so a slow consumer slows the
//! capture thread (back-pressure) instead of growing memory.

use crate::engine::{write_dns_json, DnsRec, FileSink, Meter, NullSink, SharedStats, Sink};
use crate::flow::Config;
use crate::live;
use crate::pipeline::{run_file, run_file_pipelined};
use crate::record::{write_json, Rec};
use napi::bindgen_prelude::*;
use napi::{Env, JsBuffer, Task};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

#[napi(object)]
#[derive(Clone, Default)]
pub struct NativeOptions {
    pub file: Option<String>,
    pub interface: Option<String>,
    pub bpf: Option<String>,
    pub snaplen: Option<u32>,
    pub promisc: Option<bool>,
    pub sid: Option<String>,
    pub status_interval_sec: Option<f64>,
    pub tcp_timeout_sec: Option<f64>,
    pub udp_timeout_sec: Option<f64>,
    pub icmp_timeout_sec: Option<f64>,
    pub other_timeout_sec: Option<f64>,
    pub max_flows: Option<f64>,
    pub batch_size: Option<u32>,
    pub dns: Option<bool>,
    /// Write records natively to this path ("-" = stdout) instead of batching them to JS.
    pub output_path: Option<String>,
    /// json | csv | none (none: discard records; benchmarks of the sensor alone).
    pub output_format: Option<String>,
}

#[napi(object)]
pub struct NativeBatch {
    /// A JSON array of flow records (UTF-8), `[]` when none.
    pub records: Buffer,
    /// A JSON array of DNS answer records.
    pub dns: Buffer,
    pub record_count: u32,
    pub dns_count: u32,
    /// Set on the last batch when the input ended in error (file and byte offset).
    pub error: Option<String>,
    pub done: bool,
}

#[napi(object)]
pub struct NativeStats {
    pub packets: f64,
    pub bytes: f64,
    pub decoded: f64,
    pub filtered: f64,
    pub undecodable: std::collections::HashMap<String, f64>,
    pub kernel_drops: f64,
    pub flows_active: f64,
    pub flows_created: f64,
    pub flows_evicted: f64,
    pub records: f64,
    pub dns_records: f64,
    pub file_offset: f64,
}

pub struct Msg {
    records: Vec<u8>,
    dns: Vec<u8>,
    nrec: u32,
    ndns: u32,
    error: Option<String>,
    done: bool,
}

/// Accumulates JSON text batches for JavaScript.
struct BatchSink {
    tx: SyncSender<Msg>,
    batch: usize,
    rec: Vec<u8>,
    dns: Vec<u8>,
    nrec: u32,
    ndns: u32,
}

impl BatchSink {
    fn send(&mut self, done: bool, error: Option<String>) -> std::result::Result<(), String> {
        let mut rec = std::mem::replace(&mut self.rec, Vec::with_capacity(1 << 16));
        let mut dns = std::mem::take(&mut self.dns);
        rec.insert(0, b'[');
        rec.push(b']');
        dns.insert(0, b'[');
        dns.push(b']');
        let m = Msg { records: rec, dns, nrec: self.nrec, ndns: self.ndns, error, done };
        self.nrec = 0;
        self.ndns = 0;
        // The receiver is gone only when JavaScript dropped the capture: stop quietly.
        self.tx.send(m).map_err(|_| "capture closed".to_string())
    }
}

impl Sink for BatchSink {
    fn records(&mut self, recs: &mut Vec<Rec>, sid: &str) -> std::result::Result<(), String> {
        for r in recs.iter() {
            if self.nrec > 0 {
                self.rec.push(b',');
            }
            write_json(&mut self.rec, r, sid);
            self.nrec += 1;
        }
        if self.nrec as usize >= self.batch {
            self.send(false, None)?;
        }
        Ok(())
    }
    fn dns(&mut self, d: &DnsRec, sid: &str) -> std::result::Result<(), String> {
        if self.ndns > 0 {
            self.dns.push(b',');
        }
        write_dns_json(&mut self.dns, d, sid);
        self.ndns += 1;
        Ok(())
    }
    fn flush(&mut self, force: bool) -> std::result::Result<(), String> {
        if (force && (self.nrec > 0 || self.ndns > 0)) || self.ndns as usize >= self.batch {
            self.send(false, None)?;
        }
        Ok(())
    }
}

#[napi]
pub struct NativeCapture {
    opts: NativeOptions,
    rx: Option<Arc<Mutex<Receiver<Msg>>>>,
    stop: Arc<AtomicBool>,
    stats: Arc<SharedStats>,
    thread: Option<JoinHandle<()>>,
}

fn secs(v: Option<f64>, default: f64) -> i64 {
    (v.unwrap_or(default).max(0.0) * 1e6) as i64
}

fn sanitize_sid(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ',') { c } else { '_' }).collect()
}

/// Flow table size that keeps the table under about 512 MiB.
fn default_max_flows() -> usize {
    let per = std::mem::size_of::<crate::flow::Flow>() + std::mem::size_of::<crate::flow::Key>() + 64;
    (512usize << 20) / per
}

#[napi]
impl NativeCapture {
    /// Checks the options; starts nothing.
    #[napi(constructor)]
    pub fn new(opts: NativeOptions) -> Result<Self> {
        match (&opts.file, &opts.interface) {
            (Some(_), Some(_)) => return Err(Error::from_reason("give either file or interface, not both")),
            (None, None) => return Err(Error::from_reason("give a file or an interface to read")),
            _ => {}
        }
        if let Some(f) = &opts.output_format {
            if !matches!(f.as_str(), "json" | "csv" | "none") {
                return Err(Error::from_reason(format!("outputFormat must be json, csv or none, not {f}")));
            }
        }
        Ok(NativeCapture { opts, rx: None, stop: Arc::new(AtomicBool::new(false)), stats: Arc::default(), thread: None })
    }

    /// Opens the source and starts the capture thread. Errors opening a file
    /// or interface are thrown here; errors later arrive on the last batch.
    #[napi]
    pub fn start(&mut self) -> Result<()> {
        if self.thread.is_some() {
            return Err(Error::from_reason("capture already started"));
        }
        let o = self.opts.clone();
        let cfg = Config {
            sid: sanitize_sid(o.sid.as_deref().unwrap_or("sensor")),
            status_interval_us: secs(o.status_interval_sec, 5.0),
            tcp_timeout_us: secs(o.tcp_timeout_sec, 60.0),
            udp_timeout_us: secs(o.udp_timeout_sec, 30.0),
            icmp_timeout_us: secs(o.icmp_timeout_sec, 5.0),
            other_timeout_us: secs(o.other_timeout_sec, 30.0),
            max_flows: o.max_flows.map(|v| v.max(1.0) as usize).unwrap_or_else(default_max_flows),
        };
        // Live: libpcap applies the filter in the kernel. Files: the meter runs it.
        let file_bpf = if o.interface.is_some() { None } else { o.bpf.clone() };
        let mut meter = Meter::new(cfg, self.stats.clone(), file_bpf, o.dns.unwrap_or(true));
        let live_cap = match &o.interface {
            Some(i) => Some(
                live::open(&live::LiveOptions {
                    interface: i.clone(),
                    snaplen: o.snaplen.unwrap_or(262_144) as i32,
                    promisc: o.promisc.unwrap_or(true),
                    bpf: o.bpf.clone(),
                })
                .map_err(Error::from_reason)?,
            ),
            None => {
                let f = o.file.clone().unwrap_or_default();
                std::fs::metadata(&f).map_err(|e| Error::from_reason(format!("cannot open {f}: {e}")))?;
                None
            }
        };
        // Formatted file output (panoptes read -w) reads and decodes on a
        // second thread; the sensor benchmark (format none) and the batches
        // for JavaScript keep one thread.
        let pipelined = matches!(o.output_format.as_deref(), Some("json" | "csv") | None) && o.output_path.is_some();
        let file_sink: Option<Box<dyn Sink + Send>> = match (o.output_format.as_deref(), &o.output_path) {
            (Some("none"), _) => Some(Box::new(NullSink(0))),
            (f, Some(p)) => Some(Box::new(FileSink::new(p, f == Some("csv")).map_err(Error::from_reason)?)),
            _ => None,
        };
        let (tx, rx) = sync_channel::<Msg>(2);
        self.rx = Some(Arc::new(Mutex::new(rx)));
        let stop = self.stop.clone();
        let batch = o.batch_size.unwrap_or(4096).max(1) as usize;
        let file = o.file.clone();
        let handle = std::thread::Builder::new()
            .name("panoptes-capture".into())
            .spawn(move || {
                let mut bsink = BatchSink { tx: tx.clone(), batch, rec: Vec::new(), dns: Vec::new(), nrec: 0, ndns: 0 };
                let mut fsink = file_sink;
                let sink: &mut dyn Sink = match fsink.as_mut() {
                    Some(s) => s.as_mut(),
                    None => &mut bsink,
                };
                // A panic would be a bug; it must still end the stream with an error, not silently.
                let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match (live_cap, file) {
                    (Some(cap), _) => live::run(cap, &mut meter, sink, &stop),
                    (None, Some(f)) if pipelined => run_file_pipelined(&f, &mut meter, sink, &stop),
                    (None, Some(f)) => run_file(&f, &mut meter, sink, &stop),
                    (None, None) => Ok(()),
                }))
                .unwrap_or_else(|_| Err("internal error in the capture thread (panic)".to_string()));
                let closed = sink.flush(true).and_then(|_| sink.close());
                drop(fsink);
                let _ = bsink.send(true, res.and(closed).err());
            })
            .map_err(|e| Error::from_reason(format!("cannot start capture thread: {e}")))?;
        self.thread = Some(handle);
        Ok(())
    }

    /// The next batch, or null once the capture has ended and everything was delivered.
    #[napi(ts_return_type = "Promise<NativeBatch | null>")]
    pub fn next(&self) -> Result<AsyncTask<NextBatch>> {
        let rx = self.rx.clone().ok_or_else(|| Error::from_reason("capture not started"))?;
        Ok(AsyncTask::new(NextBatch { rx }))
    }

    /// Asks the capture thread to stop; it flushes every flow as a final record.
    #[napi]
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    #[napi]
    pub fn stats(&self) -> NativeStats {
        let s = &self.stats;
        let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64;
        let mut und = std::collections::HashMap::new();
        for (i, u) in crate::decode::Undecodable::ALL.iter().enumerate() {
            und.insert(u.name().to_string(), l(&s.undecodable[i]));
        }
        NativeStats {
            packets: l(&s.packets),
            bytes: l(&s.bytes),
            decoded: l(&s.decoded),
            filtered: l(&s.filtered),
            undecodable: und,
            kernel_drops: l(&s.kernel_drops),
            flows_active: l(&s.flows_active),
            flows_created: l(&s.flows_created),
            flows_evicted: l(&s.flows_evicted),
            records: l(&s.records),
            dns_records: l(&s.dns_records),
            file_offset: l(&s.file_offset),
        }
    }
}

pub struct NextBatch {
    rx: Arc<Mutex<Receiver<Msg>>>,
}

impl Task for NextBatch {
    type Output = Option<Msg>;
    type JsValue = Option<NativeBatch>;

    fn compute(&mut self) -> Result<Self::Output> {
        let rx = self.rx.lock().map_err(|_| Error::from_reason("capture channel poisoned"))?;
        Ok(rx.recv().ok())
    }

    fn resolve(&mut self, _env: Env, m: Self::Output) -> Result<Self::JsValue> {
        Ok(m.map(|m| NativeBatch {
            records: m.records.into(),
            dns: m.dns.into(),
            record_count: m.nrec,
            dns_count: m.ndns,
            error: m.error,
            done: m.done,
        }))
    }
}

/// Checks a BPF expression against a link type (1 = Ethernet) without capturing.
#[napi]
pub fn check_filter(expr: String, linktype: Option<u32>) -> Result<()> {
    Meter::check_filter(&expr, linktype.unwrap_or(1)).map_err(Error::from_reason)
}

thread_local! {
    /// Frames are built here and copied out, so no call allocates and faults in a fresh buffer.
    static LZ4_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A Buffer that Node allocates, holding a copy of `bytes`. Not napi-rs's
/// Buffer::from(Vec): an external buffer raises V8's external-memory count,
/// which forced a full collection every few dozen megabytes of Kafka
/// messages (four times as many as plain Buffers of the same sizes).
fn js_buffer(env: Env, bytes: &[u8]) -> Result<JsBuffer> {
    Ok(env.create_buffer_copy(bytes)?.into_raw())
}

/// What `fill` writes into the reused scratch buffer, as a Node-allocated Buffer.
fn via_scratch(env: Env, fill: impl FnOnce(&mut Vec<u8>) -> std::result::Result<(), String>) -> Result<JsBuffer> {
    LZ4_SCRATCH.with_borrow_mut(|out| {
        fill(out).map_err(Error::from_reason)?;
        let buf = js_buffer(env, out);
        if out.capacity() > 64 << 20 {
            *out = Vec::new(); // one huge frame does not pin its size for the life of the process
        }
        buf
    })
}

/// One LZ4 frame of `data` (Kafka's lz4 codec).
#[napi]
pub fn lz4_compress(env: Env, data: Buffer) -> Result<JsBuffer> {
    via_scratch(env, |out| crate::lz4frame::compress_to(&data, out))
}

/// The data of LZ4 frames; an error for anything else or for more than 512 MiB.
#[napi]
pub fn lz4_decompress(env: Env, data: Buffer) -> Result<JsBuffer> {
    via_scratch(env, |out| crate::lz4frame::decompress_to(&data, crate::lz4frame::MAX_DECOMPRESSED, out))
}

/// The CRC-32C (Castagnoli) of `data`, as Kafka's record batches carry it:
/// with the processor's CRC instructions where it has them.
#[napi(js_name = "crc32c")]
pub fn crc32c(data: Buffer) -> u32 {
    crc32c::crc32c(&data)
}

/// One byte per line of UTF-8 `text` (split at "\n", a "\r" before it left
/// out): bit 0 set where the line is one flat JSON object spelled exactly as
/// JSON.stringify would spell it, bit 1 too where it is all ASCII, bit 2
/// too where it holds one of `watch` as a top-level key; 0 elsewhere (or
/// where the check cannot tell).
#[napi]
pub fn json_canonical_lines(env: Env, text: Buffer, watch: Option<Vec<String>>) -> Result<JsBuffer> {
    let watch: Vec<&[u8]> = watch.iter().flatten().map(|k| k.as_bytes()).collect();
    js_buffer(env, &crate::jsoncheck::canonical_lines_watching(&text, &watch))
}
