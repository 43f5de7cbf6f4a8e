//! Streaming reader for classic pcap and pcapng files.
//!
//! The reader owns one growing buffer and hands out packets that borrow from
//! it, so reading costs one copy from the kernel and no allocation per packet.
//! Every length read from the file is checked against the bytes actually
//! present and against sane maxima before it is used; a file that ends in the
//! middle of a record, or whose structure is corrupt, yields an error naming
//! the byte offset where the bad record starts.

use std::fmt;
use std::io::Read;

/// Largest captured packet accepted. tcpdump's own maximum snaplen is 256 KiB;
/// anything much larger is a corrupt length field, not a packet.
const MAX_CAPLEN: usize = 1 << 20;
/// Largest pcapng block accepted (same reasoning).
const MAX_BLOCK: usize = 16 << 20;
const BUF_SIZE: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub offset: u64,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte offset {}", self.message, self.offset)
    }
}

fn err<T>(offset: u64, message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError { offset, message: message.into() })
}

/// One packet as read from the file; `data` borrows the reader's buffer.
#[derive(Debug)]
pub struct Packet<'a> {
    /// Capture time, microseconds since the epoch.
    pub ts_us: i64,
    pub linktype: u32,
    /// Length on the wire (may exceed `data.len()` when the snaplen cut it).
    pub orig_len: u32,
    pub data: &'a [u8],
}

#[derive(Clone, Copy)]
enum TsUnit {
    /// Units per second as a power of ten (6 = microseconds).
    Dec(u32),
    /// Units per second as a power of two.
    Bin(u32),
}

impl TsUnit {
    fn to_us(self, v: u64) -> i64 {
        match self {
            TsUnit::Dec(6) => v as i64,
            TsUnit::Dec(k) if k > 6 => (v / 10u64.saturating_pow(k - 6)) as i64,
            TsUnit::Dec(k) => (v as i128 * 10i128.pow(6 - k)).min(i64::MAX as i128) as i64,
            TsUnit::Bin(k) => ((v as u128 * 1_000_000u128) >> k.min(127)) as i64,
        }
    }
}

#[derive(Clone, Copy)]
struct Iface {
    linktype: u32,
    unit: TsUnit,
    offset_s: i64,
}

enum Format {
    Pcap { big: bool, nanos: bool, linktype: u32 },
    Pcapng { big: bool, ifaces: Vec<Iface> },
}

pub struct PcapReader<R: Read> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    format: Format,
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header and detects the format.
    pub fn new(src: R) -> Result<Self, ReadError> {
        let mut r = PcapReader {
            src,
            buf: vec![0u8; BUF_SIZE],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            format: Format::Pcap { big: false, nanos: false, linktype: 1 },
        };
        r.fill(4)?;
        if r.end < 4 {
            return err(0, "not a pcap or pcapng file: shorter than a file header");
        }
        let magic = [r.buf[0], r.buf[1], r.buf[2], r.buf[3]];
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => r.pcap_header(false, false)?,
            [0xa1, 0xb2, 0xc3, 0xd4] => r.pcap_header(true, false)?,
            [0x4d, 0x3c, 0xb2, 0xa1] => r.pcap_header(false, true)?,
            [0xa1, 0xb2, 0x3c, 0x4d] => r.pcap_header(true, true)?,
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                r.format = Format::Pcapng { big: false, ifaces: Vec::new() };
            }
            _ => return err(0, "not a pcap or pcapng file: unknown magic number"),
        }
        Ok(r)
    }

    /// Offset of the next unread byte, for progress and error reports.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Link type of a classic pcap file (pcapng files carry one per interface).
    pub fn linktype(&self) -> Option<u32> {
        match &self.format {
            Format::Pcap { linktype, .. } => Some(*linktype),
            Format::Pcapng { ifaces, .. } => ifaces.first().map(|i| i.linktype),
        }
    }

    fn pcap_header(&mut self, big: bool, nanos: bool) -> Result<(), ReadError> {
        self.fill(24)?;
        if self.end - self.pos < 24 {
            return err(0, "truncated pcap file header");
        }
        let h = &self.buf[self.pos..self.pos + 24];
        let linktype = rd32(big, &h[20..24]) & 0x0fff_ffff;
        self.pos += 24;
        self.format = Format::Pcap { big, nanos, linktype };
        Ok(())
    }

    /// Makes at least `n` bytes available from `pos`, unless the file ends first.
    fn fill(&mut self, n: usize) -> Result<(), ReadError> {
        if self.end - self.pos >= n || self.eof {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() < n {
            self.buf.resize(n.next_power_of_two(), 0);
        }
        while self.end < n && !self.eof {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return err(self.offset() + (self.end - self.pos) as u64, format!("read error: {e}")),
            }
        }
        Ok(())
    }

    /// The next packet, `None` at a clean end of file.
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        if matches!(self.format, Format::Pcap { .. }) {
            return self.next_pcap();
        }
        self.next_pcapng()
    }

    #[inline]
    fn next_pcap(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        let (big, nanos, linktype) = match self.format {
            Format::Pcap { big, nanos, linktype } => (big, nanos, linktype),
            _ => unreachable!(),
        };
        // The usual case, the whole record already buffered, without a call
        // to fill(): this runs once per packet.
        if let Some(h) = self.buf.get(self.pos..self.pos + 16).filter(|_| self.end - self.pos >= 16) {
            let caplen = rd32(big, &h[8..12]) as usize;
            let data_start = self.pos + 16;
            if caplen <= MAX_CAPLEN && self.end - data_start >= caplen {
                let sec = rd32(big, &h[0..4]) as i64;
                let frac = rd32(big, &h[4..8]) as i64;
                let orig = rd32(big, &h[12..16]);
                let us = if nanos { frac / 1000 } else { frac };
                self.pos = data_start + caplen;
                return Ok(Some(Packet {
                    ts_us: sec * 1_000_000 + us,
                    linktype,
                    orig_len: orig.max(caplen as u32),
                    data: &self.buf[data_start..data_start + caplen],
                }));
            }
        }
        self.next_pcap_slow(big, nanos, linktype)
    }

    #[inline(never)]
    fn next_pcap_slow(&mut self, big: bool, nanos: bool, linktype: u32) -> Result<Option<Packet<'_>>, ReadError> {
        self.fill(16)?;
        let avail = self.end - self.pos;
        let start = self.offset();
        if avail == 0 {
            return Ok(None);
        }
        if avail < 16 {
            return err(start, format!("truncated packet record header ({avail} of 16 bytes)"));
        }
        let h = &self.buf[self.pos..self.pos + 16];
        let sec = rd32(big, &h[0..4]) as i64;
        let frac = rd32(big, &h[4..8]) as i64;
        let caplen = rd32(big, &h[8..12]) as usize;
        let orig = rd32(big, &h[12..16]);
        if caplen > MAX_CAPLEN {
            return err(start, format!("corrupt packet record: captured length {caplen} is too large"));
        }
        self.fill(16 + caplen)?;
        let avail = self.end - self.pos;
        if avail < 16 + caplen {
            return err(start, format!("truncated packet record: {} of {caplen} packet bytes present", avail - 16));
        }
        let us = if nanos { frac / 1000 } else { frac };
        let data_start = self.pos + 16;
        self.pos = data_start + caplen;
        Ok(Some(Packet {
            ts_us: sec * 1_000_000 + us,
            linktype,
            orig_len: orig.max(caplen as u32),
            data: &self.buf[data_start..data_start + caplen],
        }))
    }

    fn next_pcapng(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        loop {
            self.fill(12)?;
            let avail = self.end - self.pos;
            let start = self.offset();
            if avail == 0 {
                return Ok(None);
            }
            if avail < 12 {
                return err(start, format!("truncated pcapng block header ({avail} bytes)"));
            }
            let mut big = match &self.format {
                Format::Pcapng { big, .. } => *big,
                _ => unreachable!(),
            };
            let p = self.pos;
            let btype_le = u32::from_le_bytes([self.buf[p], self.buf[p + 1], self.buf[p + 2], self.buf[p + 3]]);
            if btype_le == 0x0A0D0D0A {
                // Section header: its byte-order magic sets the endianness of the section.
                let bom = &self.buf[p + 8..p + 12];
                big = match bom {
                    [0x1a, 0x2b, 0x3c, 0x4d] => true,
                    [0x4d, 0x3c, 0x2b, 0x1a] => false,
                    _ => return err(start, "corrupt pcapng section header: bad byte-order magic"),
                };
            }
            let btype = rd32(big, &self.buf[p..p + 4]);
            let blen = rd32(big, &self.buf[p + 4..p + 8]) as usize;
            if blen < 12 || blen % 4 != 0 || blen > MAX_BLOCK {
                return err(start, format!("corrupt pcapng block: length {blen}"));
            }
            self.fill(blen)?;
            if self.end - self.pos < blen {
                return err(start, format!("truncated pcapng block: {} of {blen} bytes present", self.end - self.pos));
            }
            // fill() may have moved the unread bytes to the front of the buffer.
            let p = self.pos;
            let trailer = rd32(big, &self.buf[p + blen - 4..p + blen]) as usize;
            if trailer != blen {
                return err(start, format!("corrupt pcapng block: trailing length {trailer} differs from {blen}"));
            }
            self.pos += blen;
            let body = p + 8..p + blen - 4;
            match btype {
                0x0A0D0D0A => {
                    self.format = Format::Pcapng { big, ifaces: Vec::new() };
                }
                1 => {
                    let b = &self.buf[body];
                    if b.len() < 8 {
                        return err(start, "corrupt pcapng interface block: too short");
                    }
                    let linktype = rd16(big, &b[0..2]) as u32;
                    let mut iface = Iface { linktype, unit: TsUnit::Dec(6), offset_s: 0 };
                    parse_iface_options(big, &b[8..], &mut iface);
                    if let Format::Pcapng { ifaces, .. } = &mut self.format {
                        if ifaces.len() >= 65536 {
                            return err(start, "corrupt pcapng: too many interfaces");
                        }
                        ifaces.push(iface);
                    }
                }
                6 | 2 => {
                    // Enhanced packet block, or the obsolete packet block (16-bit interface id).
                    let b = &self.buf[body.clone()];
                    if b.len() < 20 {
                        return err(start, "corrupt pcapng packet block: too short");
                    }
                    let ifid = if btype == 6 { rd32(big, &b[0..4]) as usize } else { rd16(big, &b[0..2]) as usize };
                    let hi = rd32(big, &b[4..8]) as u64;
                    let lo = rd32(big, &b[8..12]) as u64;
                    let caplen = rd32(big, &b[12..16]) as usize;
                    let orig = rd32(big, &b[16..20]);
                    if caplen > b.len() - 20 {
                        return err(start, format!("corrupt pcapng packet block: captured length {caplen} exceeds the block"));
                    }
                    let iface = match &self.format {
                        Format::Pcapng { ifaces, .. } => ifaces.get(ifid).copied(),
                        _ => None,
                    };
                    let Some(iface) = iface else {
                        return err(start, format!("corrupt pcapng packet block: unknown interface {ifid}"));
                    };
                    let d = body.start + 20;
                    return Ok(Some(Packet {
                        ts_us: iface.unit.to_us((hi << 32) | lo).saturating_add(iface.offset_s.saturating_mul(1_000_000)),
                        linktype: iface.linktype,
                        orig_len: orig.max(caplen as u32),
                        data: &self.buf[d..d + caplen],
                    }));
                }
                3 => {
                    // Simple packet block: interface 0, no timestamp.
                    let b = &self.buf[body.clone()];
                    if b.len() < 4 {
                        return err(start, "corrupt pcapng simple packet block: too short");
                    }
                    let orig = rd32(big, &b[0..4]);
                    let caplen = (orig as usize).min(b.len() - 4);
                    let linktype = match &self.format {
                        Format::Pcapng { ifaces, .. } => ifaces.first().map(|i| i.linktype),
                        _ => None,
                    };
                    let Some(linktype) = linktype else {
                        return err(start, "corrupt pcapng simple packet block: no interface");
                    };
                    let d = body.start + 4;
                    return Ok(Some(Packet { ts_us: 0, linktype, orig_len: orig, data: &self.buf[d..d + caplen] }));
                }
                _ => {} // statistics, name resolution, custom blocks: nothing to meter
            }
        }
    }
}

fn parse_iface_options(big: bool, mut o: &[u8], iface: &mut Iface) {
    while o.len() >= 4 {
        let code = rd16(big, &o[0..2]);
        let len = rd16(big, &o[2..4]) as usize;
        let padded = (len + 3) & !3;
        if code == 0 || o.len() < 4 + len {
            return;
        }
        let v = &o[4..4 + len];
        match (code, len) {
            (9, 1) => {
                let r = v[0];
                iface.unit = if r & 0x80 != 0 { TsUnit::Bin((r & 0x7f) as u32) } else { TsUnit::Dec((r as u32).min(19)) };
            }
            (14, 8) => {
                let hi = rd32(big, &v[0..4]) as u64;
                let lo = rd32(big, &v[4..8]) as u64;
                iface.offset_s = if big { ((hi << 32) | lo) as i64 } else { ((lo << 32) | hi) as i64 };
            }
            _ => {}
        }
        if o.len() < 4 + padded {
            return;
        }
        o = &o[4 + padded..];
    }
}

#[inline]
fn rd32(big: bool, b: &[u8]) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

#[inline]
fn rd16(big: bool, b: &[u8]) -> u16 {
    let a = [b[0], b[1]];
    if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap(records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (s, us, d) in records {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&us.to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(d);
        }
        v
    }

    #[test]
    fn reads_classic_pcap() {
        let f = pcap(&[(10, 5, &[1, 2, 3]), (11, 6, &[4])]);
        let mut r = PcapReader::new(&f[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!((p.ts_us, p.data.len(), p.linktype), (10_000_005, 3, 1));
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.ts_us, 11_000_006);
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn truncated_record_names_offset() {
        let mut f = pcap(&[(10, 5, &[1, 2, 3]), (11, 6, &[4, 5, 6, 7])]);
        f.truncate(f.len() - 2);
        let mut r = PcapReader::new(&f[..]).unwrap();
        assert!(r.next_packet().unwrap().is_some());
        let e = r.next_packet().unwrap_err();
        assert_eq!(e.offset, 24 + 16 + 3);
        assert!(e.message.contains("truncated"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(PcapReader::new(&b"hello world, not a capture"[..]).is_err());
        assert!(PcapReader::new(&b""[..]).is_err());
    }

    /// A little-endian pcapng Section Header Block of no options, to build test files on.
    pub(super) fn pcapng_shb() -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
        v.extend_from_slice(&28u32.to_le_bytes());
        v.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
        v.extend_from_slice(&[1, 0, 0, 0]);
        v.extend_from_slice(&[0xff; 8]);
        v.extend_from_slice(&28u32.to_le_bytes());
        v
    }

    #[test]
    fn reads_pcapng_with_nanosecond_resolution() {
        let mut v = pcapng_shb();
        // IDB with if_tsresol = 9
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&32u32.to_le_bytes());
        v.extend_from_slice(&[1, 0, 0, 0]);
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&32u32.to_le_bytes());
        // EPB
        let ts: u64 = 1_700_000_000_123_456_789;
        v.extend_from_slice(&6u32.to_le_bytes());
        v.extend_from_slice(&36u32.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        v.extend_from_slice(&(ts as u32).to_le_bytes());
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(&60u32.to_le_bytes());
        v.extend_from_slice(&[7, 8, 9, 0]);
        v.extend_from_slice(&36u32.to_le_bytes());
        let mut r = PcapReader::new(&v[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.ts_us, 1_700_000_000_123_456);
        assert_eq!(p.data, &[7, 8, 9]);
        assert_eq!(p.orig_len, 60);
        assert!(r.next_packet().unwrap().is_none());
    }
}

#[cfg(test)]
mod refill_tests {
    use super::*;

    /// A reader that hands out a few bytes at a time, so blocks straddle refills.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn pcapng_blocks_across_buffer_refills() {
        let mut v = super::tests::pcapng_shb();
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&20u32.to_le_bytes());
        v.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(&20u32.to_le_bytes());
        // Enough 1000-byte packets to pass the 1 MiB buffer several times.
        let n = 3000;
        for i in 0..n {
            let data = vec![(i % 251) as u8; 1000];
            let blen = 32 + 1000u32;
            v.extend_from_slice(&6u32.to_le_bytes());
            v.extend_from_slice(&blen.to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
            v.extend_from_slice(&(i as u32).to_le_bytes());
            v.extend_from_slice(&1000u32.to_le_bytes());
            v.extend_from_slice(&1000u32.to_le_bytes());
            v.extend_from_slice(&data);
            v.extend_from_slice(&blen.to_le_bytes());
        }
        let mut r = PcapReader::new(Trickle(&v, 777)).unwrap();
        for i in 0..n {
            let p = r.next_packet().unwrap().unwrap();
            assert_eq!(p.ts_us, i as i64);
            assert_eq!(p.data[0], (i % 251) as u8);
            assert_eq!(p.data.len(), 1000);
        }
        assert!(r.next_packet().unwrap().is_none());
    }
}
