//! Checks newline-separated JSON objects without building them. Over Kafka a
//! record that is one flat JSON object spelled exactly as JavaScript's
//! JSON.stringify spells it travels through the plugins that only write it
//! or read a few fields of it as that text: parsing it into a JavaScript
//! object, only to encode it again, was most of their cost.

/// Tells whether a line is one JSON object spelled exactly as JavaScript's
/// `JSON.stringify` spells the value `JSON.parse` makes of it: no whitespace,
/// members in their order, no repeated key, no key that is an array index
/// (JavaScript objects list those first), strings escaped only where
/// `JSON.stringify` escapes them, numbers in their shortest form. A writer
/// may then write the line itself instead of encoding the parsed object.
/// Conservative: an object nested in the top one, an escape other than the
/// short ones, or an exponent makes the answer no.
#[derive(Default)]
pub struct Canonical {
    /// A 1024-bit filter of the top object's key hashes seen so far.
    seen: [u64; 16],
    /// The top object's keys so far, as byte ranges of the line.
    keys: Vec<(usize, usize)>,
    num: ryu::Buffer,
    /// Keys looked out for (see canonical_lines_watching), and a filter of their hashes.
    watch: Vec<Vec<u8>>,
    watch_bits: [u64; 16],
    /// The line holds a watched key.
    watched: bool,
}

/// Deepest array nesting checked; deeper is answered no.
const MAX_DEPTH: u32 = 32;

impl Canonical {
    pub fn is_canonical(&mut self, line: &[u8]) -> bool {
        self.check(line, false)
    }

    /// is_canonical; `utf8`: the line is known to be valid UTF-8 already.
    fn check(&mut self, line: &[u8], utf8: bool) -> bool {
        if line.len() < 2 || line[0] != b'{' || !(utf8 || std::str::from_utf8(line).is_ok()) {
            return false;
        }
        self.seen = [0; 16];
        self.keys.clear();
        self.watched = false;
        if line[1] == b'}' {
            return line.len() == 2;
        }
        let mut p = 1;
        loop {
            let Some(end) = string(line, p) else {
                return false;
            };
            if !self.new_key(line, p + 1, end - 1) {
                return false;
            }
            if line.get(end) != Some(&b':') {
                return false;
            }
            let Some(after) = self.value(line, end + 1, 1) else {
                return false;
            };
            match line.get(after) {
                Some(b',') => p = after + 1,
                Some(b'}') => return after + 1 == line.len(),
                _ => return false,
            }
        }
    }

    /// Records a key of the top object; false if it repeats one or is an array index.
    fn new_key(&mut self, line: &[u8], start: usize, end: usize) -> bool {
        let key = &line[start..end];
        if key.first().is_some_and(u8::is_ascii_digit) && key.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let (word, mask) = filter_bit(key);
        if self.seen[word] & mask != 0 && self.keys.iter().any(|&(s, e)| &line[s..e] == key) {
            return false;
        }
        if self.watch_bits[word] & mask != 0 && self.watch.iter().any(|w| w == key) {
            self.watched = true;
        }
        self.seen[word] |= mask;
        self.keys.push((start, end));
        true
    }

    /// The index after the value at `p`, if it is spelled canonically.
    #[inline]
    fn value(&mut self, line: &[u8], p: usize, depth: u32) -> Option<usize> {
        match *line.get(p)? {
            b'"' => string(line, p),
            b'-' | b'0'..=b'9' => self.number(line, p),
            b't' => literal(line, p, b"true"),
            b'f' => literal(line, p, b"false"),
            b'n' => literal(line, p, b"null"),
            b'[' if depth < MAX_DEPTH => self.array(line, p, depth),
            _ => None,
        }
    }

    /// The index after the array at `p`; out of line, so that `value` (which
    /// it calls for each element) can be inlined where most values are.
    #[inline(never)]
    fn array(&mut self, line: &[u8], p: usize, depth: u32) -> Option<usize> {
        if line.get(p + 1) == Some(&b']') {
            return Some(p + 2);
        }
        let mut q = p + 1;
        loop {
            q = self.value(line, q, depth + 1)?;
            match *line.get(q)? {
                b',' => q += 1,
                b']' => return Some(q + 1),
                _ => return None,
            }
        }
    }

    /// A number as JavaScript writes it: decimal notation (JSON.stringify
    /// uses it from 1e-6 up to 1e21), no exponent, no leading or trailing
    /// zero, no "-0", and the shortest digits that give the same double.
    fn number(&mut self, line: &[u8], p: usize) -> Option<usize> {
        let negative = line[p] == b'-';
        let int_start = p + negative as usize;
        let int_end = digits(line, int_start);
        let int = &line[int_start..int_end];
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') || int.len() > 21 {
            return None;
        }
        let mut q = int_end;
        let mut frac: &[u8] = &[];
        if line.get(q) == Some(&b'.') {
            q = digits(line, int_end + 1);
            frac = &line[int_end + 1..q];
            if frac.last().is_none_or(|&d| d == b'0') {
                return None;
            }
        }
        if matches!(line.get(q), Some(b'e' | b'E')) {
            return None;
        }
        let zero_int = int == b"0";
        if zero_int && frac.is_empty() {
            return if negative { None } else { Some(q) };
        }
        if zero_int && frac.starts_with(b"000000") {
            return None; // below 1e-6: JavaScript writes an exponent
        }
        // Up to 15 significant digits name one double alone, so they are its
        // shortest spelling: most numbers have no more digits than that at all.
        if int.len() + frac.len() <= 15 {
            return Some(q);
        }
        // Significant digits, from the first non-zero one to the last non-zero one.
        let sig = if zero_int {
            frac.len() - frac.iter().take_while(|&&b| b == b'0').count()
        } else if frac.is_empty() {
            int.len() - int.iter().rev().take_while(|&&b| b == b'0').count()
        } else {
            int.len() + frac.len()
        };
        // More must survive the round trip. (ryu writes the shortest digits
        // too; where it picks an exponent or a trailing ".0" the answer is a
        // conservative no.)
        if sig > 15 {
            let text = std::str::from_utf8(&line[p..q]).ok()?;
            let x: f64 = text.parse().ok()?;
            if self.num.format_finite(x).as_bytes() != text.as_bytes() {
                return None;
            }
        }
        Some(q)
    }
}

/// The index of the first byte from `q` on that is not an ASCII digit.
/// Eight bytes at a time: a digit is 0x30-0x39, so its high nibble is 3 and
/// stays 3 when 6 is added; in the first non-digit byte one of the two is
/// not 3 (a carry only runs upwards, from that byte on).
#[inline]
fn digits(line: &[u8], mut q: usize) -> usize {
    const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    while let Some(chunk) = line.get(q..q + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap());
        let other = ((w & HIGH_NIBBLES) ^ THREES) | ((w.wrapping_add(ONES * 6) & HIGH_NIBBLES) ^ THREES);
        if other != 0 {
            return q + (other.trailing_zeros() / 8) as usize;
        }
        q += 8;
    }
    while q < line.len() && line[q].is_ascii_digit() {
        q += 1;
    }
    q
}

/// The index after the string starting at `p` (a quote), if it is escaped as JSON.stringify escapes.
fn string(line: &[u8], p: usize) -> Option<usize> {
    if line.get(p) != Some(&b'"') {
        return None;
    }
    let mut q = p + 1;
    loop {
        q = plain_run(line, q);
        match *line.get(q)? {
            b'"' => return Some(q + 1),
            b'\\' => match *line.get(q + 1)? {
                b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' => q += 2,
                _ => return None,
            },
            _ => return None, // a control character
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Where the run of plain string bytes from `q` ends: at the first quote,
/// backslash or control character, or at the end of the line. Eight bytes at
/// a time: in `(w - n * ONES) & !w & HIGHS` the lowest set bit marks the
/// first byte below n (a borrow only ever runs upwards from such a byte), so
/// with w XORed with a byte's copies, the first copy of that byte.
#[inline]
fn plain_run(line: &[u8], mut q: usize) -> usize {
    while let Some(chunk) = line.get(q..q + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap());
        let quote = w ^ (ONES * b'"' as u64);
        let backslash = w ^ (ONES * b'\\' as u64);
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let hits = hits & HIGHS;
        if hits != 0 {
            return q + (hits.trailing_zeros() / 8) as usize;
        }
        q += 8;
    }
    while q < line.len() && !matches!(line[q], b'"' | b'\\' | 0..=0x1f) {
        q += 1;
    }
    q
}

/// A hash of a key for the repeated-key filter, from its length and its
/// first and last (up to) eight bytes: keys are short, and two keys that
/// share a hash are only compared byte for byte.
#[inline]
fn key_hash(key: &[u8]) -> u64 {
    let n = key.len();
    let (a, b) = if n >= 8 {
        (load(&key[..8]), load(&key[n - 8..]))
    } else if n >= 4 {
        (load(&key[..4]), load(&key[n - 4..]))
    } else {
        (load(key), 0)
    };
    let h = (a ^ (n as u64).rotate_left(56)).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b;
    h.wrapping_mul(0xff51_afd7_ed55_8ccd) ^ (h >> 29)
}

/// The word and bit of a key in a 1024-bit filter of key hashes.
#[inline]
fn filter_bit(key: &[u8]) -> (usize, u64) {
    let bit = (key_hash(key) >> 54) as usize;
    (bit >> 6, 1u64 << (bit & 63))
}

/// Up to eight bytes as a little-endian number.
#[inline]
fn load(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

fn literal(line: &[u8], p: usize, word: &[u8]) -> Option<usize> {
    line[p..].starts_with(word).then_some(p + word.len())
}

/// A line's flag: the line is canonical (see Canonical).
pub const CANONICAL: u8 = 1;
/// With CANONICAL: the line is all ASCII (a reader may decode it as Latin-1, a plain copy).
pub const ASCII: u8 = 2;
/// With CANONICAL: the line holds a watched key (see canonical_lines_watching).
pub const WATCHED: u8 = 4;

/// One flag per line of `text` (split at `\n`, a `\r` before it left out):
/// CANONICAL, and ASCII with it where the line is all ASCII; 0 elsewhere.
pub fn canonical_lines(text: &[u8]) -> Vec<u8> {
    canonical_lines_watching(text, &[])
}

/// canonical_lines, with WATCHED also set on a canonical line that holds one of
/// `watch` as a top-level key (keys as they are spelled in the text: a
/// reader that must not take such a line as text parses it instead).
pub fn canonical_lines_watching(text: &[u8], watch: &[&[u8]]) -> Vec<u8> {
    let mut c = Canonical::default();
    for w in watch {
        let (word, mask) = filter_bit(w);
        c.watch_bits[word] |= mask;
        c.watch.push(w.to_vec());
    }
    // Kafka messages of flow records are ASCII throughout: one scan of the
    // whole text then stands for every line's UTF-8 check and ASCII flag.
    let ascii = text.is_ascii();
    let mut out = Vec::with_capacity(text.len() / 256 + 1);
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let l = &text[start..end];
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        out.push(if c.check(l, ascii) {
            CANONICAL | if ascii || l.is_ascii() { ASCII } else { 0 } | if c.watched { WATCHED } else { 0 }
        } else {
            0
        });
        if end == text.len() {
            return out;
        }
        start = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_objects_are_told_from_other_spellings() {
        let mut c = Canonical::default();
        let yes: &[&[u8]] = &[
            b"{}",
            b"{\"a\":1,\"b\":\"x\\\"y\\n\",\"c\":[1,[true,false,null],\"\"],\"d\":-0.5}",
            b"{\"t\":1700000025.321462,\"r\":0.062332,\"n\":0,\"m\":100000000000000000000,\"s\":0.000001}",
            "{\"city\":\"M\u{fc}nchen \u{2603}\",\"\":1,\"k1\":2}".as_bytes(),
            b"{\"big\":9007199254740993.5e0}", // not: exponent (checked below)
        ];
        for (i, l) in yes.iter().enumerate() {
            assert_eq!(c.is_canonical(l), i != 4, "{}", String::from_utf8_lossy(l));
        }
        let no: &[&[u8]] = &[
            b"{ }",
            b"{\"a\": 1}",
            b"{\"a\":1 }",
            b"{\"a\":1,\"a\":2}",
            b"{\"1\":1}",
            b"{\"a\":1.50}",
            b"{\"a\":01}",
            b"{\"a\":-0}",
            b"{\"a\":1e3}",
            b"{\"a\":0.0000001}",
            b"{\"a\":1000000000000000000000}",
            b"{\"a\":0.10000000000000001}",
            b"{\"a\":12345678901234567890}",
            b"{\"a\":\"\\u0041\"}",
            b"{\"a\":\"\\/\"}",
            b"{\"a\":{\"b\":1}}",
            b"{\"a\":1}x",
            b"[1]",
            b"{\"a\":tru}",
            b"{\"a\":\"\xff\"}",
        ];
        for l in no {
            assert!(!c.is_canonical(l), "{}", String::from_utf8_lossy(l));
        }
    }

    #[test]
    fn repeated_keys_are_found_among_many() {
        let mut c = Canonical::default();
        let mut line = String::from("{");
        for i in 0..300 {
            line.push_str(&format!("\"key{i}\":{i},"));
        }
        let distinct = format!("{}\"last\":0}}", line);
        let repeated = format!("{}\"key123\":0}}", line);
        assert!(c.is_canonical(distinct.as_bytes()));
        assert!(!c.is_canonical(repeated.as_bytes()));
    }

    #[test]
    fn plain_runs_end_where_a_byte_by_byte_scan_ends() {
        // Every position of a quote, backslash or control byte among plain
        // bytes (ASCII and UTF-8 high bytes), at every offset and length.
        let fill = "ab\u{e9}\u{2603}xyz0123456789".as_bytes();
        for len in 0..40 {
            let base: Vec<u8> = fill.iter().cycle().take(len).copied().collect();
            let naive = |l: &[u8], q: usize| (q..l.len()).find(|&i| matches!(l[i], b'"' | b'\\' | 0..=0x1f)).unwrap_or(l.len());
            for q in 0..=len {
                assert_eq!(plain_run(&base, q), naive(&base, q));
            }
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut l = base.clone();
                    l[at] = special;
                    for q in 0..=len {
                        assert_eq!(plain_run(&l, q), naive(&l, q), "{l:?} from {q}");
                    }
                }
            }
        }
        for b in 0x20..=0xffu8 {
            let l = [b; 9];
            let want = if b == b'"' || b == b'\\' { 0 } else { 9 };
            assert_eq!(plain_run(&l, 0), want, "byte {b:#x}");
        }
    }

    #[test]
    fn digit_runs_end_where_a_byte_by_byte_scan_ends() {
        let naive = |l: &[u8], q: usize| (q..l.len()).find(|&i| !l[i].is_ascii_digit()).unwrap_or(l.len());
        for len in 0..24 {
            let base: Vec<u8> = b"0123456789".iter().cycle().take(len).copied().collect();
            for q in 0..=len {
                assert_eq!(digits(&base, q), naive(&base, q));
            }
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut l = base.clone();
                    l[at] = b;
                    assert_eq!(digits(&l, 0), naive(&l, 0), "{l:?}");
                    assert_eq!(digits(&l, at.min(3)), naive(&l, at.min(3)), "{l:?}");
                }
            }
        }
    }

    #[test]
    fn watched_keys_are_flagged_at_the_top_level_only() {
        let text = b"{\"a\":1,\"sco\":\"GB\"}\n{\"a\":[\"sco\"],\"x\":\"sco\"}\n{\"scox\":1,\"sc\":2}\n{\"sco\": 1}\n{\"dasorg\":\"x\"}";
        assert_eq!(canonical_lines_watching(text, &[b"sco", b"dasorg"]), vec![7, 3, 3, 0, 7]);
        assert_eq!(canonical_lines(text), vec![3, 3, 3, 0, 3]);
    }

    #[test]
    fn flags_one_per_line_without_carriage_returns() {
        assert_eq!(
            canonical_lines("{\"a\":1}\r\n{ }\n\n{\"b\":2}\n{\"c\":\"\u{e9}\"}".as_bytes()),
            vec![3, 0, 0, 3, 1]
        );
    }
}
