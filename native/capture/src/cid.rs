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

/// What a flow's Community ID is made of besides its addresses and protocol,
/// taken from its first packet: the flow keeps this and the SHA-1 is left to
/// whoever writes the record out (`Rec::community_id`), off the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidInput {
    /// Ports, or ICMP type and code, as the first packet had them.
    pub sport: u16,
    pub dport: u16,
    pub has_ports: bool,
    /// The first packet's sender is the record's source (else its destination).
    pub sender_is_src: bool,
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
    // in one SHA-1 block with its padding and compressed once (SHA-NI where
    // the CPU has it), without the streaming hasher's buffering.
    let mut buf = [0u8; 64];
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
    CommunityId(sha1_one_block(buf, len))
}

/// SHA-1 of the first `len` bytes of `block` (at most 55, so that the
/// padding fits; the rest of `block` must be zero): one compression.
fn sha1_one_block(mut block: [u8; 64], len: usize) -> [u8; 20] {
    block[len] = 0x80;
    block[56..].copy_from_slice(&(len as u64 * 8).to_be_bytes());
    let mut state = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0];
    sha1::compress(&mut state, &[block.into()]);
    let mut digest = [0u8; 20];
    for (d, w) in digest.chunks_exact_mut(4).zip(state) {
        d.copy_from_slice(&w.to_be_bytes());
    }
    digest
}

/// Every 12-bit value as two base64 characters.
const PAIRS64: [[u8; 2]; 4096] = {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [[0u8; 2]; 4096];
    let mut x = 0;
    while x < 4096 {
        t[x] = [T[x >> 6], T[x & 63]];
        x += 1;
    }
    t
};

/// Standard padded base64 of a SHA-1 digest (20 bytes -> 28 characters):
/// six whole 3-byte groups, then the last two bytes and one `=`; two
/// characters a table lookup.
fn base64(data: &[u8; 20], out: &mut [u8]) {
    let out: &mut [u8; 28] = (&mut out[..28]).try_into().expect("28 bytes of base64");
    let mut put = |i: usize, n: u32| {
        let (a, b) = (PAIRS64[(n >> 12) as usize & 4095], PAIRS64[n as usize & 4095]);
        out[4 * i..4 * i + 4].copy_from_slice(&[a[0], a[1], b[0], b[1]]);
    };
    for i in 0..6 {
        put(i, (data[3 * i] as u32) << 16 | (data[3 * i + 1] as u32) << 8 | data[3 * i + 2] as u32);
    }
    put(6, (data[18] as u32) << 16 | (data[19] as u32) << 8);
    out[27] = b'=';
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
    fn base64_as_written_bit_by_bit() {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            let mut d = [0u8; 20];
            for b in d.iter_mut() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *b = (x >> 56) as u8;
            }
            let bits: Vec<u8> = d.iter().flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1)).chain([0, 0]).collect();
            let mut want: Vec<u8> = bits.chunks(6).map(|c| T[c.iter().fold(0, |a, &b| a << 1 | b as usize)]).collect();
            want.push(b'=');
            let mut got = [0u8; 28];
            base64(&d, &mut got);
            assert_eq!(got.to_vec(), want);
        }
    }

    #[test]
    fn one_block_compression_is_sha1() {
        // Every length one block holds (the ids use 12 to 40), random bytes.
        let mut x = 0x1234_5678_9abc_def0u64;
        for len in 0..=55 {
            let mut buf = [0u8; 64];
            for b in buf[..len].iter_mut() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *b = (x >> 56) as u8;
            }
            let want: [u8; 20] = <sha1::Sha1 as sha1::Digest>::digest(&buf[..len]).into();
            assert_eq!(sha1_one_block(buf, len), want, "length {len}");
        }
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
