//! Packet decoding: link layer to transport header, bounds-checked at every
//! step. The result is a flat `Pkt` that the flow table meters; nothing here
//! allocates.

/// Why a packet could not be metered; the names are the stats keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Undecodable {
    Linktype,
    TruncatedLink,
    TruncatedIp,
    BadIpVersion,
    BadIpHeader,
}

impl Undecodable {
    pub const ALL: [Undecodable; 5] = [
        Undecodable::Linktype,
        Undecodable::TruncatedLink,
        Undecodable::TruncatedIp,
        Undecodable::BadIpVersion,
        Undecodable::BadIpHeader,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Undecodable::Linktype => "unsupportedLinktype",
            Undecodable::TruncatedLink => "truncatedLinkHeader",
            Undecodable::TruncatedIp => "truncatedIpHeader",
            Undecodable::BadIpVersion => "badIpVersion",
            Undecodable::BadIpHeader => "badIpHeader",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3 {
    Ip4,
    Ip6,
    Arp,
    /// Non-IP link-layer flow: keyed by MACs and this ethertype (0 = 802.3 LLC).
    Other(u16),
}

pub const F_ETHER: u16 = 1;
pub const F_VLAN: u16 = 2;
pub const F_MPLS: u16 = 4;
pub const F_PPPOE: u16 = 8;
pub const F_FRAG: u16 = 16;

#[derive(Debug, Clone, Copy)]
pub struct Pkt {
    pub wire_len: u32,
    pub l3: L3,
    pub flags: u16,
    pub smac: [u8; 6],
    pub dmac: [u8; 6],
    pub vlan: Option<u16>,
    pub mpls: Option<u32>,
    /// Addresses: 4 or 16 significant bytes (IPv4 in the first four).
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub proto: u8,
    pub ttl: u8,
    pub tos: u8,
    pub has_ports: bool,
    pub sport: u16,
    pub dport: u16,
    /// Fragment: (identification, offset is zero, more fragments).
    pub frag: Option<(u32, bool, bool)>,
    pub tcp_flags: u8,
    pub tcp_seq: u32,
    pub tcp_ack: u32,
    pub tcp_win: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub icmp_id: u16,
    /// Application payload length as the headers state it (not cut by snaplen).
    pub app_len: u32,
    /// Offset and captured length of the application payload in the frame.
    pub app_off: usize,
    pub app_cap: usize,
    /// ESP security parameter index (part of the ESP flow key).
    pub spi: u32,
    /// ARP opcode (1 request, 2 reply).
    pub arp_op: u16,
    /// Tunnel nesting depth decoded so far.
    pub depth: u8,
}

impl Pkt {
    pub fn empty(wire_len: u32) -> Pkt {
        Pkt {
            wire_len,
            l3: L3::Other(0),
            flags: 0,
            smac: [0; 6],
            dmac: [0; 6],
            vlan: None,
            mpls: None,
            src: [0; 16],
            dst: [0; 16],
            proto: 0,
            ttl: 0,
            tos: 0,
            has_ports: false,
            sport: 0,
            dport: 0,
            frag: None,
            tcp_flags: 0,
            tcp_seq: 0,
            tcp_ack: 0,
            tcp_win: 0,
            icmp_type: 0,
            icmp_code: 0,
            icmp_id: 0,
            app_len: 0,
            app_off: 0,
            app_cap: 0,
            spi: 0,
            arp_op: 0,
            depth: 0,
        }
    }
}

#[inline]
fn be16(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(o)?, *d.get(o + 1)?]))
}

#[inline]
fn be32(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(o)?, *d.get(o + 1)?, *d.get(o + 2)?, *d.get(o + 3)?]))
}

/// Decodes one frame of the given pcap link type.
pub fn decode(linktype: u32, d: &[u8], wire_len: u32) -> Result<Pkt, Undecodable> {
    let mut p = Pkt::empty(wire_len);
    decode_into(&mut p, linktype, d, wire_len).map(|_| p)
}

/// `decode` into a packet kept by the caller (reset first): the meter decodes
/// every packet into the same `Pkt`, which spares moving it out of a `Result`.
#[inline]
pub fn decode_into(p: &mut Pkt, linktype: u32, d: &[u8], wire_len: u32) -> Result<(), Undecodable> {
    *p = Pkt::empty(wire_len);
    if linktype == 1 && d.len() >= 14 {
        // Ethernet, by far the usual case, without the link-type match.
        p.flags |= F_ETHER;
        p.dmac.copy_from_slice(&d[0..6]);
        p.smac.copy_from_slice(&d[6..12]);
        return ethertype(p, d, 14, u16::from_be_bytes([d[12], d[13]]));
    }
    link(p, linktype, d, wire_len)
}

fn link(p: &mut Pkt, linktype: u32, d: &[u8], wire_len: u32) -> Result<(), Undecodable> {
    match linktype {
        1 => {
            if d.len() < 14 {
                return Err(Undecodable::TruncatedLink);
            }
            p.flags |= F_ETHER;
            p.dmac.copy_from_slice(&d[0..6]);
            p.smac.copy_from_slice(&d[6..12]);
            let et = be16(d, 12).ok_or(Undecodable::TruncatedLink)?;
            ethertype(p, d, 14, et)?;
        }
        113 => {
            // Linux cooked v1: 16-byte header, protocol at 14. Cooked headers
            // are not on the wire, so (like Argus) they are not counted.
            p.wire_len = wire_len.saturating_sub(16);
            let et = be16(d, 14).ok_or(Undecodable::TruncatedLink)?;
            let hatype = be16(d, 2).ok_or(Undecodable::TruncatedLink)?;
            if hatype == 1 && be16(d, 4) == Some(6) {
                p.smac.copy_from_slice(&d[6..12]);
            }
            ethertype(p, d, 16, et)?;
        }
        276 => {
            // Linux cooked v2: 20-byte header, protocol at 0.
            p.wire_len = wire_len.saturating_sub(20);
            if d.len() < 20 {
                return Err(Undecodable::TruncatedLink);
            }
            let et = be16(d, 0).ok_or(Undecodable::TruncatedLink)?;
            if be16(d, 8) == Some(1) && d[11] == 6 {
                p.smac.copy_from_slice(&d[12..18]);
            }
            ethertype(p, d, 20, et)?;
        }
        101 | 12 | 14 => raw_ip(p, d, 0)?,
        228 => ip4(p, d, 0)?,
        229 => ip6(p, d, 0)?,
        0 | 108 => {
            // BSD loopback: the address family, host order (DLT_NULL) or network order (LOOP).
            if d.len() < 4 {
                return Err(Undecodable::TruncatedLink);
            }
            p.wire_len = wire_len.saturating_sub(4);
            let af = if linktype == 108 {
                u32::from_be_bytes([d[0], d[1], d[2], d[3]])
            } else {
                let le = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
                if le < 0x10000 { le } else { u32::from_be_bytes([d[0], d[1], d[2], d[3]]) }
            };
            match af {
                2 => ip4(p, d, 4)?,
                10 | 24 | 28 | 30 => ip6(p, d, 4)?,
                _ => raw_ip(p, d, 4)?,
            }
        }
        104 => {
            // Cisco HDLC: address, control, then an ethertype; not counted, as Argus does.
            p.wire_len = wire_len.saturating_sub(4);
            let et = be16(d, 2).ok_or(Undecodable::TruncatedLink)?;
            ethertype(p, d, 4, et)?;
        }
        9 | 50 => {
            // PPP, with or without the HDLC-like address and control bytes.
            let off = if d.get(0..2) == Some(&[0xff, 0x03]) { 2 } else { 0 };
            p.wire_len = wire_len.saturating_sub(off as u32 + 2);
            ppp(p, d, off)?;
        }
        _ => return Err(Undecodable::Linktype),
    }
    Ok(())
}

/// A PPP frame at `off`: protocol field (one byte when compressed), then IP.
fn ppp(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    let first = *d.get(off).ok_or(Undecodable::TruncatedLink)?;
    let (proto, hl) = if first & 1 == 1 { (first as u16, 1) } else { (be16(d, off).ok_or(Undecodable::TruncatedLink)?, 2) };
    match proto {
        0x21 => ip4(p, d, off + hl),
        0x57 => ip6(p, d, off + hl),
        _ => {
            p.l3 = L3::Other(0x880b);
            Ok(())
        }
    }
}

fn raw_ip(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    match d.get(off).map(|b| b >> 4) {
        Some(4) => ip4(p, d, off),
        Some(6) => ip6(p, d, off),
        Some(_) => Err(Undecodable::BadIpVersion),
        None => Err(Undecodable::TruncatedIp),
    }
}

#[inline]
fn ethertype(p: &mut Pkt, d: &[u8], mut off: usize, mut et: u16) -> Result<(), Undecodable> {
    // Tag stacks are bounded so a frame of repeated tags cannot loop long.
    for _ in 0..16 {
        match et {
            0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                let tci = be16(d, off).ok_or(Undecodable::TruncatedLink)?;
                if p.vlan.is_none() {
                    p.vlan = Some(tci & 0x0fff);
                }
                p.flags |= F_VLAN;
                et = be16(d, off + 2).ok_or(Undecodable::TruncatedLink)?;
                off += 4;
            }
            0x8847 | 0x8848 => {
                p.flags |= F_MPLS;
                for _ in 0..16 {
                    let lse = be32(d, off).ok_or(Undecodable::TruncatedLink)?;
                    if p.mpls.is_none() {
                        p.mpls = Some(lse >> 12);
                    }
                    off += 4;
                    if lse & 0x100 != 0 {
                        break;
                    }
                }
                return match d.get(off).map(|b| b >> 4) {
                    Some(4) => ip4(p, d, off),
                    Some(6) => ip6(p, d, off),
                    _ => {
                        p.l3 = L3::Other(et);
                        Ok(())
                    }
                };
            }
            0x8864 => {
                p.flags |= F_PPPOE;
                let proto = be16(d, off + 6).ok_or(Undecodable::TruncatedLink)?;
                return match proto {
                    0x0021 => ip4(p, d, off + 8),
                    0x0057 => ip6(p, d, off + 8),
                    _ => {
                        p.l3 = L3::Other(et);
                        Ok(())
                    }
                };
            }
            0x0800 => return ip4(p, d, off),
            0x86dd => return ip6(p, d, off),
            0x0806 => return arp(p, d, off),
            x if x < 0x0600 => {
                // 802.3 length field: LLC, perhaps with a SNAP header carrying a real ethertype.
                // Only SNAP with a zero OUI carries an ethertype (others, e.g. Cisco's CDP, are LLC).
                if d.get(off..off + 6) == Some(&[0xaa, 0xaa, 0x03, 0, 0, 0]) {
                    et = be16(d, off + 6).ok_or(Undecodable::TruncatedLink)?;
                    off += 8;
                    if et < 0x0600 {
                        p.l3 = L3::Other(0);
                        return Ok(());
                    }
                    continue;
                }
                p.l3 = L3::Other(0);
                return Ok(());
            }
            x => {
                p.l3 = L3::Other(x);
                return Ok(());
            }
        }
    }
    p.l3 = L3::Other(et);
    Ok(())
}

fn arp(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    let h = d.get(off..off + 8).ok_or(Undecodable::TruncatedIp)?;
    let hlen = h[4] as usize;
    let plen = h[5] as usize;
    p.arp_op = u16::from_be_bytes([h[6], h[7]]);
    let spa = off + 8 + hlen;
    let tpa = spa + plen + hlen;
    if plen == 4 && u16::from_be_bytes([h[2], h[3]]) == 0x0800 {
        if let (Some(s), Some(t)) = (d.get(spa..spa + 4), d.get(tpa..tpa + 4)) {
            p.l3 = L3::Arp;
            p.src[..4].copy_from_slice(s);
            p.dst[..4].copy_from_slice(t);
            return Ok(());
        }
    }
    // ARP for another protocol, or cut short: meter it as a link-layer flow.
    p.l3 = L3::Other(0x0806);
    Ok(())
}

#[inline]
fn ip4(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    let h = d.get(off..off + 20).ok_or(Undecodable::TruncatedIp)?;
    if h[0] >> 4 != 4 {
        return Err(Undecodable::BadIpVersion);
    }
    let ihl = ((h[0] & 0x0f) as usize) * 4;
    if ihl < 20 {
        return Err(Undecodable::BadIpHeader);
    }
    let mut total = u16::from_be_bytes([h[2], h[3]]) as usize;
    if total == 0 {
        // Segmentation offload: the stack left the length for the NIC to fill.
        total = d.len().saturating_sub(off).max(p.wire_len as usize - off.min(p.wire_len as usize));
    }
    if total < ihl {
        return Err(Undecodable::BadIpHeader);
    }
    p.l3 = L3::Ip4;
    p.tos = h[1];
    p.ttl = h[8];
    p.proto = h[9];
    p.src[..4].copy_from_slice(&h[12..16]);
    p.dst[..4].copy_from_slice(&h[16..20]);
    let fo = u16::from_be_bytes([h[6], h[7]]);
    let mf = fo & 0x2000 != 0;
    let foff = fo & 0x1fff;
    if mf || foff != 0 {
        p.flags |= F_FRAG;
        p.frag = Some((u16::from_be_bytes([h[4], h[5]]) as u32, foff == 0, mf));
        if foff != 0 {
            p.app_len = (total - ihl) as u32;
            return Ok(());
        }
    }
    if d.len() < off + ihl {
        // Options cut by the snaplen: addresses are known, the transport is not.
        p.app_len = (total - ihl) as u32;
        return Ok(());
    }
    transport(p, d, off + ihl, total - ihl)
}

fn ip6(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    let h = d.get(off..off + 40).ok_or(Undecodable::TruncatedIp)?;
    if h[0] >> 4 != 6 {
        return Err(Undecodable::BadIpVersion);
    }
    p.l3 = L3::Ip6;
    p.tos = ((u16::from_be_bytes([h[0], h[1]]) >> 4) & 0xff) as u8;
    p.ttl = h[7];
    p.src.copy_from_slice(&h[8..24]);
    p.dst.copy_from_slice(&h[24..40]);
    let mut plen = u16::from_be_bytes([h[4], h[5]]) as usize;
    if plen == 0 {
        // Jumbogram or offload: trust the frame.
        plen = (p.wire_len as usize).saturating_sub(off + 40);
    }
    let mut nh = h[6];
    let mut o = off + 40;
    // Walk extension headers, bounded in count.
    for _ in 0..16 {
        match nh {
            0 | 43 | 60 | 135 | 139 | 140 => {
                let Some(e) = d.get(o..o + 2) else { break };
                let len = (e[1] as usize + 1) * 8;
                nh = e[0];
                o += len;
                plen = plen.saturating_sub(len);
            }
            51 => {
                let Some(e) = d.get(o..o + 2) else { break };
                let len = (e[1] as usize + 2) * 4;
                nh = e[0];
                o += len;
                plen = plen.saturating_sub(len);
            }
            44 => {
                let Some(e) = d.get(o..o + 8) else { break };
                let fo = u16::from_be_bytes([e[2], e[3]]);
                let id = u32::from_be_bytes([e[4], e[5], e[6], e[7]]);
                let first = fo & 0xfff8 == 0;
                p.flags |= F_FRAG;
                p.frag = Some((id, first, fo & 1 != 0));
                nh = e[0];
                o += 8;
                plen = plen.saturating_sub(8);
                if !first {
                    p.proto = nh;
                    p.app_len = plen as u32;
                    return Ok(());
                }
            }
            _ => break,
        }
    }
    p.proto = nh;
    if matches!(nh, 0 | 43 | 60 | 135 | 139 | 140 | 51 | 44) {
        // The header chain ran past the captured bytes.
        p.app_len = plen as u32;
        return Ok(());
    }
    transport(p, d, o, plen)
}

/// Tunnels are metered by their inner flow, as Argus does: the outer
/// headers only add to the wire length. Nesting is bounded.
fn tunnel(p: &mut Pkt, d: &[u8], o: usize) -> Option<Result<(), Undecodable>> {
    if p.depth >= 4 {
        return None;
    }
    match p.proto {
        4 if d.len() > o => {
            p.depth += 1;
            Some(ip4(p, d, o))
        }
        41 if d.len() > o => {
            p.depth += 1;
            Some(ip6(p, d, o))
        }
        47 => {
            let flags = be16(d, o)?;
            let proto = be16(d, o + 2)?;
            let mut h = o + 4;
            if flags & 0x8000 != 0 || flags & 0x4000 != 0 {
                h += 4; // checksum and reserved (present if C or R)
            }
            if flags & 0x2000 != 0 {
                h += 4; // key
            }
            if flags & 0x1000 != 0 {
                h += 4; // sequence
            }
            if flags & 0x0080 != 0 && flags & 7 == 1 {
                h += 4; // enhanced GRE (PPTP) acknowledgment
            }
            if h > d.len() {
                return None;
            }
            p.depth += 1;
            match proto {
                0x0800 => Some(ip4(p, d, h)),
                0x86dd => Some(ip6(p, d, h)),
                0x6558 => Some(inner_ether(p, d, h)),
                // ERSPAN type II (it has a sequence number); types I and III
                // stay GRE flows, as in Argus.
                0x88be if flags & 0x1000 != 0 => Some(inner_ether(p, d, h + 8)),
                0x880b => {
                    let off = if d.get(h..h + 2) == Some(&[0xff, 0x03]) { h + 2 } else { h };
                    match ppp(p, d, off) {
                        Ok(()) if p.l3 == L3::Other(0x880b) => None,
                        r => Some(r),
                    }
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn inner_ether(p: &mut Pkt, d: &[u8], off: usize) -> Result<(), Undecodable> {
    let h = d.get(off..off + 14).ok_or(Undecodable::TruncatedLink)?;
    p.dmac.copy_from_slice(&h[0..6]);
    p.smac.copy_from_slice(&h[6..12]);
    let et = u16::from_be_bytes([h[12], h[13]]);
    p.src = [0; 16];
    p.dst = [0; 16];
    ethertype(p, d, off + 14, et)
}

/// Tunnels, out of line: the rest of the decoder inlines into one function
/// per link type, and this is where the recursion (inner headers) goes.
#[inline(never)]
fn try_tunnel(p: &mut Pkt, d: &[u8], o: usize) -> bool {
    let saved = *p;
    match tunnel(p, d, o) {
        Some(Ok(())) => true,
        // An inner packet that does not decode: meter the outer one.
        Some(Err(_)) => {
            *p = saved;
            false
        }
        None => false,
    }
}

#[inline(always)]
fn transport(p: &mut Pkt, d: &[u8], o: usize, len: usize) -> Result<(), Undecodable> {
    if matches!(p.proto, 4 | 41 | 47) && try_tunnel(p, d, o) {
        return Ok(());
    }
    let cap_end = d.len().min(o + len);
    match p.proto {
        6 => {
            if let Some(t) = d.get(o..o + 20) {
                p.has_ports = true;
                p.sport = u16::from_be_bytes([t[0], t[1]]);
                p.dport = u16::from_be_bytes([t[2], t[3]]);
                p.tcp_seq = u32::from_be_bytes([t[4], t[5], t[6], t[7]]);
                p.tcp_ack = u32::from_be_bytes([t[8], t[9], t[10], t[11]]);
                let hl = ((t[12] >> 4) as usize * 4).max(20);
                p.tcp_flags = t[13];
                p.tcp_win = u16::from_be_bytes([t[14], t[15]]);
                p.app_len = len.saturating_sub(hl) as u32;
                p.app_off = o + hl;
                p.app_cap = cap_end.saturating_sub(o + hl);
            } else if let Some(t) = d.get(o..o + 4) {
                p.has_ports = true;
                p.sport = u16::from_be_bytes([t[0], t[1]]);
                p.dport = u16::from_be_bytes([t[2], t[3]]);
            }
        }
        17 | 136 => {
            if let Some(t) = d.get(o..o + 8) {
                p.has_ports = true;
                p.sport = u16::from_be_bytes([t[0], t[1]]);
                p.dport = u16::from_be_bytes([t[2], t[3]]);
                p.app_len = len.saturating_sub(8) as u32;
                p.app_off = o + 8;
                p.app_cap = cap_end.saturating_sub(o + 8);
            } else if let Some(t) = d.get(o..o + 4) {
                p.has_ports = true;
                p.sport = u16::from_be_bytes([t[0], t[1]]);
                p.dport = u16::from_be_bytes([t[2], t[3]]);
            }
        }
        132 => {
            if let Some(t) = d.get(o..o + 12) {
                p.has_ports = true;
                p.sport = u16::from_be_bytes([t[0], t[1]]);
                p.dport = u16::from_be_bytes([t[2], t[3]]);
                p.app_len = len.saturating_sub(12) as u32;
            }
        }
        1 | 58 => {
            if let Some(t) = d.get(o..o + 8) {
                p.icmp_type = t[0];
                p.icmp_code = t[1];
                p.icmp_id = u16::from_be_bytes([t[4], t[5]]);
            } else if let Some(t) = d.get(o..o + 2) {
                p.icmp_type = t[0];
                p.icmp_code = t[1];
            }
            p.app_len = len.saturating_sub(8) as u32;
        }
        50 => {
            if let Some(s) = be32(d, o) {
                p.spi = s;
            }
            p.app_len = len.saturating_sub(8) as u32;
        }
        _ => p.app_len = len as u32,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn eth_ip4_udp(vlan: Option<u16>) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        if let Some(v) = vlan {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&v.to_be_bytes());
        }
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0, 0, 33, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 13, 0, 0, 1, 2, 3, 4, 5]);
        f
    }

    #[test]
    fn decodes_vlan_udp() {
        let f = eth_ip4_udp(Some(42));
        let p = decode(1, &f, f.len() as u32).unwrap();
        assert_eq!(p.l3, L3::Ip4);
        assert_eq!(p.vlan, Some(42));
        assert_eq!((p.sport, p.dport, p.proto, p.ttl), (12345, 53, 17, 64));
        assert_eq!(p.app_len, 5);
        assert_eq!(&p.src[..4], &[10, 0, 0, 1]);
    }

    #[test]
    fn every_prefix_decodes_or_errs_without_panic() {
        let f = eth_ip4_udp(Some(7));
        for n in 0..f.len() {
            for lt in [0u32, 1, 12, 101, 108, 113, 228, 229, 276] {
                let _ = decode(lt, &f[..n], f.len() as u32);
            }
        }
    }
}
