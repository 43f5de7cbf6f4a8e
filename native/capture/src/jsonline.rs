//! A record as one JSON object, written field by field in catalogue order.
//! `panoptes read -w` spends most of its formatting time here (a few hundred
//! thousand records a second), so unlike the CSV encoding, which walks the
//! generic field list in record.rs, every key is a constant and every value
//! is written by a helper of its own type. The tests check that both walks
//! give the same text.
//!
//! The file writer formats into `Lines`, a fixed buffer whose write position
//! is masked into it, so a copy needs no capacity check and no length update
//! in memory, as each `Vec` append does (a record is some sixty of them). A
//! record that does not fit is taken back and written again the slow way.

use crate::record::{proto_name, write_addr, write_float, write_mac, write_tcp_flags, write_time, write_uid, write_uint, Out, Rec};

/// Appends a constant text as one fixed-size copy.
macro_rules! lit {
    ($o:expr, $s:expr) => {{
        const S: &[u8] = $s.as_bytes();
        const A: [u8; S.len()] = {
            let mut a = [0u8; S.len()];
            let mut i = 0;
            while i < S.len() {
                a[i] = S[i];
                i += 1;
            }
            a
        };
        $o.all(&A)
    }};
}

/// Appends `,"name":`.
macro_rules! key {
    ($o:expr, $k:literal) => {
        lit!($o, concat!(",\"", $k, "\":"))
    };
}

/// Appends `,"name":value` when the value is present.
macro_rules! opt {
    ($o:expr, $k:literal, $v:expr, $w:expr) => {
        if let Some(v) = $v {
            key!($o, $k);
            $w($o, v);
        }
    };
}

fn quoted<O: Out>(o: &mut O, s: &[u8]) {
    o.byte(b'"');
    o.slice(s);
    o.byte(b'"');
}

fn uint<O: Out, T: Into<u64>>(o: &mut O, v: T) {
    write_uint(o, v.into())
}

fn secs<O: Out>(o: &mut O, us: i64) {
    write_float(o, us as f64 / 1e6)
}

/// A port, or null for a protocol without ports (the key stays, as in the catalogue).
#[inline(always)]
fn port<O: Out>(o: &mut O, p: Option<u16>) {
    match p {
        Some(p) => write_uint(o, p as u64),
        None => o.all(b"null"),
    }
}

/// Size of the lines buffer (a power of two); it is written out from 1 MiB.
const CAP: usize = 1 << 21;
/// Room past `CAP`: no single copy into the buffer is longer.
const SLACK: usize = 64;
/// Fill at which `json_lines` hands the text on.
const FULL: usize = 1 << 20;

/// JSON lines formatted in place, ready to be written out (reused).
pub struct Lines {
    b: Box<[u8; CAP + SLACK]>,
    /// Bytes written; past `CAP` the last record did not fit (the masked
    /// position wrapped round) and is taken back.
    n: usize,
}

impl Default for Lines {
    fn default() -> Lines {
        // Made on the heap (a 2 MiB array would first be built on the stack).
        let b = vec![0u8; CAP + SLACK].into_boxed_slice().try_into().expect("CAP + SLACK bytes");
        Lines { b, n: 0 }
    }
}

impl Out for Lines {
    #[inline(always)]
    fn all<const N: usize>(&mut self, b: &[u8; N]) {
        const { assert!(N <= SLACK) };
        let i = self.n & (CAP - 1);
        self.b[i..i + N].copy_from_slice(b);
        self.n += N;
    }
    #[inline(always)]
    fn first<const N: usize>(&mut self, b: &[u8; N], n: usize) {
        const { assert!(N <= SLACK) };
        let i = self.n & (CAP - 1);
        self.b[i..i + N].copy_from_slice(b);
        self.n += n.min(N);
    }
    #[inline(always)]
    fn byte(&mut self, c: u8) {
        self.b[self.n & (CAP - 1)] = c;
        self.n += 1;
    }
    #[inline(always)]
    fn slice(&mut self, s: &[u8]) {
        let i = self.n & (CAP - 1);
        let (l, d) = (s.len(), &mut self.b[i..i + SLACK]);
        if l < 4 {
            // The short words (direction, state, sid) without a call to
            // memcpy: first, middle and last byte cover one to three.
            if l > 0 {
                d[0] = s[0];
                d[l / 2] = s[l / 2];
                d[l - 1] = s[l - 1];
            }
        } else if l <= 8 {
            // Two four-byte copies, overlapping when shorter than eight.
            d[..4].copy_from_slice(&s[..4]);
            d[l - 4..l].copy_from_slice(&s[l - 4..]);
        } else if l <= SLACK {
            d[..l].copy_from_slice(s);
        } else {
            // Too long for one copy: the record goes the slow way.
            self.n += CAP;
        }
        self.n += l;
    }
}

impl Lines {
    /// The lines so far.
    pub fn text(&self) -> &[u8] {
        &self.b[..self.n.min(CAP)]
    }
    pub fn len(&self) -> usize {
        self.n
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    pub fn clear(&mut self) {
        self.n = 0;
    }
    /// Appends one record as a JSON line; false, with nothing appended, if
    /// it does not fit in the room left.
    #[inline]
    pub fn push(&mut self, r: &Rec, sid: &str) -> bool {
        let start = self.n;
        encode(self, r, sid);
        self.byte(b'\n');
        if self.n <= CAP {
            true
        } else {
            self.n = start;
            false
        }
    }
}

/// Appends the JSON lines of `recs` to `lines`, handing the text so far to
/// `out` (and clearing it) when it passes 1 MiB or a record does not fit. A
/// record too long even for the empty buffer goes to `out` by itself.
pub fn json_lines<E>(lines: &mut Lines, recs: &[Rec], sid: &str, mut out: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
    for r in recs {
        if lines.len() >= FULL {
            out(lines.text())?;
            lines.clear();
        }
        if !lines.push(r, sid) {
            out(lines.text())?;
            lines.clear();
            if !lines.push(r, sid) {
                let mut v = Vec::new();
                write_json(&mut v, r, sid);
                v.push(b'\n');
                out(&v)?;
            }
        }
    }
    Ok(())
}

/// Appends one JSON object (no newline).
pub fn write_json(o: &mut Vec<u8>, r: &Rec, sid: &str) {
    o.reserve(2048);
    encode(o, r, sid)
}

/// One JSON object. Absent optional fields are left out, except sport/dport,
/// which the catalogue defines as null for port-less protocols.
#[inline(always)]
fn encode<O: Out>(o: &mut O, r: &Rec, sid: &str) {
    o.all(b"{\"uid\":");
    write_uid(o, &r.uid, true);
    key!(o, "seq");
    write_uint(o, r.seq as u64);
    if r.is_final {
        o.all(b",\"rtype\":\"final\"");
    } else {
        o.all(b",\"rtype\":\"status\"");
    }
    // Every string the sensor emits is plain ASCII without quotes or
    // backslashes (names, state words, base64), so no escaping is needed.
    // A closing quote goes out with the key after it: one copy, not two.
    o.all(b",\"sid\":\"");
    o.slice(sid.as_bytes());
    o.all(b"\",\"stime\":");
    write_time(o, r.stime);
    key!(o, "ltime");
    write_time(o, r.ltime);
    key!(o, "dur");
    write_time(o, r.ltime - r.stime);
    // The usual protocols' names come with their key and the next one.
    match (r.proto, r.l2) {
        (6, false) => o.all(b",\"proto\":\"tcp\",\"saddr\":\""),
        (17, false) => o.all(b",\"proto\":\"udp\",\"saddr\":\""),
        _ => {
            key!(o, "proto");
            quoted(o, proto_name(r.proto, r.l2).as_bytes());
            o.all(b",\"saddr\":\"");
        }
    }
    write_addr(o, &r.saddr);
    o.all(b"\",\"sport\":");
    port(o, r.sport);
    o.all(b",\"dir\":\"");
    o.slice(r.dir.as_bytes());
    o.all(b"\",\"daddr\":\"");
    write_addr(o, &r.daddr);
    o.all(b"\",\"dport\":");
    port(o, r.dport);
    key!(o, "spkts");
    write_uint(o, r.spkts);
    key!(o, "dpkts");
    write_uint(o, r.dpkts);
    key!(o, "sbytes");
    write_uint(o, r.sbytes);
    key!(o, "dbytes");
    write_uint(o, r.dbytes);
    key!(o, "sappbytes");
    write_uint(o, r.sappbytes);
    key!(o, "dappbytes");
    write_uint(o, r.dappbytes);
    o.all(b",\"state\":\"");
    o.slice(r.state.as_bytes());
    o.all(b"\",\"flgs\":\"");
    // The flags' text is NUL-padded to 8 bytes: copied whole, then cut.
    let n = r.flgs.iter().position(|&c| c == 0).unwrap_or(8);
    o.first(&r.flgs, n);
    let t = r.tcp.as_ref();
    match t {
        // TCP records have both directions' flags.
        Some(t) => {
            o.all(b"\",\"stcpflgs\":\"");
            write_tcp_flags(o, t.stcpflgs);
            o.all(b"\",\"dtcpflgs\":\"");
            write_tcp_flags(o, t.dtcpflgs);
            o.byte(b'"');
        }
        None => o.byte(b'"'),
    }
    opt!(o, "sttl", r.sttl, uint);
    opt!(o, "dttl", r.dttl, uint);
    opt!(o, "stos", r.stos, uint);
    opt!(o, "dtos", r.dtos, uint);
    if let Some(m) = r.smac {
        o.all(b",\"smac\":\"");
        write_mac(o, &m);
        o.byte(b'"');
    }
    if let Some(m) = r.dmac {
        o.all(b",\"dmac\":\"");
        write_mac(o, &m);
        o.byte(b'"');
    }
    opt!(o, "vlan", r.vlan, uint);
    opt!(o, "mpls", r.mpls, uint);
    opt!(o, "swin", t.and_then(|t| t.swin), uint);
    opt!(o, "dwin", t.and_then(|t| t.dwin), uint);
    let (sa, ad) = (t.and_then(|t| t.synack), t.and_then(|t| t.ackdat));
    opt!(o, "tcprtt", sa.zip(ad).map(|(a, b)| a + b), secs);
    opt!(o, "synack", sa, secs);
    opt!(o, "ackdat", ad, secs);
    if let Some(t) = t {
        key!(o, "sloss");
        write_uint(o, t.sloss);
        key!(o, "dloss");
        write_uint(o, t.dloss);
        key!(o, "sretrans");
        write_uint(o, t.sretrans);
        key!(o, "dretrans");
        write_uint(o, t.dretrans);
        key!(o, "soo");
        write_uint(o, t.soo);
        key!(o, "doo");
        write_uint(o, t.doo);
    }
    let (s, d) = (r.s(), r.d());
    opt!(o, "sintpkt", s.intpkt, write_float);
    opt!(o, "dintpkt", d.intpkt, write_float);
    opt!(o, "sintdev", s.intdev, write_float);
    opt!(o, "dintdev", d.intdev, write_float);
    opt!(o, "sjit", s.jit, write_float);
    opt!(o, "djit", d.jit, write_float);
    opt!(o, "smeansz", s.meansz, write_float);
    opt!(o, "dmeansz", d.meansz, write_float);
    opt!(o, "sminsz", s.minsz, uint);
    opt!(o, "smaxsz", s.maxsz, uint);
    opt!(o, "dminsz", d.minsz, uint);
    opt!(o, "dmaxsz", d.maxsz, uint);
    match r.community_id() {
        Some(c) => {
            o.all(b",\"cid\":\"");
            o.all(&c.text());
            o.all(b"\"}");
        }
        None => o.byte(b'}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{DnsRec, Meter, SharedStats, Sink};
    use crate::pipeline::run_file;
    use crate::flow::Config;
    use crate::record::write_json_generic;

    struct Collect(Vec<Rec>);
    impl Sink for Collect {
        fn records(&mut self, recs: &mut Vec<Rec>, _sid: &str) -> Result<(), String> {
            self.0.append(recs);
            Ok(())
        }
        fn dns(&mut self, _d: &DnsRec, _sid: &str) -> Result<(), String> {
            Ok(())
        }
        fn flush(&mut self, _force: bool) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn matches_the_generic_field_walk_on_every_fixture_record() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test/fixtures/pcaps");
        let (mut n, mut all) = (0, Vec::new());
        for e in std::fs::read_dir(dir).expect("fixture captures") {
            let path = e.unwrap().path();
            if !path.to_string_lossy().contains(".pcap") {
                continue;
            }
            let cfg = Config {
                sid: "t-1".into(),
                status_interval_us: 1_000_000,
                tcp_timeout_us: 60_000_000,
                udp_timeout_us: 30_000_000,
                icmp_timeout_us: 5_000_000,
                other_timeout_us: 30_000_000,
                max_flows: 1000,
            };
            let mut meter = Meter::new(cfg, std::sync::Arc::new(SharedStats::default()), None, false);
            let mut sink = Collect(Vec::new());
            let _ = run_file(&path.to_string_lossy(), &mut meter, &mut sink, &std::sync::atomic::AtomicBool::new(false));
            for r in &sink.0 {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                write_json(&mut a, r, "t-1");
                write_json_generic(&mut b, r, "t-1");
                assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "{}", path.display());
                n += 1;
            }
            all.append(&mut sink.0);
        }
        // The same text through the lines buffer: many times over (it is
        // handed on at 1 MiB and when full), with a sid too long for it, and
        // with huge values printed in full.
        let mut lines = Lines::default();
        let mut big = all[7].clone();
        // (intpkt is ipt_sum / ipt_n: 1e300 and -3e299; djit 3e299.)
        big.s_raw.ipt_n = 1;
        big.s_raw.ipt_sum = 1e300;
        big.d_raw.ipt_n = 1;
        big.d_raw.ipt_sum = -3e299;
        big.d_raw.jit = 3e299;
        all.push(big);
        let long = "x".repeat(5000);
        for sid in ["", "t", "t1", "t-1", "read", "sensor1", "sensor12", "sensor123", "s".repeat(64).as_str(), "s".repeat(65).as_str(), &long] {
            let mut want = Vec::new();
            let rounds = if sid.len() > 100 { 1 } else { 40 };
            for _ in 0..rounds {
                for r in &all {
                    write_json(&mut want, r, sid);
                    want.push(b'\n');
                }
            }
            let mut got = Vec::new();
            for _ in 0..rounds {
                json_lines(&mut lines, &all, sid, |t| -> Result<(), ()> {
                    got.extend_from_slice(t);
                    Ok(())
                })
                .unwrap();
            }
            got.extend_from_slice(lines.text());
            lines.clear();
            assert!(got == want, "sid of {} bytes: {} bytes, {} expected", sid.len(), got.len(), want.len());
        }
        assert!(n > 300, "only {n} records in the fixtures");
    }
}
