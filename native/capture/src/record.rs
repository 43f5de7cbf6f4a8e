//! The flow record as the sensor emits it, and its two text encodings (JSON
//! lines and CSV) with the catalogue's field names (libs/flow/src/flow.catalogue.ts).
//! Formatting is hand-written into a byte buffer: it runs once per record on
//! the hot path of `panoptes read`.

use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
    Mac([u8; 6]),
}

#[derive(Debug, Clone)]
pub struct Rec {
    pub uid: [u64; 2],
    pub seq: u32,
    pub is_final: bool,
    pub stime: i64,
    pub ltime: i64,
    pub proto: u16,
    /// Non-IP flows: `proto` is an ethertype (printed 0xNNNN, or llc / arp).
    pub l2: bool,
    pub saddr: Addr,
    pub daddr: Addr,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub dir: &'static str,
    pub spkts: u64,
    pub dpkts: u64,
    pub sbytes: u64,
    pub dbytes: u64,
    pub sappbytes: u64,
    pub dappbytes: u64,
    pub state: &'static str,
    pub flgs: [u8; 8],
    pub tcp: Option<TcpPart>,
    pub sttl: Option<u8>,
    pub dttl: Option<u8>,
    pub stos: Option<u8>,
    pub dtos: Option<u8>,
    pub smac: Option<[u8; 6]>,
    pub dmac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
    pub mpls: Option<u32>,
    /// Per-direction counters the timing and size metrics come from (`s()`, `d()`).
    pub s_raw: DirRaw,
    pub d_raw: DirRaw,
    /// What the Community ID is made of (`community_id()` makes it).
    pub cid: Option<crate::cid::CidInput>,
}

impl Rec {
    /// The source side's timing and size metrics.
    #[inline]
    pub fn s(&self) -> DirPart {
        self.s_raw.part(self.spkts, self.sbytes)
    }

    /// The destination side's timing and size metrics.
    #[inline]
    pub fn d(&self) -> DirPart {
        self.d_raw.part(self.dpkts, self.dbytes)
    }

    /// The flow's Community ID, from its addresses, protocol and `cid`: the
    /// same for every record of the flow.
    pub fn community_id(&self) -> Option<crate::cid::CommunityId> {
        let c = self.cid?;
        let (s, d) = if c.sender_is_src { (&self.saddr, &self.daddr) } else { (&self.daddr, &self.saddr) };
        let pad = |a: &[u8; 4]| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(a);
            b
        };
        let (n, s, d) = match (s, d) {
            (Addr::V4(s), Addr::V4(d)) => (4, pad(s), pad(d)),
            (Addr::V6(s), Addr::V6(d)) => (16, *s, *d),
            _ => return None,
        };
        Some(crate::cid::community_id(n, &s, &d, self.proto as u8, c.sport, c.dport, c.has_ports))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TcpPart {
    pub stcpflgs: u8,
    pub dtcpflgs: u8,
    pub swin: Option<u16>,
    pub dwin: Option<u16>,
    /// Microseconds.
    pub synack: Option<i64>,
    pub ackdat: Option<i64>,
    pub sloss: u64,
    pub dloss: u64,
    pub sretrans: u64,
    pub dretrans: u64,
    pub soo: u64,
    pub doo: u64,
}

/// One direction's counters behind its timing and size metrics, as the flow
/// had them for this record: the metrics are derived when the record is
/// written (`Rec::s`, `Rec::d`), off the flow table's thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirRaw {
    /// Inter-packet times (ms): how many, their sum and sum of squares.
    pub ipt_n: u32,
    pub ipt_sum: f64,
    pub ipt_sq: f64,
    /// RFC 3550 jitter (ms); negative: none yet.
    pub jit: f64,
    pub minsz: u32,
    pub maxsz: u32,
}

impl DirRaw {
    /// The metrics, for a window of `pkts` packets and `bytes` bytes.
    #[inline]
    pub fn part(&self, pkts: u64, bytes: u64) -> DirPart {
        let n = self.ipt_n as f64;
        let mean = (self.ipt_n > 0).then(|| self.ipt_sum / n);
        DirPart {
            intpkt: mean,
            intdev: mean.map(|m| (self.ipt_sq / n - m * m).max(0.0).sqrt()),
            jit: (self.jit >= 0.0).then_some(self.jit),
            meansz: (pkts > 0).then(|| bytes as f64 / pkts as f64),
            minsz: (pkts > 0).then_some(self.minsz),
            maxsz: (pkts > 0).then_some(self.maxsz),
        }
    }
}

/// Per-direction timing and size metrics of one record (ms and bytes).
#[derive(Debug, Clone, Copy, Default)]
pub struct DirPart {
    pub intpkt: Option<f64>,
    pub intdev: Option<f64>,
    pub jit: Option<f64>,
    pub meansz: Option<f64>,
    pub minsz: Option<u32>,
    pub maxsz: Option<u32>,
}

pub const CSV_HEADER: &str = "uid,seq,rtype,sid,stime,ltime,dur,proto,saddr,sport,dir,daddr,dport,spkts,dpkts,sbytes,dbytes,sappbytes,dappbytes,state,flgs,stcpflgs,dtcpflgs,sttl,dttl,stos,dtos,smac,dmac,vlan,mpls,swin,dwin,tcprtt,synack,ackdat,sloss,dloss,sretrans,dretrans,soo,doo,sintpkt,dintpkt,sintdev,dintdev,sjit,djit,smeansz,dmeansz,sminsz,smaxsz,dminsz,dmaxsz,cid";

pub fn proto_name(proto: u16, l2: bool) -> std::borrow::Cow<'static, str> {
    if l2 {
        return match proto {
            0 => "llc".into(),
            0x0806 => "arp".into(),
            x => format!("0x{x:04x}").into(),
        };
    }
    match proto {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        136 => "udplite",
        x => return x.to_string().into(),
    }
    .into()
}

/// Every octet in decimal followed by a dot, and that text's length.
const OCTETS: [[u8; 5]; 256] = {
    let mut t = [[0u8; 5]; 256];
    let mut x = 0;
    while x < 256 {
        let (mut d, mut n) = ([0u8; 5], 0);
        if x >= 100 {
            d[n] = b'0' + (x / 100) as u8;
            n += 1;
        }
        if x >= 10 {
            d[n] = b'0' + (x / 10 % 10) as u8;
            n += 1;
        }
        d[n] = b'0' + (x % 10) as u8;
        d[n + 1] = b'.';
        d[4] = n as u8 + 2;
        t[x] = d;
        x += 1;
    }
    t
};

pub fn write_addr(o: &mut impl Out, a: &Addr) {
    match a {
        Addr::V4(b) => {
            // Each octet from a table of "0." to "255." (its length in the last byte).
            let mut t = [0u8; 16];
            let mut n = 0;
            for &x in b {
                let d = &OCTETS[x as usize];
                t[n..n + 4].copy_from_slice(&d[..4]);
                n += d[4] as usize;
            }
            o.first(&t, n - 1);
        }
        Addr::V6(b) => {
            // At most 45 characters (an IPv4-mapped address).
            let mut t = [0u8; 48];
            let mut w = &mut t[..];
            let _ = write!(w, "{}", std::net::Ipv6Addr::from(*b));
            let n = 48 - w.len();
            o.first(&t, n);
        }
        Addr::Mac(m) => write_mac(o, m),
    }
}

/// Every byte as two lowercase hex digits.
const HEX2: [[u8; 2]; 256] = {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut x = 0;
    while x < 256 {
        t[x] = [H[x >> 4], H[x & 15]];
        x += 1;
    }
    t
};

pub(crate) fn write_mac(o: &mut impl Out, m: &[u8; 6]) {
    let h = |i: usize| HEX2[m[i] as usize];
    let (a, b, c, d, e, f) = (h(0), h(1), h(2), h(3), h(4), h(5));
    o.all(&[a[0], a[1], b':', b[0], b[1], b':', c[0], c[1], b':', d[0], d[1], b':', e[0], e[1], b':', f[0], f[1]]);
}

/// Where the text helpers write: a `Vec` (CSV, DNS answers, JavaScript's
/// records) or the JSON lines writer's scratch buffer (jsonline.rs).
pub trait Out {
    /// Appends all of `b`.
    fn all<const N: usize>(&mut self, b: &[u8; N]);
    /// Appends the first `n` bytes of `b` (`n` <= N). The whole fixed-size
    /// array is copied and the surplus cut off again: a copy of known size
    /// compiles to a few moves, where a copy of a run-time length is a call to
    /// memcpy (and formatting makes dozens of short copies per record).
    fn first<const N: usize>(&mut self, b: &[u8; N], n: usize);
    fn byte(&mut self, c: u8);
    /// Appends a slice of run-time length.
    fn slice(&mut self, s: &[u8]);
}

impl Out for Vec<u8> {
    #[inline(always)]
    fn all<const N: usize>(&mut self, b: &[u8; N]) {
        self.extend_from_slice(b);
    }
    #[inline(always)]
    fn first<const N: usize>(&mut self, b: &[u8; N], n: usize) {
        let len = self.len();
        self.extend_from_slice(b);
        self.truncate(len + n.min(N));
    }
    #[inline(always)]
    fn byte(&mut self, c: u8) {
        self.push(c);
    }
    #[inline(always)]
    fn slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
}

pub(crate) fn write_time(o: &mut impl Out, us: i64) {
    let (s, f) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    if (1_000_000_000..10_000_000_000).contains(&s) {
        // Capture times (2001 to 2286): ten digits, the point and six more in one copy.
        let s = s as u64;
        let (top, r) = ((s / 100_000_000) as usize * 2, (s % 100_000_000) as u32);
        let (a, b, c) = (four_digits((r / 10_000) as usize), four_digits((r % 10_000) as usize), six_digits(f as u32));
        o.all(&[PAIRS[top], PAIRS[top + 1], a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], b'.', c[0], c[1], c[2], c[3], c[4], c[5]]);
        return;
    }
    if s < 0 {
        o.byte(b'-');
    }
    write_uint(o, s.unsigned_abs());
    let b = six_digits(f as u32);
    o.all(&[b'.', b[0], b[1], b[2], b[3], b[4], b[5]]);
}

/// "00" to "99": numbers are written two digits at a time.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `x` (< 10_000) as four digits, zero-padded.
#[inline(always)]
fn four_digits(x: usize) -> [u8; 4] {
    let (hi, lo) = (x / 100 * 2, x % 100 * 2);
    [PAIRS[hi], PAIRS[hi + 1], PAIRS[lo], PAIRS[lo + 1]]
}

#[inline(always)]
pub(crate) fn write_uint(o: &mut impl Out, v: u64) {
    // Counts, sizes, TTLs and ports are mostly short.
    if v < 10 {
        o.byte(b'0' + v as u8);
    } else if v < 100 {
        let d = v as usize * 2;
        o.all(&[PAIRS[d], PAIRS[d + 1]]);
    } else {
        write_long_uint(o, v);
    }
}

#[inline(never)]
fn write_long_uint(o: &mut impl Out, mut v: u64) {
    if v < 10_000 {
        let (hi, lo) = ((v / 100) as usize, (v % 100) as usize * 2);
        if hi < 10 {
            o.all(&[b'0' + hi as u8, PAIRS[lo], PAIRS[lo + 1]]);
        } else {
            o.all(&[PAIRS[hi * 2], PAIRS[hi * 2 + 1], PAIRS[lo], PAIRS[lo + 1]]);
        }
        return;
    }
    if v < 100_000 {
        // Five digits (ports, TCP windows, byte counts) without the digit count.
        let (top, d) = ((v / 10_000) as u8, four_digits((v % 10_000) as usize));
        o.all(&[b'0' + top, d[0], d[1], d[2], d[3]]);
        return;
    }
    let n = v.ilog10() as usize + 1;
    let mut b = [0u8; 20];
    let mut i = n;
    while v >= 10_000 {
        // Four digits a round.
        let r = (v % 10_000) as usize;
        v /= 10_000;
        i -= 4;
        b[i..i + 4].copy_from_slice(&four_digits(r));
    }
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        b[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        i -= 2;
        b[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        i -= 1;
        b[i] = b'0' + v as u8;
    }
    o.first(&b, n);
}

/// Six fraction digits of `f` (< 1_000_000), zero-padded.
#[inline]
fn six_digits(mut f: u32) -> [u8; 6] {
    let mut b = [0u8; 6];
    for i in (0..3).rev() {
        let d = (f % 100) as usize * 2;
        f /= 100;
        b[i * 2..i * 2 + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    b
}

pub(crate) fn write_float(o: &mut impl Out, v: f64) {
    // Rounded to a millionth (a microsecond, or a millionth of a byte), printed
    // as fixed point without trailing zeros: the same text as the shortest
    // round-trip form for these values, at a fraction of its cost.
    let x = v * 1e6;
    if !x.is_finite() || x.abs() >= 9.0e15 {
        o.slice(format!("{}", if v.is_finite() { v } else { 0.0 }).as_bytes());
        return;
    }
    // x.round() (half away from zero) without the libm call: below 2^53 the
    // integer part and the fraction are exact.
    let t = x as i64;
    let frac = x - t as f64;
    let n = if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    };
    if n < 0 {
        o.byte(b'-');
    }
    let n = n.unsigned_abs();
    write_uint(o, n / 1_000_000);
    let f = n % 1_000_000;
    if f != 0 {
        let b = six_digits(f as u32);
        let len = 6 - b.iter().rev().take_while(|&&c| c == b'0').count();
        let d = [b'.', b[0], b[1], b[2], b[3], b[4], b[5]];
        o.first(&d, len + 1);
    }
}

/// Every TCP flags byte as letters (FSRPAUEC order), its length in the last byte.
const TCP_FLAGS: [[u8; 9]; 256] = {
    let mut t = [[0u8; 9]; 256];
    let mut f = 0;
    while f < 256 {
        let mut n = 0;
        let mut i = 0;
        while i < 8 {
            if f & (1 << i) != 0 {
                t[f][n] = b"FSRPAUEC"[i];
                n += 1;
            }
            i += 1;
        }
        t[f][8] = n as u8;
        f += 1;
    }
    t
};

pub(crate) fn write_tcp_flags(o: &mut impl Out, f: u8) {
    let t = &TCP_FLAGS[f as usize];
    let b: &[u8; 8] = t[..8].try_into().expect("8 of 9 bytes");
    o.first(b, t[8] as usize);
}

fn flgs_str(f: &[u8; 8]) -> &str {
    let n = f.iter().position(|&c| c == 0).unwrap_or(8);
    std::str::from_utf8(&f[..n]).unwrap_or("")
}

/// Field values in catalogue order, shared by both encodings.
enum V<'a> {
    Null,
    U(u64),
    F(f64),
    T(i64),
    S(&'a str),
    Addr(&'a Addr),
    Mac(&'a [u8; 6]),
    Flags(u8),
    Uid(&'a [u64; 2]),
    Cid(crate::cid::CommunityId),
}

/// A field's name, with its JSON key `,"name":` ready to copy (padded to a fixed size).
#[cfg_attr(not(test), allow(dead_code))] // the JSON key serves the reference encoding in tests
struct Name {
    json: [u8; 16],
    len: usize,
    /// Written as null when absent (sport, dport), instead of left out.
    null_ok: bool,
}

const fn name(s: &str) -> Name {
    let b = s.as_bytes();
    assert!(b.len() + 4 <= 16);
    let mut json = [0u8; 16];
    json[0] = b',';
    json[1] = b'"';
    let mut i = 0;
    while i < b.len() {
        json[2 + i] = b[i];
        i += 1;
    }
    json[2 + i] = b'"';
    json[3 + i] = b':';
    let null_ok = b.len() == 5 && b[1] == b'p' && b[2] == b'o' && b[3] == b'r' && b[4] == b't';
    Name { json, len: b.len() + 4, null_ok }
}

macro_rules! name {
    ($s:literal) => {
        &const { name($s) }
    };
}

fn fields<'a>(r: &'a Rec, sid: &'a str, proto: &'a str, mut f: impl FnMut(&'static Name, V<'a>)) {
    use V::*;
    let opt_u = |x: Option<u64>| x.map(U).unwrap_or(Null);
    let opt_f = |x: Option<f64>| x.map(F).unwrap_or(Null);
    let secs = |x: Option<i64>| x.map(|v| F(v as f64 / 1e6)).unwrap_or(Null);
    f(name!("uid"), Uid(&r.uid));
    f(name!("seq"), U(r.seq as u64));
    f(name!("rtype"), S(if r.is_final { "final" } else { "status" }));
    f(name!("sid"), S(sid));
    f(name!("stime"), T(r.stime));
    f(name!("ltime"), T(r.ltime));
    f(name!("dur"), T(r.ltime - r.stime));
    f(name!("proto"), S(proto));
    f(name!("saddr"), Addr(&r.saddr));
    f(name!("sport"), opt_u(r.sport.map(|x| x as u64)));
    f(name!("dir"), S(r.dir));
    f(name!("daddr"), Addr(&r.daddr));
    f(name!("dport"), opt_u(r.dport.map(|x| x as u64)));
    f(name!("spkts"), U(r.spkts));
    f(name!("dpkts"), U(r.dpkts));
    f(name!("sbytes"), U(r.sbytes));
    f(name!("dbytes"), U(r.dbytes));
    f(name!("sappbytes"), U(r.sappbytes));
    f(name!("dappbytes"), U(r.dappbytes));
    f(name!("state"), S(r.state));
    f(name!("flgs"), S(flgs_str(&r.flgs)));
    let t = r.tcp.as_ref();
    f(name!("stcpflgs"), t.map(|t| Flags(t.stcpflgs)).unwrap_or(Null));
    f(name!("dtcpflgs"), t.map(|t| Flags(t.dtcpflgs)).unwrap_or(Null));
    f(name!("sttl"), opt_u(r.sttl.map(|x| x as u64)));
    f(name!("dttl"), opt_u(r.dttl.map(|x| x as u64)));
    f(name!("stos"), opt_u(r.stos.map(|x| x as u64)));
    f(name!("dtos"), opt_u(r.dtos.map(|x| x as u64)));
    f(name!("smac"), r.smac.as_ref().map(Mac).unwrap_or(Null));
    f(name!("dmac"), r.dmac.as_ref().map(Mac).unwrap_or(Null));
    f(name!("vlan"), opt_u(r.vlan.map(|x| x as u64)));
    f(name!("mpls"), opt_u(r.mpls.map(|x| x as u64)));
    f(name!("swin"), opt_u(t.and_then(|t| t.swin).map(|x| x as u64)));
    f(name!("dwin"), opt_u(t.and_then(|t| t.dwin).map(|x| x as u64)));
    let (sa, ad) = (t.and_then(|t| t.synack), t.and_then(|t| t.ackdat));
    f(name!("tcprtt"), secs(sa.zip(ad).map(|(a, b)| a + b)));
    f(name!("synack"), secs(sa));
    f(name!("ackdat"), secs(ad));
    f(name!("sloss"), opt_u(t.map(|t| t.sloss)));
    f(name!("dloss"), opt_u(t.map(|t| t.dloss)));
    f(name!("sretrans"), opt_u(t.map(|t| t.sretrans)));
    f(name!("dretrans"), opt_u(t.map(|t| t.dretrans)));
    f(name!("soo"), opt_u(t.map(|t| t.soo)));
    f(name!("doo"), opt_u(t.map(|t| t.doo)));
    let (s, d) = (r.s(), r.d());
    f(name!("sintpkt"), opt_f(s.intpkt));
    f(name!("dintpkt"), opt_f(d.intpkt));
    f(name!("sintdev"), opt_f(s.intdev));
    f(name!("dintdev"), opt_f(d.intdev));
    f(name!("sjit"), opt_f(s.jit));
    f(name!("djit"), opt_f(d.jit));
    f(name!("smeansz"), opt_f(s.meansz));
    f(name!("dmeansz"), opt_f(d.meansz));
    f(name!("sminsz"), opt_u(s.minsz.map(|x| x as u64)));
    f(name!("smaxsz"), opt_u(s.maxsz.map(|x| x as u64)));
    f(name!("dminsz"), opt_u(d.minsz.map(|x| x as u64)));
    f(name!("dmaxsz"), opt_u(d.maxsz.map(|x| x as u64)));
    f(name!("cid"), r.community_id().map(Cid).unwrap_or(Null));
}

fn write_value(o: &mut Vec<u8>, v: &V, quote: bool) {
    let q = |o: &mut Vec<u8>| {
        if quote {
            o.push(b'"')
        }
    };
    match v {
        V::Null => o.extend_from_slice(if quote { b"null" } else { b"" }),
        V::U(x) => write_uint(o, *x),
        V::F(x) => write_float(o, *x),
        V::T(x) => write_time(o, *x),
        V::S(s) => {
            q(o);
            // Every string the sensor emits is plain ASCII without quotes or
            // backslashes (names, state words, base64), so no escaping is needed.
            o.extend_from_slice(s.as_bytes());
            q(o);
        }
        V::Addr(a) => {
            q(o);
            write_addr(o, a);
            q(o);
        }
        V::Mac(m) => {
            q(o);
            write_mac(o, m);
            q(o);
        }
        V::Flags(fl) => {
            q(o);
            write_tcp_flags(o, *fl);
            q(o);
        }
        V::Uid(u) => write_uid(o, u, quote),
        V::Cid(c) => {
            q(o);
            o.extend_from_slice(&c.text());
            q(o);
        }
    }
}

/// The uid: 24 hex digits (64 bits of the first word, 32 of the second).
pub(crate) fn write_uid(o: &mut impl Out, u: &[u64; 2], quote: bool) {
    let mut t = [b'"'; 26];
    let hi = u[0].to_be_bytes();
    let lo = u[1].to_be_bytes();
    for i in 0..8 {
        let [a, b] = HEX2[hi[i] as usize];
        t[1 + 2 * i] = a;
        t[2 + 2 * i] = b;
    }
    for i in 0..4 {
        let [a, b] = HEX2[lo[4 + i] as usize];
        t[17 + 2 * i] = a;
        t[18 + 2 * i] = b;
    }
    if quote {
        o.all(&t);
    } else {
        let b: &[u8; 24] = t[1..25].try_into().expect("24 of 26 bytes");
        o.all(b);
    }
}

pub use crate::jsonline::write_json;

/// The JSON encoding through the generic field walk, which the hand-written
/// `write_json` (jsonline.rs) must match.
#[cfg(test)]
pub(crate) fn write_json_generic(o: &mut Vec<u8>, r: &Rec, sid: &str) {
    let proto = proto_name(r.proto, r.l2);
    o.reserve(1024);
    let start = o.len();
    // Every key is written with a leading comma; the first one's becomes the brace.
    fields(r, sid, &proto, |name, v| {
        if matches!(v, V::Null) && !name.null_ok {
            return;
        }
        o.first(&name.json, name.len);
        write_value(o, &v, true);
    });
    match o.get_mut(start) {
        Some(c) => *c = b'{',
        None => o.push(b'{'),
    }
    o.push(b'}');
}

/// One CSV row (no newline), columns as in CSV_HEADER.
pub fn write_csv(o: &mut Vec<u8>, r: &Rec, sid: &str) {
    let proto = proto_name(r.proto, r.l2);
    let mut first = true;
    fields(r, sid, &proto, |_, v| {
        if !first {
            o.push(b',');
        }
        first = false;
        write_value(o, &v, false);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounding write_float did with f64::round, for comparison.
    fn reference(v: f64) -> String {
        let r = (v * 1e6).round();
        if !r.is_finite() || r.abs() >= 9.0e15 {
            return format!("{}", if v.is_finite() { v } else { 0.0 });
        }
        let n = r as i64;
        let (sign, n) = (if n < 0 { "-" } else { "" }, n.unsigned_abs());
        let f = n % 1_000_000;
        if f == 0 {
            format!("{sign}{}", n / 1_000_000)
        } else {
            format!("{sign}{}.{}", n / 1_000_000, format!("{f:06}").trim_end_matches('0'))
        }
    }

    #[test]
    fn floats_integers_and_tcp_flags_print_as_before() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut vals = vec![0.0, -0.0, 0.5e-6, -0.5e-6, 1.5e-6, 2.5e-6, 0.4999999e-6, 8.999999e9, 9.0e9, 4.5e9, 1e300, f64::NAN, f64::INFINITY, -12.3456785];
        for _ in 0..200_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let m = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1e-7, 1e-3, 1.0, 1e3, 1e6, 1e9, 1e10][(x & 7) as usize % 7];
            vals.push(if x & 8 == 0 { m * scale } else { -m * scale });
            vals.push((m * 1e6).round() / 1e6 + 0.5e-6);
        }
        for v in vals {
            let mut o = Vec::new();
            write_float(&mut o, v);
            assert_eq!(String::from_utf8(o).unwrap(), reference(v), "{v:e}");
        }
        for us in [0i64, -1, -1_000_000, -1_500_000, 999_999_999_999_999, 1_000_000_000_000_000, 1_700_000_000_123_456, 9_999_999_999_999_999, 10_000_000_000_000_000, i64::MAX, i64::MIN + 1]
            .into_iter()
            .chain((0..100_000i64).map(|i| 1_000_000_000_000_000 + i * 89_999_999_999_987))
        {
            let mut o = Vec::new();
            write_time(&mut o, us);
            let (s, f) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
            assert_eq!(String::from_utf8(o).unwrap(), format!("{s}.{f:06}"));
        }
        for f in 0..=255u8 {
            let mut o = Vec::new();
            write_tcp_flags(&mut o, f);
            let want: String = "FSRPAUEC".chars().enumerate().filter(|(i, _)| f & (1 << i) != 0).map(|(_, c)| c).collect();
            assert_eq!(String::from_utf8(o).unwrap(), want);
        }
        for v in (0..100_000u64).chain([u64::MAX, 1 << 32, 9_999, 10_000, 99_999_999, 100_000_000]) {
            let mut o = Vec::new();
            write_uint(&mut o, v);
            assert_eq!(String::from_utf8(o).unwrap(), v.to_string());
        }
    }
}
