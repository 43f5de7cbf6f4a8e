//! DNS response parsing for the `dns.answers` output. Names may be compressed;
//! every pointer, length and count is checked against the message, and name
//! decoding is bounded in jumps and length so a crafted loop cannot hang it.

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub name: String,
    pub rtype: u16,
    pub ttl: u32,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Response {
    pub qname: String,
    pub qtype: u16,
    pub rcode: u8,
    pub answers: Vec<Answer>,
}

const MAX_ANSWERS: usize = 64;

/// Parses a DNS message; `None` unless it is a well-formed response with one question.
pub fn parse_response(m: &[u8]) -> Option<Response> {
    let mut r = Response::default();
    parse_response_into(m, &mut r).then_some(r)
}

/// `parse_response` into a response kept from an earlier call, reusing its
/// strings: the sensor parses every DNS answer it sees, and this way a steady
/// stream of them allocates nothing. False (and `r` unspecified) unless `m` is
/// a well-formed response with one question.
pub fn parse_response_into(m: &[u8], r: &mut Response) -> bool {
    parse_into(m, r).is_some()
}

fn parse_into(m: &[u8], r: &mut Response) -> Option<()> {
    if m.len() < 12 {
        return None;
    }
    let flags = u16::from_be_bytes([m[2], m[3]]);
    if flags & 0x8000 == 0 || (flags >> 11) & 0xf != 0 {
        return None; // a query, or not a standard query's response
    }
    let qd = u16::from_be_bytes([m[4], m[5]]);
    let an = u16::from_be_bytes([m[6], m[7]]) as usize;
    if qd != 1 {
        return None;
    }
    let mut o = name(m, 12, &mut r.qname)?;
    r.qtype = u16::from_be_bytes([*m.get(o)?, *m.get(o + 1)?]);
    r.rcode = (flags & 0xf) as u8;
    o += 4;
    if o > m.len() {
        return None;
    }
    let mut n = 0;
    for _ in 0..an.min(MAX_ANSWERS) {
        if n == r.answers.len() {
            r.answers.push(Answer { name: String::new(), rtype: 0, ttl: 0, data: String::new() });
        }
        let a = &mut r.answers[n];
        let Some(p) = name(m, o, &mut a.name) else { break };
        let Some(h) = m.get(p..p + 10) else { break };
        let rtype = u16::from_be_bytes([h[0], h[1]]);
        let ttl = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let rdlen = u16::from_be_bytes([h[8], h[9]]) as usize;
        let rd_start = p + 10;
        let Some(rd) = m.get(rd_start..rd_start + rdlen) else { break };
        a.rtype = rtype;
        a.ttl = ttl;
        let s = &mut a.data;
        s.clear();
        match (rtype, rdlen) {
            (1, 4) => {
                for (i, &x) in rd.iter().enumerate() {
                    if i > 0 {
                        s.push('.');
                    }
                    push_decimal(s, x, false);
                }
            }
            (28, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(rd);
                let _ = std::fmt::Write::write_fmt(s, format_args!("{}", std::net::Ipv6Addr::from(b)));
            }
            (2 | 5 | 12, _) => name_or_empty(m, rd_start, s),
            (15, _) if rdlen > 2 => name_or_empty(m, rd_start + 2, s),
            (16, _) => {
                let mut i = 0;
                while i < rd.len() {
                    let l = rd[i] as usize;
                    let end = (i + 1 + l).min(rd.len());
                    s.push_str(&String::from_utf8_lossy(&rd[i + 1..end]));
                    i = end;
                }
            }
            _ => {}
        }
        n += 1;
        o = rd_start + rdlen;
    }
    r.answers.truncate(n);
    Some(())
}

/// The name at `o`, or nothing if it does not decode.
fn name_or_empty(m: &[u8], o: usize, out: &mut String) {
    if name(m, o, out).is_none() {
        out.clear();
    }
}

/// Decodes a possibly compressed name at `o` into `out` (cleared first);
/// returns the offset after it.
fn name(m: &[u8], mut o: usize, out: &mut String) -> Option<usize> {
    out.clear();
    let mut after = None;
    let mut jumps = 0;
    loop {
        let l = *m.get(o)? as usize;
        if l == 0 {
            o += 1;
            break;
        }
        match l & 0xc0 {
            0xc0 => {
                let ptr = ((l & 0x3f) << 8) | *m.get(o + 1)? as usize;
                if after.is_none() {
                    after = Some(o + 2);
                }
                jumps += 1;
                if jumps > 32 || ptr >= m.len() {
                    return None;
                }
                o = ptr;
            }
            0 => {
                let label = m.get(o + 1..o + 1 + l)?;
                if !out.is_empty() {
                    out.push('.');
                }
                for &c in label {
                    // Printable ASCII is copied, anything else escaped as \DDD.
                    if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                        out.push(c as char);
                    } else {
                        out.push('\\');
                        push_decimal(out, c, true);
                    }
                }
                if out.len() > 1024 {
                    return None;
                }
                o += 1 + l;
            }
            _ => return None,
        }
    }
    Some(after.unwrap_or(o))
}

/// `x` in decimal; `pad`: always three digits (the `\DDD` escape of a name byte).
fn push_decimal(s: &mut String, x: u8, pad: bool) {
    if pad || x >= 100 {
        s.push((b'0' + x / 100) as char);
    }
    if pad || x >= 10 {
        s.push((b'0' + x / 10 % 10) as char);
    }
    s.push((b'0' + x % 10) as char);
}

pub fn type_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        41 => "OPT".into(),
        43 => "DS".into(),
        46 => "RRSIG".into(),
        47 => "NSEC".into(),
        48 => "DNSKEY".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        x => format!("TYPE{x}"),
    }
}

pub fn rcode_name(r: u8) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        x => format!("RCODE{x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compressed_answer() {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1]);
        let r = parse_response(&m).unwrap();
        assert_eq!(r.qname, "www.example.com");
        assert_eq!(r.qtype, 1);
        assert_eq!(r.answers, vec![Answer { name: "www.example.com".into(), rtype: 1, ttl: 300, data: "192.0.2.1".into() }]);
    }

    #[test]
    fn decimals_match_format() {
        for x in 0..=255u8 {
            let (mut a, mut b) = (String::new(), String::new());
            push_decimal(&mut a, x, false);
            push_decimal(&mut b, x, true);
            assert_eq!((a, b), (format!("{x}"), format!("{x:03}")));
        }
    }

    #[test]
    fn odd_label_bytes_are_escaped() {
        let mut m = vec![6, b'a', b'.', b'\\', 0, 0xff, b' ', 3, b'c', b'o', b'm', 0];
        let mut s = "left over".to_string();
        assert_eq!(name(&m, 0, &mut s), Some(m.len()));
        assert_eq!(s, "a\\046\\092\\000\\255\\032.com");
        m.truncate(9);
        assert_eq!(name(&m, 0, &mut s), None);
    }

    #[test]
    fn pointer_loop_is_refused() {
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0xc0, 12]);
        assert!(parse_response(&m).is_none());
        for n in 0..m.len() {
            let _ = parse_response(&m[..n]);
        }
    }
}
