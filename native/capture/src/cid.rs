//! Community ID v1 (https://github.com/corelight/community-id-spec), seed 0.

const ICMP4_PAIRS: [(u8, u8); 10] = [(8, 0), (0, 8), (13, 14), (14, 13), (15, 16), (16, 15), (10, 9), (9, 10), (17, 18), (18, 17)];
const ICMP6_PAIRS: [(u8, u8); 10] =
    [(128, 129), (129, 128), (133, 134), (134, 133), (135, 136), (136, 135), (130, 131), (131, 130), (144, 145), (145, 144)];

/// A Community ID, kept as its SHA-1 digest inline in the flow and its
/// records (no allocation); `text()` is the "1:<base64>" form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityId(pub [u8; 20]);

impl CommunityId {
    /// "1:" and the 28-character base64 of the digest.
    pub fn text(&self) -> [u8; 30] {
        let mut out = [0u8; 30];
        out[..2].copy_from_slice(b"1:");
        base64(&self.0, &mut out[2..]);
        out
    }
}

/// `addr_len` is 4 or 16; for ICMP `sport`/`dport` carry type and code.
pub fn community_id(addr_len: usize, saddr: &[u8; 16], daddr: &[u8; 16], proto: u8, sport: u16, dport: u16, has_ports: bool) -> CommunityId {
    let (s, d) = (&saddr[..addr_len], &daddr[..addr_len]);
    let (mut sp, mut dp) = (sport, dport);
    let mut one_way = false;
    if proto == 1 || proto == 58 {
        let table = if proto == 1 { &ICMP4_PAIRS } else { &ICMP6_PAIRS };
        let t = sport as u8;
        match table.iter().find(|(a, _)| *a == t) {
            Some((_, b)) => dp = *b as u16,
            None => one_way = true,
        }
        sp = t as u16;
    }
    let ports = has_ports || proto == 1 || proto == 58;
    let keep = one_way || (s, sp) < (d, dp);
    let (a, b, pa, pb) = if keep { (s, d, sp, dp) } else { (d, s, dp, sp) };
    // The whole input (at most 2 + 16 + 16 + 2 + 4 = 40 bytes) is gathered
    // first and hashed in one call: one block, SHA-NI where the CPU has it.
    let mut buf = [0u8; 40];
    let n = addr_len;
    buf[2..2 + n].copy_from_slice(a);
    buf[2 + n..2 + 2 * n].copy_from_slice(b);
    buf[2 + 2 * n] = proto;
    let mut len = 4 + 2 * n;
    if ports {
        buf[len..len + 2].copy_from_slice(&pa.to_be_bytes());
        buf[len + 2..len + 4].copy_from_slice(&pb.to_be_bytes());
        len += 4;
    }
    CommunityId(<sha1::Sha1 as sha1::Digest>::digest(&buf[..len]).into())
}

/// Standard padded base64 of a SHA-1 digest (20 bytes -> 28 characters).
fn base64(data: &[u8; 20], out: &mut [u8]) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (c, o) in data.chunks(3).zip(out.chunks_exact_mut(4)) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        o[0] = T[(n >> 18) as usize & 63];
        o[1] = T[(n >> 12) as usize & 63];
        o[2] = if c.len() > 1 { T[(n >> 6) as usize & 63] } else { b'=' };
        o[3] = if c.len() > 2 { T[n as usize & 63] } else { b'=' };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0u8; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    #[test]
    fn spec_examples() {
        // From the community-id-spec baseline (seed 0).
        assert_eq!(
            std::str::from_utf8(&community_id(4, &a4([128, 232, 110, 120]), &a4([66, 35, 250, 204]), 6, 34855, 80, true).text()).unwrap(),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        // Reversed direction gives the same id.
        assert_eq!(
            std::str::from_utf8(&community_id(4, &a4([66, 35, 250, 204]), &a4([128, 232, 110, 120]), 6, 80, 34855, true).text()).unwrap(),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
    }
}
