//! A record as one JSON object, written field by field in catalogue order.
//! `panoptes read -w` spends most of its formatting time here (a few hundred
//! thousand records a second), so unlike the CSV encoding, which walks the
//! generic field list in record.rs, every key is a constant and every value
//! is written by a helper of its own type. The tests check that both walks
//! give the same text.

use crate::record::{proto_name, write_addr, write_float, write_mac, write_tcp_flags, write_time, write_uid, write_uint, Rec};

/// Appends `,"name":`.
macro_rules! key {
    ($o:expr, $k:literal) => {
        $o.extend_from_slice(concat!(",\"", $k, "\":").as_bytes())
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

fn quoted(o: &mut Vec<u8>, s: &[u8]) {
    o.push(b'"');
    o.extend_from_slice(s);
    o.push(b'"');
}

fn uint<T: Into<u64>>(o: &mut Vec<u8>, v: T) {
    write_uint(o, v.into())
}

fn secs(o: &mut Vec<u8>, us: i64) {
    write_float(o, us as f64 / 1e6)
}

/// One JSON object (no newline). Absent optional fields are left out, except
/// sport/dport, which the catalogue defines as null for port-less protocols.
pub fn write_json(o: &mut Vec<u8>, r: &Rec, sid: &str) {
    o.reserve(2048);
    o.extend_from_slice(b"{\"uid\":");
    write_uid(o, &r.uid, true);
    key!(o, "seq");
    write_uint(o, r.seq as u64);
    o.extend_from_slice(if r.is_final { b",\"rtype\":\"final\"" as &[u8] } else { b",\"rtype\":\"status\"" });
    // Every string the sensor emits is plain ASCII without quotes or
    // backslashes (names, state words, base64), so no escaping is needed.
    // A closing quote goes out with the key after it: one copy, not two.
    o.extend_from_slice(b",\"sid\":\"");
    o.extend_from_slice(sid.as_bytes());
    o.extend_from_slice(b"\",\"stime\":");
    write_time(o, r.stime);
    key!(o, "ltime");
    write_time(o, r.ltime);
    key!(o, "dur");
    write_time(o, r.ltime - r.stime);
    // The usual protocols' names come with their key and the next one.
    match (r.proto, r.l2) {
        (6, false) => o.extend_from_slice(b",\"proto\":\"tcp\",\"saddr\":\""),
        (17, false) => o.extend_from_slice(b",\"proto\":\"udp\",\"saddr\":\""),
        _ => {
            key!(o, "proto");
            quoted(o, proto_name(r.proto, r.l2).as_bytes());
            o.extend_from_slice(b",\"saddr\":\"");
        }
    }
    write_addr(o, &r.saddr);
    o.extend_from_slice(b"\",\"sport\":");
    match r.sport {
        Some(p) => write_uint(o, p as u64),
        None => o.extend_from_slice(b"null"),
    }
    o.extend_from_slice(b",\"dir\":\"");
    o.extend_from_slice(r.dir.as_bytes());
    o.extend_from_slice(b"\",\"daddr\":\"");
    write_addr(o, &r.daddr);
    o.extend_from_slice(b"\",\"dport\":");
    match r.dport {
        Some(p) => write_uint(o, p as u64),
        None => o.extend_from_slice(b"null"),
    }
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
    o.extend_from_slice(b",\"state\":\"");
    o.extend_from_slice(r.state.as_bytes());
    o.extend_from_slice(b"\",\"flgs\":\"");
    // The flags' text is NUL-padded to 8 bytes: copied whole, then cut.
    let n = r.flgs.iter().position(|&c| c == 0).unwrap_or(8);
    let len = o.len();
    o.extend_from_slice(&r.flgs);
    o.truncate(len + n);
    let t = r.tcp.as_ref();
    match t {
        // TCP records have both directions' flags.
        Some(t) => {
            o.extend_from_slice(b"\",\"stcpflgs\":\"");
            write_tcp_flags(o, t.stcpflgs);
            o.extend_from_slice(b"\",\"dtcpflgs\":\"");
            write_tcp_flags(o, t.dtcpflgs);
            o.push(b'"');
        }
        None => o.push(b'"'),
    }
    opt!(o, "sttl", r.sttl, uint);
    opt!(o, "dttl", r.dttl, uint);
    opt!(o, "stos", r.stos, uint);
    opt!(o, "dtos", r.dtos, uint);
    if let Some(m) = r.smac {
        o.extend_from_slice(b",\"smac\":\"");
        write_mac(o, &m);
        o.push(b'"');
    }
    if let Some(m) = r.dmac {
        o.extend_from_slice(b",\"dmac\":\"");
        write_mac(o, &m);
        o.push(b'"');
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
    opt!(o, "sintpkt", r.s.intpkt, write_float);
    opt!(o, "dintpkt", r.d.intpkt, write_float);
    opt!(o, "sintdev", r.s.intdev, write_float);
    opt!(o, "dintdev", r.d.intdev, write_float);
    opt!(o, "sjit", r.s.jit, write_float);
    opt!(o, "djit", r.d.jit, write_float);
    opt!(o, "smeansz", r.s.meansz, write_float);
    opt!(o, "dmeansz", r.d.meansz, write_float);
    opt!(o, "sminsz", r.s.minsz, uint);
    opt!(o, "smaxsz", r.s.maxsz, uint);
    opt!(o, "dminsz", r.d.minsz, uint);
    opt!(o, "dmaxsz", r.d.maxsz, uint);
    if let Some(c) = &r.cid {
        key!(o, "cid");
        quoted(o, &c.text());
    }
    o.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{run_file, DnsRec, Meter, SharedStats, Sink};
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
        let mut n = 0;
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
        }
        assert!(n > 300, "only {n} records in the fixtures");
    }
}
