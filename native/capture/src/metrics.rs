//! Per-packet metering of one flow and the making of its records: counters,
//! sizes, inter-packet times and jitter, TCP handshake timing, sequence
//! tracking (retransmission, out of order, loss) and Argus state words.

use crate::decode::{Pkt, L3};
use crate::flow::{addr_of, flow_flags, is_echo, tcp_part, Flow, Key};
use crate::record::{DirRaw, Rec};

/// One direction of a flow. Fields marked "window" are reset by each record.
#[derive(Debug, Clone)]
pub struct Dir {
    // window
    pub pkts: u64,
    pub bytes: u64,
    pub app: u64,
    pub minsz: u32,
    pub maxsz: u32,
    pub ipt_n: u32,
    pub ipt_sum: f64,
    pub ipt_sq: f64,
    pub loss: u32,
    pub retrans: u32,
    pub oo: u32,
    // whole flow
    pub total_pkts: u64,
    pub retrans_total: u32,
    pub oo_total: u32,
    pub last_ts: i64,
    /// Last inter-packet time (ms); negative until two packets were seen.
    pub last_ipt: f64,
    /// RFC 3550 jitter (ms); negative until three packets were seen.
    pub jit: f64,
    pub ttl: Option<u8>,
    pub tos: Option<u8>,
    pub mac: Option<[u8; 6]>,
    pub win: Option<u16>,
    pub tcp_flags: u8,
    pub next_seq: Option<u32>,
    pub gaps: u32,
    pub fin: bool,
}

impl Default for Dir {
    fn default() -> Dir {
        Dir {
            pkts: 0,
            bytes: 0,
            app: 0,
            minsz: 0,
            maxsz: 0,
            ipt_n: 0,
            ipt_sum: 0.0,
            ipt_sq: 0.0,
            loss: 0,
            retrans: 0,
            oo: 0,
            total_pkts: 0,
            retrans_total: 0,
            oo_total: 0,
            last_ts: 0,
            last_ipt: -1.0,
            jit: -1.0,
            ttl: None,
            tos: None,
            mac: None,
            win: None,
            tcp_flags: 0,
            next_seq: None,
            gaps: 0,
            fin: false,
        }
    }
}

#[derive(Default, Debug, Clone, Copy)]
pub struct TcpState {
    pub syn_ts: Option<i64>,
    pub synack_ts: Option<i64>,
    pub synack: Option<i64>,
    pub ackdat: Option<i64>,
    pub rst: bool,
    pub midstream: bool,
}

impl Dir {
    #[inline(always)]
    fn add(&mut self, ts: i64, p: &Pkt) {
        let sz = p.wire_len;
        if self.pkts == 0 {
            self.minsz = sz;
            self.maxsz = sz;
        } else {
            self.minsz = self.minsz.min(sz);
            self.maxsz = self.maxsz.max(sz);
        }
        if self.total_pkts > 0 {
            let ipt = (ts - self.last_ts) as f64 / 1000.0;
            self.ipt_n = self.ipt_n.saturating_add(1);
            self.ipt_sum += ipt;
            self.ipt_sq += ipt * ipt;
            if self.last_ipt >= 0.0 {
                // RFC 3550 interarrival jitter: J += (|D| - J) / 16.
                let j = self.jit.max(0.0);
                self.jit = j + ((ipt - self.last_ipt).abs() - j) / 16.0;
            }
            self.last_ipt = ipt;
        }
        self.last_ts = ts;
        self.pkts += 1;
        self.total_pkts += 1;
        self.bytes += sz as u64;
        self.app += p.app_len as u64;
        if p.l3 == L3::Ip4 || p.l3 == L3::Ip6 {
            self.ttl = Some(p.ttl);
            self.tos = Some(p.tos);
        }
        if self.mac.is_none() && p.smac != [0; 6] {
            self.mac = Some(p.smac);
        }
    }

    /// Sequence tracking for one TCP segment from this side.
    #[inline(always)]
    fn seq(&mut self, p: &Pkt) {
        let f = p.tcp_flags;
        let len = p.app_len.wrapping_add(((f & 0x03) != 0) as u32); // SYN and FIN take a number
        if f & 0x04 != 0 {
            return;
        }
        let Some(next) = self.next_seq else {
            self.next_seq = Some(p.tcp_seq.wrapping_add(len));
            return;
        };
        if len == 0 {
            return;
        }
        let d = p.tcp_seq.wrapping_sub(next) as i32;
        if d == 0 {
            self.next_seq = Some(p.tcp_seq.wrapping_add(len));
        } else if d > 0 {
            self.loss = self.loss.saturating_add(1);
            self.gaps = self.gaps.saturating_add(1);
            self.next_seq = Some(p.tcp_seq.wrapping_add(len));
        } else if self.gaps > 0 {
            // Below the highest sequence seen while a gap is open: it fills the gap.
            self.gaps -= 1;
            self.oo = self.oo.saturating_add(1);
            self.oo_total = self.oo_total.saturating_add(1);
        } else {
            self.retrans = self.retrans.saturating_add(1);
            self.retrans_total = self.retrans_total.saturating_add(1);
        }
    }

    /// The counters this record's metrics come from (`DirRaw::part`, with
    /// this window's `pkts` and `bytes`).
    fn raw(&self) -> DirRaw {
        DirRaw { ipt_n: self.ipt_n, ipt_sum: self.ipt_sum, ipt_sq: self.ipt_sq, jit: self.jit, minsz: self.minsz, maxsz: self.maxsz }
    }

    fn reset_window(&mut self) {
        self.pkts = 0;
        self.bytes = 0;
        self.app = 0;
        self.ipt_n = 0;
        self.ipt_sum = 0.0;
        self.ipt_sq = 0.0;
        self.loss = 0;
        self.retrans = 0;
        self.oo = 0;
    }
}

impl Flow {
    #[inline(always)]
    pub fn update(&mut self, ts: i64, p: &Pkt, from_src: bool) {
        if !self.dirty {
            self.rec_start = ts;
            self.dirty = true;
        }
        self.rec_last = ts;
        self.last_ts = ts;
        self.flags |= p.flags;
        if self.vlan.is_none() {
            self.vlan = p.vlan;
        }
        if self.mpls.is_none() {
            self.mpls = p.mpls;
        }
        let dir = if from_src { &mut self.s } else { &mut self.d };
        dir.add(ts, p);
        if p.proto == 6 && p.has_ports && (p.l3 == L3::Ip4 || p.l3 == L3::Ip6) && p.frag.map_or(true, |f| f.1) {
            dir.tcp_flags |= p.tcp_flags;
            dir.win = Some(p.tcp_win);
            dir.seq(p);
            let f = p.tcp_flags;
            if f & 0x01 != 0 {
                dir.fin = true;
            }
            let t = &mut self.tcp;
            if f & 0x12 == 0x02 && from_src {
                self.syn_seen = true;
                t.syn_ts.get_or_insert(ts);
            } else if f & 0x12 == 0x12 && !from_src {
                if let Some(s) = t.syn_ts {
                    if t.synack_ts.is_none() {
                        t.synack_ts = Some(ts);
                        t.synack = Some(ts - s);
                    }
                }
            } else if f & 0x10 != 0 && from_src && t.ackdat.is_none() {
                if let Some(sa) = t.synack_ts {
                    t.ackdat = Some(ts - sa);
                }
            }
            if t.syn_ts.is_none() && t.synack_ts.is_none() && f & 0x02 == 0 {
                t.midstream = true;
            }
            if f & 0x04 != 0 {
                t.rst = true;
                self.close(ts);
            }
            if self.s.fin && self.d.fin {
                self.close(ts);
            }
        } else if p.proto == 1 || p.proto == 58 {
            self.icmp_state = icmp_state(p.proto, p.icmp_type, p.icmp_code, self.icmp_state);
        }
    }

    /// Notes the TCP close at `ts`, unless already closed.
    fn close(&mut self, ts: i64) {
        if !self.closed {
            self.closed = true;
            self.closed_at = ts;
        }
    }

    fn state(&self, k: &Key) -> &'static str {
        let both = self.s.total_pkts > 0 && self.d.total_pkts > 0;
        match (k.fam, k.proto) {
            (4 | 6, 6) => {
                let t = &self.tcp;
                if t.rst {
                    "RST"
                } else if self.s.fin || self.d.fin {
                    "FIN"
                } else if t.ackdat.is_some() || t.midstream {
                    "CON"
                } else if t.synack_ts.is_some() || (self.d.tcp_flags & 0x12 == 0x12) {
                    "ACC"
                } else if self.s.tcp_flags & 0x02 != 0 {
                    "REQ"
                } else {
                    "CON"
                }
            }
            (4 | 6, 1 | 58) if !self.icmp_state.is_empty() => self.icmp_state,
            _ => {
                if both {
                    "CON"
                } else {
                    "INT"
                }
            }
        }
    }

    fn dir(&self, k: &Key) -> &'static str {
        let (s, d) = (self.s.total_pkts > 0, self.d.total_pkts > 0);
        if k.fam == 4 || k.fam == 6 {
            if k.proto == 6 && self.certain && self.syn_seen {
                return "->";
            }
        }
        match (self.certain, s, d) {
            (true, true, true) => "<->",
            (true, true, false) => "->",
            (true, false, _) => "<-",
            (false, true, true) => "<?>",
            (false, true, false) => "?>",
            (false, false, _) => "<?",
        }
    }

    /// Makes the next record of this flow and resets the counting window.
    pub fn record(&mut self, k: &Key, is_final: bool) -> Rec {
        let a = self.src_is_a;
        let tcp = (k.proto == 6 && (k.fam == 4 || k.fam == 6)).then(|| tcp_part(self));
        let ip = k.fam == 4 || k.fam == 6;
        let (sp, dp) = if a { (k.pa, k.pb) } else { (k.pb, k.pa) };
        let ports = ip && matches!(k.proto, 6 | 17 | 132 | 136);
        let r = Rec {
            uid: self.uid,
            seq: self.seq,
            is_final,
            stime: if self.dirty { self.rec_start } else { self.rec_last },
            ltime: self.rec_last,
            proto: if k.fam == 2 { k.extra as u16 } else if k.fam == 1 { 0x0806 } else { k.proto as u16 },
            l2: !ip,
            saddr: addr_of(k, a),
            daddr: addr_of(k, !a),
            sport: ports.then_some(sp),
            dport: ports.then_some(dp),
            dir: self.dir(k),
            spkts: self.s.pkts,
            dpkts: self.d.pkts,
            sbytes: self.s.bytes,
            dbytes: self.d.bytes,
            sappbytes: self.s.app,
            dappbytes: self.d.app,
            state: self.state(k),
            flgs: flow_flags(self),
            tcp,
            sttl: self.s.ttl,
            dttl: self.d.ttl,
            stos: self.s.tos,
            dtos: self.d.tos,
            smac: self.s.mac,
            dmac: self.d.mac.or_else(|| None),
            vlan: self.vlan,
            mpls: self.mpls,
            s_raw: self.s.raw(),
            d_raw: self.d.raw(),
            cid: self.cid,
        };
        self.seq += 1;
        self.dirty = false;
        self.s.reset_window();
        self.d.reset_window();
        r
    }
}

fn icmp_state(proto: u8, t: u8, code: u8, prev: &'static str) -> &'static str {
    if is_echo(proto, t) {
        return if prev.is_empty() || prev == "ECO" { "ECO" } else { prev };
    }
    match (proto, t) {
        (1, 3) => match code {
            0 => "URN",
            1 => "URH",
            2 => "URPRE",
            3 => "URP",
            4 => "URFRAG",
            9 | 10 | 13 => "URHPRO",
            _ => "UR",
        },
        (58, 1) => match code {
            4 => "URP",
            3 => "URH",
            _ => "UR",
        },
        (1, 11) | (58, 3) => "TXD",
        (1, 5) | (58, 137) => "RED",
        (1, 4) => "SRQ",
        (1, 13) | (1, 14) => "TST",
        (1, 9) | (1, 10) | (58, 133) | (58, 134) => "RTA",
        (58, 135) | (58, 136) => "NDS",
        (58, 2) => "PTB",
        _ => "INT",
    }
}
