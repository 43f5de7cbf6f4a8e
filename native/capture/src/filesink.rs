//! The native output of `panoptes read -w`: records formatted as JSON lines or
//! CSV and written to a file or stdout. Formatting and writing run on a second
//! thread, fed whole batches of records over a bounded channel, so metering
//! and formatting overlap on two cores and memory stays bounded.

use crate::engine::{DnsRec, Sink};
use crate::jsonline::{json_lines, Lines};
use crate::record::{write_csv, Rec, CSV_HEADER};
use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

const BATCH: usize = 1024;

/// What the writer thread receives, in output order.
enum Chunk {
    /// Records for the writer to format.
    Recs(Vec<Rec>, String),
    /// Text the producing thread formatted itself.
    Text(Vec<u8>),
}

pub struct FileSink {
    tx: Option<SyncSender<Chunk>>,
    csv: bool,
    /// At the end of input the producer has nothing left to meter, so it
    /// formats every other batch itself: both cores format the final flush.
    ending: bool,
    turn: bool,
    writer: Option<JoinHandle<Result<(), String>>>,
    pending: Vec<Rec>,
    /// Emptied batches coming back from the writer, reused so that no batch
    /// buffer is allocated (and page-faulted in) per batch.
    recycled: Receiver<Vec<Rec>>,
    /// Text buffers coming back from the writer, likewise.
    texts: Receiver<Vec<u8>>,
    last_sid: String,
    /// For the batches formatted on this thread.
    lines: Lines,
    pub dns_count: u64,
}

impl FileSink {
    pub fn new(path: &str, csv: bool) -> Result<FileSink, String> {
        // A file is opened (or created) here, so that a path that cannot be
        // written fails at once, and emptied on the writer thread before its
        // first write: emptying a large old output (freeing its cached pages)
        // takes milliseconds the metering thread need not wait for.
        let (mut out, truncate): (Box<dyn Write + Send>, Option<std::fs::File>) = if path == "-" {
            (Box::new(std::io::stdout()), None)
        } else {
            let cannot = |e: std::io::Error| format!("cannot create {path}: {e}");
            let f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path).map_err(cannot)?;
            // Only a regular file that is not empty is emptied, as O_TRUNC
            // would (a FIFO or a device is left as it is). Truncating an empty
            // file is not free either: ext4 then writes the whole file back when
            // it is closed, as for any file truncated to zero and rewritten.
            let m = f.metadata().map_err(cannot)?;
            let truncate = if m.is_file() && m.len() > 0 { Some(f.try_clone().map_err(cannot)?) } else { None };
            (Box::new(f), truncate)
        };
        let (tx, rx) = sync_channel::<Chunk>(4);
        let (back_tx, back_rx) = sync_channel::<Vec<Rec>>(8);
        let (text_back, texts) = sync_channel::<Vec<u8>>(4);
        let writer = std::thread::Builder::new()
            .name("panoptes-writer".into())
            .spawn(move || -> Result<(), String> {
                let err = |e: std::io::Error| format!("write error: {e}");
                if let Some(f) = truncate {
                    f.set_len(0).map_err(err)?;
                }
                let mut buf = Vec::with_capacity(2 << 20);
                // JSON is formatted in `lines`, CSV in `buf`.
                let mut lines = Lines::default();
                if csv {
                    buf.extend_from_slice(CSV_HEADER.as_bytes());
                    buf.push(b'\n');
                }
                for chunk in rx {
                    match chunk {
                        Chunk::Recs(mut recs, sid) => {
                            if csv {
                                format_csv(&mut buf, &recs, &sid);
                            } else {
                                json_lines(&mut lines, &recs, &sid, |t| out.write_all(t)).map_err(err)?;
                            }
                            recs.clear();
                            let _ = back_tx.try_send(recs);
                        }
                        Chunk::Text(mut t) => {
                            // Written as it is rather than copied into `buf`, and handed back for reuse.
                            if !buf.is_empty() {
                                out.write_all(&buf).map_err(err)?;
                                buf.clear();
                            }
                            if !lines.is_empty() {
                                out.write_all(lines.text()).map_err(err)?;
                                lines.clear();
                            }
                            out.write_all(&t).map_err(err)?;
                            t.clear();
                            let _ = text_back.try_send(t);
                        }
                    }
                    if buf.len() >= 1 << 20 {
                        out.write_all(&buf).map_err(err)?;
                        buf.clear();
                    }
                }
                out.write_all(&buf).map_err(err)?;
                out.write_all(lines.text()).map_err(err)?;
                out.flush().map_err(err)
            })
            .map_err(|e| format!("cannot start writer thread: {e}"))?;
        Ok(FileSink { tx: Some(tx), writer: Some(writer), csv, ending: false, turn: false, pending: Vec::with_capacity(BATCH), recycled: back_rx, texts, last_sid: String::new(), lines: Lines::default(), dns_count: 0 })
    }

    fn send(&mut self, sid: &str) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.turn = !self.turn;
        let chunk = if self.ending && self.turn {
            let mut text = self.texts.try_recv().unwrap_or_else(|_| Vec::with_capacity(self.pending.len() * 700));
            if self.csv {
                format_csv(&mut text, &self.pending, sid);
            } else {
                let lines = &mut self.lines;
                let _ = json_lines(lines, &self.pending, sid, |t| -> Result<(), ()> {
                    text.extend_from_slice(t);
                    Ok(())
                });
                text.extend_from_slice(lines.text());
                lines.clear();
            }
            self.pending.clear();
            Chunk::Text(text)
        } else {
            let fresh = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH));
            Chunk::Recs(std::mem::replace(&mut self.pending, fresh), sid.to_string())
        };
        let sent = self.tx.as_ref().map(|tx| tx.send(chunk).is_ok()).unwrap_or(false);
        if sent {
            Ok(())
        } else {
            // The writer stopped: its own error says why.
            Err(self.finish().err().unwrap_or_else(|| "writer stopped".into()))
        }
    }

    /// Closes the channel and waits for the writer to write everything.
    fn finish(&mut self) -> Result<(), String> {
        self.tx = None;
        match self.writer.take() {
            Some(h) => h.join().map_err(|_| "writer thread panicked".to_string())?,
            None => Ok(()),
        }
    }
}

impl Sink for FileSink {
    fn records(&mut self, recs: &mut Vec<Rec>, sid: &str) -> Result<(), String> {
        if self.last_sid != sid {
            self.send(&self.last_sid.clone())?;
            self.last_sid = sid.to_string();
        }
        if self.pending.is_empty() {
            // Take the whole batch without copying its records (large, and
            // tens of thousands of them at the end of input).
            std::mem::swap(&mut self.pending, recs);
        } else {
            self.pending.append(recs);
        }
        if self.pending.len() >= BATCH {
            self.send(sid)?;
        }
        Ok(())
    }
    fn dns(&mut self, _d: &DnsRec, _sid: &str) -> Result<(), String> {
        self.dns_count += 1;
        Ok(())
    }
    fn flush(&mut self, force: bool) -> Result<(), String> {
        if force {
            // `force` comes at the end of input (and on a live capture's
            // periodic flush, where the writer simply keeps going).
            let sid = self.last_sid.clone();
            self.send(&sid)?;
        }
        Ok(())
    }
    fn end_of_input(&mut self) {
        self.ending = true;
    }
    fn close(&mut self) -> Result<(), String> {
        let sid = self.last_sid.clone();
        self.send(&sid)?;
        self.finish()
    }
}

fn format_csv(buf: &mut Vec<u8>, recs: &[Rec], sid: &str) {
    for r in recs {
        write_csv(buf, r, sid);
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_longer_file_is_replaced_and_a_bad_path_fails_at_once() {
        let path = std::env::temp_dir().join(format!("panoptes-filesink-{}.csv", std::process::id()));
        std::fs::write(&path, "x".repeat(100_000)).unwrap();
        let p = path.to_string_lossy().into_owned();
        let mut sink = FileSink::new(&p, true).unwrap();
        sink.close().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{CSV_HEADER}\n"));
        let _ = std::fs::remove_file(&path);
        let bad = std::env::temp_dir().join("panoptes-no-such-dir").join("out.csv");
        let e = FileSink::new(&bad.to_string_lossy(), true).err().expect("a missing directory is an error");
        assert!(e.starts_with("cannot create "), "{e}");
    }
}
