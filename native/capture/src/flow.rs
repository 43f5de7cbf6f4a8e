//! The flow table: bidirectional flows with Argus semantics. A flow's source
//! is its initiator; every record's counters are deltas since the flow's
//! previous record; status records every `status_interval`, a final record on
//! TCP close, idle timeout, eviction or end of input.

use crate::decode::{Pkt, L3, F_ETHER, F_FRAG, F_MPLS, F_PPPOE, F_VLAN};
use crate::metrics::{Dir, TcpState};
use crate::index::Index;
use crate::record::{Addr, Rec, TcpPart};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small fast hasher (the Fx multiply-rotate): flow keys are not attacker
/// chosen hash-flooding material worth SipHash's cost on the hot path, and the
/// table is bounded by max_flows anyway.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);
impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.write_u64(v as u64)
    }
    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.write_u64(v as u64)
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64)
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Canonical bidirectional flow key: side `a` sorts before side `b`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub a: [u8; 16],
    pub b: [u8; 16],
    pub pa: u16,
    pub pb: u16,
    /// ICMP echo id or type/code, ESP SPI, ethertype for link-layer flows.
    pub extra: u32,
    pub proto: u8,
    /// 4, 6, 1 (ARP), 2 (link layer, addresses are MACs).
    pub fam: u8,
}

impl Key {
    /// The hash the flow's uid is made from: six FxHasher words, as the
    /// table's hash used to be (uids must not change with the table's hash).
    fn uid_hash(&self, h: &mut FxHasher) {
        let w = |b: &[u8; 16], i: usize| u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
        h.write_u64(w(&self.a, 0));
        h.write_u64(w(&self.a, 8));
        h.write_u64(w(&self.b, 0));
        h.write_u64(w(&self.b, 8));
        h.write_u64((self.pa as u64) << 48 | (self.pb as u64) << 32 | self.extra as u64);
        h.write_u64((self.proto as u64) << 8 | self.fam as u64);
    }
}

/// 64x64 to 128-bit multiply, folded: every input bit reaches every output bit.
#[inline(always)]
fn fold_mul(x: u64, y: u64) -> u64 {
    let m = (x as u128) * (y as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

impl Key {
    /// The index's hash: two folded multiplies over the key's words (this
    /// runs for every packet).
    #[inline(always)]
    pub fn hash64(&self) -> u64 {
        let w = |b: &[u8; 16], i: usize| u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
        let ports = (self.pa as u64) << 48 | (self.pb as u64) << 32 | self.extra as u64;
        let x = w(&self.a, 0) ^ w(&self.b, 8).rotate_left(32) ^ 0x243f_6a88_85a3_08d3;
        let y = w(&self.b, 0).rotate_left(32) ^ w(&self.a, 8) ^ 0x1319_8a2e_0370_7344;
        let z = fold_mul(x, y) ^ ports;
        fold_mul(z ^ 0xa409_3822_299f_31d0, ((self.proto as u64) << 8 | self.fam as u64) ^ 0x082e_fa98_ec4e_6c89)
    }
}

pub struct Config {
    pub sid: String,
    pub status_interval_us: i64,
    pub tcp_timeout_us: i64,
    pub udp_timeout_us: i64,
    pub icmp_timeout_us: i64,
    pub other_timeout_us: i64,
    pub max_flows: usize,
}

/// Asks the processor to start loading every cache line of `x`. Changes
/// nothing the program sees; elsewhere than x86-64 it does nothing at all.
#[inline(always)]
pub fn prefetch<T>(x: &T) {
    let (p, len) = (x as *const T as *const u8, std::mem::size_of::<T>());
    let mut off = 0;
    while off < len + 63 {
        // The last line is the one holding the last byte.
        prefetch_line(p.wrapping_add(off.min(len.saturating_sub(1))));
        off += 64;
    }
}

#[inline(always)]
fn prefetch_line(p: *const u8) {
    // The one unsafe call outside the Node binding (STYLE.md asks for none):
    // the intrinsic takes a raw pointer. It is sound for any address, since a
    // prefetch never faults and writes nothing; the gain is in the README.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it reads nothing into the program and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// What the table needs of a packet before it meters it: its flow key, which
/// side sent it, and the key's hash. Made as a chunk of packets is filled
/// (on the reader's thread when there are two) so that the flow's memory can
/// be loaded before its turn.
#[derive(Default, Clone, Copy)]
pub struct Pre {
    key: Key,
    fwd: bool,
    h: u64,
}

impl Pre {
    #[inline(always)]
    pub fn of(p: &Pkt) -> Pre {
        let (key, fwd) = FlowTable::key_of(p);
        Pre { key, fwd, h: key.hash64() }
    }
}

/// Flows whose memory is loaded together by `FlowTable::warm`.
const WARM: usize = 16;

/// After a TCP close (both FINs, or a reset) the flow stays this long to
/// collect the last ACK and retransmitted FINs or RSTs, as Argus does.
const CLOSED_LINGER_US: i64 = 5_000_000;

#[repr(C)]
pub struct Flow {
    // Read or written by every packet, next to the key.
    pub last_ts: i64,
    pub rec_start: i64,
    pub rec_last: i64,
    pub mpls: Option<u32>,
    pub flags: u16,
    pub vlan: Option<u16>,
    pub src_is_a: bool,
    pub dirty: bool,
    pub syn_seen: bool,
    /// The TCP close (both FINs, or a reset) was seen, at `closed_at`. A flag
    /// and a time rather than an Option<i64>: eight bytes less per flow.
    pub closed: bool,
    pub certain: bool,
    pub icmp_state: &'static str,
    pub tcp: TcpState,
    pub s: Dir,
    pub d: Dir,
    // Read when a record is made.
    pub closed_at: i64,
    pub first_ts: i64,
    pub uid: [u64; 2],
    pub seq: u32,
    /// What the Community ID is made of (IP flows).
    pub cid: Option<crate::cid::CidInput>,
}

#[derive(Default, Debug, Clone, Copy)]
pub struct TableStats {
    pub flows_created: u64,
    pub flows_evicted: u64,
    pub records: u64,
}

pub struct FlowTable {
    pub cfg: Config,
    /// Key to slot in `slab`. Flows live in a slab whose free slots are
    /// reused, so memory follows the peak number of live flows rather than
    /// the hash table's capacity times the (large) flow size.
    index: Index,
    slab: Vec<Option<(Key, Flow)>>,
    /// Per slot, when the sweep next looks at the flow (see `Timer`).
    timers: Vec<Timer>,
    free: Vec<u32>,
    frags: FxMap<(u8, [u8; 16], [u8; 16], u32), (Key, bool)>,
    pub out: Vec<Rec>,
    next_sweep: i64,
    pub stats: TableStats,
    sid_hash: u64,
    /// Slots the sweep must read, kept for reuse.
    due: Vec<u32>,
    /// Tests: the sweep reads every flow whose `at` is due, as it did before
    /// clean flows and closes were scheduled without reading the flow.
    #[cfg(test)]
    read_every_due_flow: bool,
}

/// When the sweep next looks at a flow: `at`, a time no later than its next
/// status record or end (packets only move those later, except a close, which
/// sets its end). A clean flow (nothing since its last record) has a fixed
/// end until its next packet, `clean_limit`; until then the sweep reschedules
/// it without reading the (large, cold) flow. `i64::MIN`: not clean.
#[derive(Clone, Copy)]
struct Timer {
    at: i64,
    clean_limit: i64,
}

impl Timer {
    fn new(at: i64) -> Timer {
        Timer { at, clean_limit: i64::MIN }
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

impl FlowTable {
    pub fn new(cfg: Config) -> FlowTable {
        let mut h = FxHasher(0x9e3779b97f4a7c15);
        h.write(cfg.sid.as_bytes());
        let sid_hash = h.finish();
        FlowTable {
            cfg,
            index: Index::default(),
            slab: Vec::new(),
            timers: Vec::new(),
            free: Vec::new(),
            frags: FxMap::default(),
            out: Vec::new(),
            next_sweep: i64::MIN,
            stats: TableStats::default(),
            sid_hash,
            due: Vec::new(),
            #[cfg(test)]
            read_every_due_flow: false,
        }
    }

    #[inline(always)]
    pub(crate) fn key_of(p: &Pkt) -> (Key, bool) {
        // Copies of constant length: a run-time length would be a call to memcpy.
        let pad = |x: &[u8]| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&x[..4]);
            b
        };
        let mac = |x: &[u8; 6]| {
            let mut b = [0u8; 16];
            b[..6].copy_from_slice(x);
            b
        };
        let (fam, sa, da) = match p.l3 {
            L3::Ip4 => (4u8, pad(&p.src), pad(&p.dst)),
            L3::Ip6 => (6, p.src, p.dst),
            L3::Arp => (1, pad(&p.src), pad(&p.dst)),
            L3::Other(_) => (2, mac(&p.smac), mac(&p.dmac)),
        };
        let (mut sp, mut dp, mut extra) = (0u16, 0u16, 0u32);
        match p.l3 {
            L3::Other(et) => extra = et as u32,
            L3::Arp => {}
            _ => match p.proto {
                1 | 58 => {
                    // ICMP echo is keyed by (addresses, echo id): one flow per
                    // ping session. Argus makes one flow per request; a session
                    // is what an analyst asks about, so we differ on purpose.
                    extra = if is_echo(p.proto, p.icmp_type) {
                        0x1_0000 | p.icmp_id as u32
                    } else {
                        // Request and reply types (router, neighbour, timestamp, ...) share one flow.
                        0x2_0000 | (icmp_pair_class(p.proto, p.icmp_type) as u32) << 8
                    }
                }
                50 => extra = p.spi,
                _ if p.has_ports => {
                    sp = p.sport;
                    dp = p.dport;
                }
                _ => {}
            },
        }
        let proto = if fam == 2 || fam == 1 { 0 } else { p.proto };
        // Byte-wise order of the addresses, then the ports.
        let fwd = (u128::from_be_bytes(sa), sp) <= (u128::from_be_bytes(da), dp);
        let key = if fwd {
            Key { a: sa, b: da, pa: sp, pb: dp, extra, proto, fam }
        } else {
            Key { a: da, b: sa, pa: dp, pb: sp, extra, proto, fam }
        };
        (key, fwd)
    }

    /// Meters one decoded packet at time `ts` (microseconds).
    #[inline(always)]
    pub fn packet(&mut self, ts: i64, p: &Pkt) {
        self.packet_pre(ts, p, Pre::of(p))
    }

    /// Starts loading the index bucket a packet with this `Pre` will look
    /// up: a step ahead of `prefetch_flow` for the same packet.
    #[inline(always)]
    pub fn prefetch_bucket(&self, pre: &Pre) {
        self.index.prefetch(pre.h);
    }

    /// Starts loading the flow (and its timer) a packet with this `Pre`
    /// will update, when its index bucket says where it is. Changes nothing.
    #[inline(always)]
    pub fn prefetch_flow(&self, pre: &Pre) {
        let Some(i) = self.index.likely_slot(pre.h) else { return };
        let Some(slot) = self.slab.get(i as usize) else { return };
        prefetch(slot);
        if let Some(t) = self.timers.get(i as usize) {
            prefetch(t);
        }
    }

    /// `packet`, with the packet's `Pre` made beforehand.
    #[inline(always)]
    pub fn packet_pre(&mut self, ts: i64, p: &Pkt, pre: Pre) {
        self.tick(ts);
        let Pre { mut key, mut fwd, mut h } = pre;
        if let Some((id, first, more)) = p.frag {
            let fk = (key.fam, p.src, p.dst, id ^ ((p.proto as u32) << 24));
            if !first {
                // Later fragments carry no transport header: count them to the
                // flow their first fragment opened, when it was seen.
                match self.frags.get(&fk) {
                    Some(&(k, f)) => {
                        key = k;
                        fwd = f;
                        h = k.hash64();
                        if !more {
                            self.frags.remove(&fk);
                        }
                    }
                    None if key.fam == 4 || key.fam == 6 => {}
                    None => {}
                }
            } else if more {
                if self.frags.len() >= 65_536 {
                    self.frags.clear();
                }
                self.frags.insert(fk, (key, fwd));
            }
        }
        let slab = &self.slab;
        let mut found = self.index.find(h, |s| matches!(&slab[s as usize], Some((k, _)) if *k == key));
        // A new SYN on a closed TCP flow starts a new flow (port reuse).
        if let Some(i) = found {
            if p.proto == 6 && p.tcp_flags & 0x12 == 0x02 && matches!(&self.slab[i as usize], Some((_, f)) if f.closed) {
                self.finish(i);
                found = None;
            }
        }
        let i = match found {
            Some(i) => i,
            None => self.insert(key, h, fwd, ts, p),
        };
        let unread = !self.reads_every_due_flow();
        let Some((_, f)) = self.slab[i as usize].as_mut() else { return };
        let from_src = fwd == f.src_is_a;
        if !f.dirty {
            // A packet: the flow is no longer clean, the sweep must read it.
            self.timers[i as usize].clean_limit = i64::MIN;
        }
        let was_closed = f.closed;
        f.update(ts, p, from_src);
        if f.closed && !was_closed && unread {
            // Closed: its one remaining event is its end, CLOSED_LINGER_US
            // after the close (a look before that would do nothing).
            let t = &mut self.timers[i as usize];
            t.at = t.at.max(f.closed_at + CLOSED_LINGER_US);
        }
    }

    /// A new flow for this packet; returns its slot.
    #[inline(never)]
    fn insert(&mut self, key: Key, h: u64, fwd: bool, ts: i64, p: &Pkt) -> u32 {
        if self.index.len() >= self.cfg.max_flows {
            self.evict();
        }
        let f = self.new_flow(&key, fwd, ts, p);
        self.stats.flows_created += 1;
        let first_check = ts + self.first_check(&key);
        let i = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some((key, f));
                self.timers[i as usize] = Timer::new(first_check);
                i
            }
            None => {
                self.slab.push(Some((key, f)));
                self.timers.push(Timer::new(first_check));
                (self.slab.len() - 1) as u32
            }
        };
        let slab = &self.slab;
        self.index.insert(h, i, |s| slab[s as usize].as_ref().map_or(0, |(k, _)| k.hash64()));
        i
    }

    fn new_flow(&self, key: &Key, fwd: bool, ts: i64, p: &Pkt) -> Flow {
        let (sender_is_src, certain) = initiator(p);
        // `fwd`: the packet's sender is side a.
        let src_is_a = fwd == sender_is_src;
        let mut h = FxHasher(self.sid_hash);
        key.uid_hash(&mut h);
        h.write_u64(ts as u64);
        let x = h.finish();
        let cid = match key.fam {
            4 | 6 => {
                let (sport, dport) = if p.proto == 1 || p.proto == 58 {
                    (p.icmp_type as u16, p.icmp_code as u16)
                } else {
                    (p.sport, p.dport)
                };
                let has_ports = p.has_ports && matches!(p.proto, 6 | 17 | 132);
                // The packet's addresses are the key's (side a is its sender when `fwd`).
                Some(crate::cid::CidInput { sport, dport, has_ports, sender_is_src })
            }
            _ => None,
        };
        Flow {
            src_is_a,
            certain,
            syn_seen: false,
            uid: [mix(x), mix(x ^ 0x5555_5555_5555_5555)],
            seq: 0,
            first_ts: ts,
            rec_start: ts,
            rec_last: ts,
            last_ts: ts,
            dirty: false,
            s: Dir::default(),
            d: Dir::default(),
            tcp: TcpState::default(),
            flags: 0,
            vlan: p.vlan,
            mpls: p.mpls,
            icmp_state: "",
            closed: false,
            closed_at: 0,
            cid,
        }
    }

    /// Advances the clock: once a second of capture time, final records for
    /// idle flows and status records for flows due one.
    #[inline]
    pub fn tick(&mut self, now: i64) {
        if now >= self.next_sweep {
            self.sweep(now);
        }
    }

    #[inline(never)]
    fn sweep(&mut self, now: i64) {
        self.next_sweep = now - now.rem_euclid(1_000_000) + 1_000_000;
        let interval = self.cfg.status_interval_us;
        // A clean flow becomes due for status no sooner than `interval` from its next packet, which is after now.
        let next_clean = if interval > 0 { now + interval } else { i64::MAX };
        let unread = !self.reads_every_due_flow();
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        for (i, t) in self.timers.iter_mut().enumerate() {
            if now < t.at {
                continue;
            }
            if now < t.clean_limit && unread {
                // Clean and not at its end: what reading the flow would
                // decide, without reading it.
                t.at = t.clean_limit.min(next_clean);
                continue;
            }
            due.push(i as u32);
        }
        let mut done = Vec::new();
        for group in due.chunks(WARM) {
            self.warm(group, false);
            for &i in group {
                self.look(i as usize, now, next_clean, &mut done);
            }
        }
        self.due = due;
        self.finish_many(&done);
    }

    /// The sweep's look at the flow in slot `i`: its final record if it has
    /// ended (queued in `done`), else a status record if one is due, and when
    /// to look next.
    #[inline(always)]
    fn look(&mut self, i: usize, now: i64, next_clean: i64, done: &mut Vec<u32>) {
        let interval = self.cfg.status_interval_us;
        let t = &mut self.timers[i];
        let Some((k, f)) = self.slab[i].as_mut() else {
            t.at = i64::MAX;
            return;
        };
        let limit = if f.closed { f.closed_at + CLOSED_LINGER_US } else { f.last_ts + timeout_for(&self.cfg, k) };
        if now >= limit {
            done.push(i as u32);
            return;
        }
        let status_due = interval > 0 && f.dirty && !f.closed;
        if status_due && now - f.rec_start >= interval {
            let r = f.record(k, false);
            self.out.push(r);
            self.stats.records += 1;
        }
        // A record leaves the flow clean; still dirty, it made none and `status_due` stands.
        if f.dirty {
            t.at = if status_due { limit.min(f.rec_start + interval) } else { limit };
        } else {
            t.at = limit.min(next_clean);
            // Until its next packet the flow's end stays `limit`.
            t.clean_limit = limit;
        }
    }

    /// Final records for the flows in `slots` (empty slots skipped), in that order.
    fn finish_many(&mut self, slots: &[u32]) {
        for group in slots.chunks(WARM) {
            self.warm(group, true);
            for &i in group {
                self.finish(i);
            }
        }
    }

    /// Starts loading every cache line of the flows in `slots` (and, with
    /// `bucket`, their index buckets) before they are used, all at once: the
    /// misses of a group overlap instead of each flow waiting for memory
    /// alone in turn. Changes nothing.
    fn warm(&self, slots: &[u32], bucket: bool) {
        for &i in slots {
            if let Some(slot) = self.slab.get(i as usize) {
                prefetch(slot);
            }
        }
        if bucket {
            // The bucket depends on the key, so this waits for the first flow
            // loaded above, while the rest of the group is still arriving.
            for &i in slots {
                if let Some(Some((k, _))) = self.slab.get(i as usize) {
                    self.index.prefetch(k.hash64());
                }
            }
        }
    }

    #[inline(always)]
    fn reads_every_due_flow(&self) -> bool {
        #[cfg(test)]
        return self.read_every_due_flow;
        #[cfg(not(test))]
        false
    }

    fn first_check(&self, k: &Key) -> i64 {
        let t = timeout_for(&self.cfg, k);
        if self.cfg.status_interval_us > 0 {
            t.min(self.cfg.status_interval_us)
        } else {
            t
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    fn finish(&mut self, i: u32) {
        // The record is made in place; moving the large flow out first costs a copy.
        let Some(slot) = self.slab.get_mut(i as usize) else { return };
        if let Some((k, f)) = slot.as_mut() {
            let r = f.record(k, true);
            self.index.remove(k.hash64(), i);
            *slot = None;
            self.free.push(i);
            self.timers[i as usize] = Timer::new(i64::MAX);
            self.out.push(r);
            self.stats.records += 1;
        }
    }

    /// The table is full: finalise the oldest-idle eighth of it early.
    fn evict(&mut self) {
        let n = (self.index.len() / 8).max(1);
        let mut ages: Vec<i64> = self.slab.iter().flatten().map(|(_, f)| f.last_ts).collect();
        let (_, nth, _) = ages.select_nth_unstable(n - 1);
        let cut = *nth;
        let victims: Vec<u32> = (0..self.slab.len() as u32)
            .filter(|&i| matches!(&self.slab[i as usize], Some((_, f)) if f.last_ts <= cut))
            .take(n)
            .collect();
        for i in victims {
            self.finish(i);
            self.stats.flows_evicted += 1;
        }
    }

    /// End of input: every flow gets its final record, oldest first.
    pub fn flush_all(&mut self) {
        for chunk in self.end_order() {
            self.finish_many(&chunk);
        }
    }

    /// Slots of the live flows, oldest first, in chunks: the caller finalises
    /// a chunk and hands its records on before the next, so the records of a
    /// large table never sit in memory all at once.
    pub fn end_order(&self) -> Vec<Vec<u32>> {
        let mut order: Vec<(i64, u32)> =
            self.slab.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|(_, f)| (f.first_ts, i as u32))).collect();
        order.sort_unstable();
        order.chunks(4096).map(|c| c.iter().map(|x| x.1).collect()).collect()
    }

    /// Finalises the flows in `slots` (empty slots skipped), in that order,
    /// their records going to `out`.
    pub fn finish_slots(&mut self, slots: &[u32]) {
        self.finish_many(slots);
    }
}

fn timeout_for(cfg: &Config, k: &Key) -> i64 {
    match (k.fam, k.proto) {
        (4 | 6, 6) => cfg.tcp_timeout_us,
        (4 | 6, 17) => cfg.udp_timeout_us,
        (4 | 6, 1 | 58) => cfg.icmp_timeout_us,
        _ => cfg.other_timeout_us,
    }
}

fn icmp_pair_class(proto: u8, t: u8) -> u8 {
    match (proto, t) {
        (1, 14) => 13,
        (1, 16) => 15,
        (1, 18) => 17,
        (1, 9) => 10,
        (58, 131) => 130,
        (58, 134) => 133,
        (58, 136) => 135,
        (58, 145) => 144,
        _ => t,
    }
}

pub fn is_echo(proto: u8, t: u8) -> bool {
    (proto == 1 && (t == 8 || t == 0)) || (proto == 58 && (t == 128 || t == 129))
}

fn is_service_port(p: u16) -> bool {
    p < 1024 || matches!(p, 1433 | 1521 | 3306 | 3389 | 5060 | 5432 | 6379 | 8000 | 8080 | 8443 | 9092 | 27017)
}

/// Who started the flow, judged from its first packet: (the sender is the
/// source, the sensor is sure).
fn initiator(p: &Pkt) -> (bool, bool) {
    match p.l3 {
        L3::Arp => (p.arp_op != 2, p.arp_op == 1),
        L3::Other(_) => (true, true),
        _ => match p.proto {
            6 if p.has_ports => {
                let f = p.tcp_flags;
                if f & 0x12 == 0x02 {
                    (true, true)
                } else if f & 0x12 == 0x12 {
                    (false, true)
                } else {
                    (!port_says_server(p.sport, p.dport), false)
                }
            }
            17 | 132 | 136 if p.has_ports => {
                if port_says_server(p.sport, p.dport) {
                    (false, false)
                } else {
                    (true, true)
                }
            }
            1 => match p.icmp_type {
                0 | 14 | 16 | 18 => (false, false),
                _ => (true, true),
            },
            58 => match p.icmp_type {
                129 | 131 | 134 | 136 => (false, false),
                _ => (true, true),
            },
            _ => (true, true),
        },
    }
}

/// The sender's port looks like a service and the receiver's like a client's.
fn port_says_server(sport: u16, dport: u16) -> bool {
    let (s, d) = (is_service_port(sport), is_service_port(dport));
    (s && !d) || (s && d && sport < dport)
}

pub fn flow_flags(f: &Flow) -> [u8; 8] {
    let mut out = [0u8; 8];
    let mut i = 0;
    let mut push = |c: u8| {
        if i < 8 {
            out[i] = c;
            i += 1;
        }
    };
    for (bit, c) in [(F_ETHER, b'e'), (F_VLAN, b'q'), (F_MPLS, b'm'), (F_PPPOE, b'p'), (F_FRAG, b'f')] {
        if f.flags & bit != 0 {
            push(c);
        }
    }
    if f.s.retrans_total > 0 || f.d.retrans_total > 0 {
        push(b'*');
    }
    if f.s.oo_total > 0 || f.d.oo_total > 0 {
        push(b'i');
    }
    out
}

pub fn addr_of(k: &Key, side_a: bool) -> Addr {
    let x = if side_a { &k.a } else { &k.b };
    match k.fam {
        4 | 1 => Addr::V4([x[0], x[1], x[2], x[3]]),
        6 => Addr::V6(*x),
        _ => Addr::Mac([x[0], x[1], x[2], x[3], x[4], x[5]]),
    }
}

pub fn tcp_part(f: &Flow) -> TcpPart {
    TcpPart {
        stcpflgs: f.s.tcp_flags,
        dtcpflgs: f.d.tcp_flags,
        swin: f.s.win,
        dwin: f.d.win,
        synack: f.tcp.synack,
        ackdat: f.tcp.ackdat,
        sloss: f.s.loss as u64,
        dloss: f.d.loss as u64,
        sretrans: f.s.retrans as u64,
        dretrans: f.d.retrans as u64,
        soo: f.s.oo as u64,
        doo: f.d.oo as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    fn table(max_flows: usize) -> FlowTable {
        FlowTable::new(Config {
            sid: "t".into(),
            status_interval_us: 5_000_000,
            tcp_timeout_us: 60_000_000,
            udp_timeout_us: 30_000_000,
            icmp_timeout_us: 5_000_000,
            other_timeout_us: 30_000_000,
            max_flows,
        })
    }

    fn syn(i: u32) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        let src = (0x0a00_0000u32 | i).to_be_bytes();
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&[192, 0, 2, 1]);
        f.extend_from_slice(&[0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        f
    }

    #[test]
    fn a_scan_stays_within_max_flows_and_loses_nothing() {
        let mut t = table(1000);
        let n = 50_000u32;
        for i in 0..n {
            let f = syn(i);
            let p = decode(1, &f, f.len() as u32).unwrap();
            t.packet(1_700_000_000_000_000 + i as i64, &p);
            assert!(t.len() <= 1000);
        }
        t.flush_all();
        assert!(t.stats.flows_evicted >= (n - 1000) as u64);
        let finals = t.out.iter().filter(|r| r.is_final).count();
        assert_eq!(finals, n as usize);
        assert_eq!(t.out.iter().map(|r| r.spkts).sum::<u64>(), n as u64);
        assert!(t.out.iter().all(|r| r.state == "REQ" && r.dir == "->"));
    }

    /// An Ethernet/IPv4 frame from 10.0.0.`host` to 192.0.2.1: TCP with
    /// `flags` (and sequence number `seq`), or UDP when `flags` is None.
    fn frame(host: u8, sport: u16, flags: Option<u8>, seq: u32) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        let proto = if flags.is_some() { 6 } else { 17 };
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, host, 192, 0, 2, 1]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&[0, 80]);
        match flags {
            Some(fl) => {
                f.extend_from_slice(&seq.to_be_bytes());
                f.extend_from_slice(&[0, 0, 0, 0, 0x50, fl, 0xff, 0xff, 0, 0, 0, 0]);
            }
            None => f.extend_from_slice(&[0, 8, 0, 0]),
        }
        f
    }

    #[test]
    fn unread_clean_flows_and_closes_give_the_records_of_reading_every_due_flow() {
        // Random traffic on a few dozen flows, with idle gaps, closes, resets,
        // port reuse and times that sometimes run backwards: every record,
        // in order, as when the sweep reads every due flow.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for round in 0..40 {
            let mut packets = Vec::new();
            let mut ts = 1_700_000_000_000_000i64;
            for _ in 0..3000 {
                ts += match rnd(20) {
                    0 => 20_000_000 + rnd(40_000_000) as i64,
                    1 => -(rnd(8_000_000) as i64),
                    2..=5 => rnd(3_000_000) as i64,
                    _ => rnd(200_000) as i64,
                };
                let flags = match rnd(12) {
                    0 => None,
                    1 => Some(0x02),
                    2 => Some(0x12),
                    3 => Some(0x11),
                    4 => Some(0x04),
                    _ => Some(0x10),
                };
                let host = rnd(6) as u8 + 1;
                let seq = rnd(4) as u32 * 1000;
                packets.push((ts, frame(host, 1024 + rnd(5) as u16, flags, seq)));
            }
            let run = |read_every: bool, interval: i64| {
                let mut t = FlowTable::new(Config {
                    sid: "t".into(),
                    status_interval_us: interval,
                    tcp_timeout_us: 20_000_000,
                    udp_timeout_us: 9_000_000,
                    icmp_timeout_us: 5_000_000,
                    other_timeout_us: 30_000_000,
                    max_flows: 20,
                });
                t.read_every_due_flow = read_every;
                let mut text = Vec::new();
                for (ts, f) in &packets {
                    let p = decode(1, f, f.len() as u32).unwrap();
                    t.packet(*ts, &p);
                    for r in t.out.drain(..) {
                        crate::record::write_json(&mut text, &r, "t");
                        text.push(b'\n');
                    }
                }
                t.flush_all();
                for r in t.out.drain(..) {
                    crate::record::write_json(&mut text, &r, "t");
                    text.push(b'\n');
                }
                String::from_utf8(text).unwrap()
            };
            let interval = [5_000_000, 1_000_000, 0, 2_500_000][round % 4];
            let (fast, every) = (run(false, interval), run(true, interval));
            assert!(fast.lines().count() > 100, "round {round}: only {} records", fast.lines().count());
            assert!(fast == every, "round {round} (interval {interval}): the records differ");
        }
    }

    #[test]
    fn a_records_community_id_is_the_one_of_its_first_packet() {
        // IPv4 frames from 10.0.0.9 to 192.0.2.1 (or back): `proto` and its header.
        let v4 = |back: bool, proto: u8, l4: &[u8]| {
            let (a, b) = ([10, 0, 0, 9], [192, 0, 2, 1]);
            let (s, d) = if back { (b, a) } else { (a, b) };
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
            f.extend_from_slice(&[0x45, 0, 0, 20 + l4.len() as u8, 0, 0, 0x40, 0, 64, proto, 0, 0]);
            f.extend_from_slice(&s);
            f.extend_from_slice(&d);
            f.extend_from_slice(l4);
            f
        };
        let tcp = |sp: u16, dp: u16, flags: u8| {
            let mut t = sp.to_be_bytes().to_vec();
            t.extend_from_slice(&dp.to_be_bytes());
            t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
            t
        };
        let mut v6 = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64];
        v6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99]);
        v6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);
        v6.extend_from_slice(&tcp(443, 50000, 0x12));
        let frames = [
            v4(false, 6, &tcp(50000, 443, 0x02)),
            v4(true, 6, &tcp(443, 50000, 0x12)),
            v4(true, 6, &tcp(443, 50000, 0x10)),
            v4(false, 17, &[0x04, 0x00, 0, 53, 0, 8, 0, 0]),
            v4(true, 17, &[0, 53, 0x04, 0x00, 0, 8, 0, 0]),
            v4(false, 1, &[8, 0, 0, 0, 0, 7, 0, 1]),
            v4(true, 1, &[0, 0, 0, 0, 0, 7, 0, 1]),
            v4(true, 1, &[3, 3, 0, 0, 0, 0, 0, 0]),
            v4(false, 1, &[11, 0, 0, 0, 0, 0, 0, 0]),
            v4(false, 47, &[0, 0, 0x08, 0x00]),
            v6,
        ];
        for f in &frames {
            let p = decode(1, f, f.len() as u32).unwrap();
            let mut t = table(10);
            t.packet(1_000_000, &p);
            t.flush_all();
            let n = if p.l3 == L3::Ip6 { 16 } else { 4 };
            let (sp, dp) = if p.proto == 1 || p.proto == 58 { (p.icmp_type as u16, p.icmp_code as u16) } else { (p.sport, p.dport) };
            let want = crate::cid::community_id(n, &p.src, &p.dst, p.proto, sp, dp, p.has_ports && matches!(p.proto, 6 | 17 | 132));
            assert_eq!(t.out.len(), 1);
            assert_eq!(t.out[0].community_id(), Some(want), "{f:02x?}");
        }
    }

    #[test]
    fn status_records_carry_deltas_and_idle_flows_end() {
        let mut t = table(100);
        let f = syn(1);
        let p = decode(1, &f, f.len() as u32).unwrap();
        // One packet a second for 12 s, then silence past the TCP timeout.
        for s in 0..12 {
            t.packet(s * 1_000_000, &p);
        }
        t.tick(100_000_000);
        let recs: Vec<_> = t.out.drain(..).collect();
        assert_eq!(recs.iter().map(|r| r.spkts).sum::<u64>(), 12);
        assert!(recs.len() >= 3);
        assert_eq!(recs.iter().map(|r| r.seq).collect::<Vec<_>>(), (0..recs.len() as u32).collect::<Vec<_>>());
        assert!(recs.last().unwrap().is_final && recs[..recs.len() - 1].iter().all(|r| !r.is_final));
        assert_eq!(t.len(), 0);
    }
}

