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
    /// Key spellings of lines already checked, the one used last first.
    templates: Vec<Template>,
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
    /// Inlined for the common numbers; longer ones go to `long_number`.
    #[inline(always)]
    fn number(&mut self, line: &[u8], p: usize) -> Option<usize> {
        let negative = line[p] == b'-';
        let int_start = p + negative as usize;
        // line[p] is a minus or a digit: the digit run goes on from p + 1.
        let int_end = digits(line, p + 1);
        let int = &line[int_start..int_end];
        let (frac, q) = match line.get(int_end) {
            Some(b'.') => {
                let q = digits(line, int_end + 1);
                (Some(&line[int_end + 1..q]), q)
            }
            _ => (None, int_end),
        };
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') || matches!(line.get(q), Some(b'e' | b'E')) {
            return None;
        }
        let zero_int = int.len() == 1 && int[0] == b'0';
        let frac = match frac {
            None if zero_int => return (!negative).then_some(q),
            None => &[][..],
            // No trailing zero; and below 1e-6 JavaScript writes an exponent.
            Some(f) if f.last().is_none_or(|&d| d == b'0') || (zero_int && f.starts_with(b"000000")) => return None,
            Some(f) => f,
        };
        // Up to 15 significant digits name one double alone, so they are its
        // shortest spelling: most numbers have no more digits than that at all.
        if int.len() + frac.len() <= 15 {
            return Some(q);
        }
        self.long_number(line, p, q, int, frac)
    }

    /// `number` past 15 digits, where they may not be the shortest spelling.
    #[inline(never)]
    fn long_number(&mut self, line: &[u8], p: usize, q: usize, int: &[u8], frac: &[u8]) -> Option<usize> {
        if int.len() > 21 {
            return None; // 1e21 and above: JavaScript writes an exponent
        }
        let zero_int = int == b"0";
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
        if sig > 15 && !only_spelling(int, frac) {
            let text = std::str::from_utf8(&line[p..q]).ok()?;
            let x: f64 = text.parse().ok()?;
            if self.num.format_finite(x).as_bytes() != text.as_bytes() {
                return None;
            }
        }
        Some(q)
    }
}

/// Templates kept per message (see Template).
const TEMPLATES: usize = 4;

/// The member keys of a line `check` found canonical and all ASCII, spelled
/// as they are between the values: `{"uid":`, then `,"seq":` and so on.
/// The records of one producer mostly have one of a few such shapes, and a
/// line whose keys are a template's, in order, has no repeated or index key
/// either, and the same watched flag: `fast` then only compares the key
/// bytes, sixteen at a time, and checks the values.
struct Template {
    /// Each key's spelling, its separator before it and colon after it
    /// included, and sixteen bytes of padding at the end, so that sixteen
    /// bytes can be read from where any key starts.
    bytes: Vec<u8>,
    /// Each key's range in `bytes`.
    keys: Vec<(usize, usize)>,
    watched: bool,
}

impl Canonical {
    /// The flags of the line `text[start..end]` when it has the keys of a
    /// template, in order, and values that are numbers, literals and strings
    /// with no escape, each spelled canonically; None where it is anything
    /// else, for `check` to answer.
    fn fast(&mut self, text: &[u8], start: usize, end: usize) -> Option<u8> {
        let line = &text[start..end];
        for t in 0..self.templates.len() {
            if let Some(flags) = self.matches(text, start, line, t) {
                // The template that fits goes first for the next line.
                self.templates.swap(0, t);
                return Some(flags);
            }
        }
        None
    }

    fn matches(&mut self, text: &[u8], start: usize, line: &[u8], t: usize) -> Option<u8> {
        let mut p = 0;
        for i in 0..self.templates[t].keys.len() {
            let tpl = &self.templates[t];
            let (s, e) = tpl.keys[i];
            if !same_bytes(text, start + p, &tpl.bytes, s, e) {
                return None;
            }
            p += e - s;
            p = match *line.get(p)? {
                b'"' => string_end(text, start + p + 1)? - start + 1,
                b'-' | b'0'..=b'9' => self.number(line, p)?,
                b't' => literal(line, p, b"true")?,
                b'f' => literal(line, p, b"false")?,
                b'n' => literal(line, p, b"null")?,
                _ => return None,
            };
        }
        let tpl = &self.templates[t];
        (p + 1 == line.len() && line[p] == b'}')
            .then_some(CANONICAL | ASCII | if tpl.watched { WATCHED } else { 0 })
    }

    /// Keeps the keys of `line`, which `check` has just found canonical and
    /// which is all ASCII, as a template, in place of the one used least lately.
    fn learn(&mut self, line: &[u8]) {
        if self.keys.is_empty() {
            return;
        }
        let mut t = if self.templates.len() < TEMPLATES {
            Template { bytes: Vec::new(), keys: Vec::new(), watched: false }
        } else {
            self.templates.pop().unwrap()
        };
        t.bytes.clear();
        t.keys.clear();
        for &(s, e) in &self.keys {
            // The separator before the key's opening quote, the colon after its closing one.
            let spelled = &line[s - 2..e + 2];
            let at = t.bytes.len();
            t.bytes.extend_from_slice(spelled);
            t.keys.push((at, t.bytes.len()));
        }
        t.bytes.extend_from_slice(&[0; 16]);
        t.watched = self.watched;
        self.templates.insert(0, t);
    }
}

/// Whether the bytes of `text` at `at` are `spelled[s..e]` (a template's
/// bytes, padded: sixteen can be read from `s`): one compare of sixteen
/// bytes for most keys.
#[inline(always)]
fn same_bytes(text: &[u8], at: usize, spelled: &[u8], s: usize, e: usize) -> bool {
    let want = &spelled[s..e];
    #[cfg(target_arch = "x86_64")]
    if want.len() <= 16 && at + 16 <= text.len() && s + 16 <= spelled.len() {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86-64; both loads read 16 bytes in bounds.
        let equal = unsafe {
            let x = _mm_loadu_si128(text.as_ptr().add(at) as *const __m128i);
            let y = _mm_loadu_si128(spelled.as_ptr().add(s) as *const __m128i);
            _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) as u32
        };
        let mask = (1u32 << want.len()) - 1;
        return equal & mask == mask;
    }
    text.get(at..at + want.len()) == Some(want)
}

/// The index of the quote that ends the string whose bytes start at `q`, if
/// none of them is a backslash, a control byte (a newline among them) or a
/// byte above ASCII; None otherwise, for `check` to answer.
#[inline(always)]
fn string_end(text: &[u8], mut q: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    while q + 16 <= text.len() {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86-64; the load reads 16 bytes in bounds.
        let (quotes, other) = unsafe {
            let x = _mm_loadu_si128(text.as_ptr().add(q) as *const __m128i);
            let quotes = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8))) as u32;
            // A signed compare: bytes above 0x7f are negative, so below 0x20 too.
            let other = _mm_or_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8)),
                _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
            );
            (quotes, _mm_movemask_epi8(other) as u32)
        };
        if quotes | other != 0 {
            let first = (quotes | other).trailing_zeros();
            return (other & (1 << first) == 0).then_some(q + first as usize);
        }
        q += 16;
    }
    loop {
        match *text.get(q)? {
            b'"' => return Some(q),
            b'\\' | 0..=0x1f | 0x80..=0xff => return None,
            _ => q += 1,
        }
    }
}

/// Exact powers of ten as doubles (10^22 is the last).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// True when `int.frac` (a fraction that does not end in 0) is the only
/// spelling of its double with this few digits: neither neighbour with one
/// digit less names the same double, so no shorter spelling does (the
/// spellings of a double fill an interval round it), and neither neighbour
/// with as many digits does. JavaScript then writes exactly these digits.
/// False also where it cannot tell cheaply: the number's digits as an
/// integer M must be below 2^53 and the fraction at most 22 digits, so that
/// M / 10^f, one division of exact doubles, is the correctly rounded value
/// (Clinger's fast path) for M and each neighbour.
fn only_spelling(int: &[u8], frac: &[u8]) -> bool {
    let f = frac.len();
    // Nineteen digits always fit in 64 bits.
    if f == 0 || f > 22 || int.len() + f > 19 {
        return false;
    }
    let decimal = |m: u64, digits: &[u8]| digits.iter().fold(m, |m, &d| m * 10 + (d - b'0') as u64);
    let m = decimal(decimal(0, int), frac);
    if m >= 1 << 53 {
        return false;
    }
    let at = |m: u64, f: usize| m as f64 / POW10[f];
    let x = at(m, f);
    let shorter = m / 10;
    x != at(shorter, f - 1) && x != at(shorter + 1, f - 1) && x != at(m - 1, f) && x != at(m + 1, f)
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
    lines(text, watch, true)
}

/// canonical_lines_watching without the fast path: what it must agree with.
#[doc(hidden)]
pub fn canonical_lines_checked_one_by_one(text: &[u8], watch: &[&[u8]]) -> Vec<u8> {
    lines(text, watch, false)
}

fn lines(text: &[u8], watch: &[&[u8]], fast: bool) -> Vec<u8> {
    let mut c = Canonical::default();
    for w in watch {
        let (word, mask) = filter_bit(w);
        c.watch_bits[word] |= mask;
        c.watch.push(w.to_vec());
    }
    // Kafka messages of flow records are ASCII throughout: one scan of the
    // whole text then stands for every line's UTF-8 check and ASCII flag in
    // `check`, made when a line first needs it (most take the fast path).
    let mut ascii: Option<bool> = None;
    let mut out = Vec::with_capacity(text.len() / 256 + 1);
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let l = &text[start..end];
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let flags = match if fast { c.fast(text, start, start + l.len()) } else { None } {
            Some(flags) => flags,
            None => {
                let all_ascii = *ascii.get_or_insert_with(|| text.is_ascii());
                if c.check(l, all_ascii) {
                    let l_ascii = all_ascii || l.is_ascii();
                    if fast && l_ascii {
                        c.learn(l);
                    }
                    CANONICAL | if l_ascii { ASCII } else { 0 } | if c.watched { WATCHED } else { 0 }
                } else {
                    0
                }
            }
        };
        out.push(flags);
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

    /// A small deterministic generator (xorshift), for the tests below.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// What JavaScript writes for the double a number names, where it uses
    /// decimal notation (from 1e-6 to below 1e21): ryu's shortest digits (on
    /// a tie the digits JavaScript picks too, which Rust's Display does not
    /// always), written out without an exponent.
    fn js_spelling(text: &str) -> Option<String> {
        let x: f64 = text.parse().ok()?;
        if x == 0.0 {
            return Some("0".into());
        }
        if !(1e-6..1e21).contains(&x.abs()) {
            return None;
        }
        let short = ryu::Buffer::new().format_finite(x.abs()).to_string();
        let (mantissa, exp) = short.split_once('e').map_or((short.as_str(), 0), |(m, e)| (m, e.parse::<i32>().unwrap()));
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let frac = frac.trim_end_matches('0');
        // All the digits, and where the point goes among them.
        let digits = format!("{int}{frac}");
        let point = int.len() as i32 + exp;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat(-point as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{digits}{}", "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        let body = body.trim_start_matches('0');
        let body = if body.starts_with('.') || body.is_empty() { format!("0{body}") } else { body.to_string() };
        Some(if x < 0.0 { format!("-{body}") } else { body })
    }

    fn random_number(r: &mut Rng) -> String {
        let mut t = String::new();
        if r.below(8) == 0 {
            t.push('-');
        }
        match r.below(6) {
            // A sensor's time: seconds and microseconds.
            0 => t.push_str(&format!("{}.{:06}", 1_600_000_000 + r.below(200_000_000), r.below(1_000_000))),
            1 => t.push_str(&format!("0.{:0w$}", r.below(1_000_000_000), w = 1 + r.below(12) as usize)),
            2 => t.push_str(&format!("{}", r.below(1 << 53) + (r.below(3) << 53))),
            _ => {
                let digits: String = (0..1 + r.below(20)).map(|_| char::from(b'0' + r.below(10) as u8)).collect();
                let point = r.below(digits.len() as u64 + 1) as usize;
                t.push_str(&digits[..point.max(1)]);
                if point > 0 && point < digits.len() {
                    t.push('.');
                    t.push_str(&digits[point..]);
                } else if r.below(8) == 0 {
                    t.push('.');
                }
            }
        }
        t
    }

    #[test]
    fn numbers_are_canonical_only_as_javascript_spells_them() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let mut c = Canonical::default();
        let (mut yes, mut long_yes) = (0, 0);
        for _ in 0..200_000 {
            let t = random_number(&mut r);
            let line = format!("{{\"n\":{t}}}");
            let js = js_spelling(&t).is_some_and(|s| s == t);
            let ours = c.is_canonical(line.as_bytes());
            // Never a yes JavaScript would not write; a no is allowed only
            // where `number` is conservative, past 15 digits.
            assert!(!ours || js, "{t}");
            let digits = t.bytes().filter(u8::is_ascii_digit).count();
            if js && !ours {
                assert!(digits > 15, "{t}");
            }
            yes += ours as usize;
            long_yes += (ours && digits > 15) as usize;
        }
        assert!(yes > 50_000 && long_yes > 10_000, "{yes} {long_yes}");
        // Neighbours that name one double: only the one JavaScript writes (node's answers).
        assert!(!c.is_canonical(b"{\"n\":9007199254740993}"));
        assert!(c.is_canonical(b"{\"n\":1446783177829097.2}"));
        assert!(!c.is_canonical(b"{\"n\":1446783177829097.3}"));
        assert!(c.is_canonical(b"{\"n\":0.1000000000000001}"));
        assert!(!c.is_canonical(b"{\"n\":0.10000000000000001}"));
        assert!(c.is_canonical(b"{\"n\":1700000000.123456}"));
    }

    /// A line of a flow record, sometimes damaged, for the fast path to
    /// meet: shapes that repeat, and every way a line can leave them.
    fn random_line(r: &mut Rng) -> Vec<u8> {
        const KEYS: [&str; 9] = ["uid", "seq", "stime", "saddr", "sco", "proto", "x", "dasorg", "n"];
        let shape = r.below(5);
        let mut l = String::from("{");
        for (i, k) in KEYS.iter().enumerate() {
            if (shape + i as u64) % 4 == 0 && r.below(4) != 0 {
                continue;
            }
            if l.len() > 1 {
                l.push(',');
            }
            l.push_str(&format!("\"{k}\":"));
            match r.below(12) {
                0..=3 => l.push_str(&random_number(r)),
                4..=6 => l.push_str(&format!("\"10.0.{}.{}\"", r.below(256), r.below(256))),
                7 => l.push_str(["true", "false", "null", "tru", "[1,\"a\"]"][r.below(5) as usize]),
                8 => l.push_str(["\"a\\\"b\"", "\"M\u{fc}nchen\"", "\"\\u0041\"", "\"\"", "\"a\tb\""][r.below(5) as usize]),
                _ => l.push_str(&format!("\"{}\"", "xyz".repeat(r.below(12) as usize))),
            }
        }
        l.push('}');
        let mut b = l.into_bytes();
        match r.below(10) {
            0 => {
                let at = r.below(b.len() as u64) as usize;
                b[at] = r.below(256) as u8;
            }
            1 => {
                let at = r.below(b.len() as u64) as usize;
                b.insert(at, [b' ', b'"', b',', b':', b'}', b'\\', b'{', b'\r'][r.below(8) as usize]);
            }
            2 => b.truncate(r.below(b.len() as u64) as usize),
            3 => {
                // A key repeated, or one key spelled as another.
                let text = String::from_utf8_lossy(&b).replace("\"sco\"", "\"uid\"").replace("\"n\"", "\"12\"");
                b = text.into_bytes();
            }
            _ => {}
        }
        b
    }

    #[test]
    fn the_fast_path_answers_as_the_one_by_one_check() {
        let mut r = Rng(42);
        let watch: [&[u8]; 2] = [b"sco", b"dasorg"];
        let mut canonical = 0;
        for _ in 0..300 {
            let lines: Vec<Vec<u8>> = (0..1 + r.below(200)).map(|_| random_line(&mut r)).collect();
            let mut text = lines.join(&b'\n');
            if r.below(4) == 0 {
                text.push(b'\n');
            }
            let fast = canonical_lines_watching(&text, &watch);
            assert_eq!(fast, canonical_lines_checked_one_by_one(&text, &watch), "{}", String::from_utf8_lossy(&text));
            canonical += fast.iter().filter(|&&f| f & CANONICAL != 0).count();
        }
        assert!(canonical > 5_000, "{canonical}");
    }

    #[test]
    fn a_line_with_the_keys_of_one_before_takes_the_fast_path() {
        let mut c = Canonical::default();
        let a = b"{\"uid\":\"a\",\"stime\":1700000000.123456,\"sco\":\"GB\",\"ok\":true}";
        let b = b"{\"uid\":\"bb\",\"stime\":1700000001.5,\"sco\":\"FR\",\"ok\":null}";
        assert_eq!(c.fast(a, 0, a.len()), None);
        assert!(c.check(a, false));
        c.learn(a);
        assert_eq!(c.fast(b, 0, b.len()), Some(CANONICAL | ASCII));
        // Another key, an escape, a byte above ASCII: `check` answers.
        for other in [&b"{\"uid\":\"bb\",\"stime\":1,\"scx\":\"FR\",\"ok\":null}"[..], b"{\"uid\":\"\\n\",\"stime\":1,\"sco\":\"FR\",\"ok\":null}", "{\"uid\":\"\u{e9}\",\"stime\":1,\"sco\":\"FR\",\"ok\":null}".as_bytes()] {
            assert_eq!(c.fast(other, 0, other.len()), None, "{}", String::from_utf8_lossy(other));
        }
        let watching = canonical_lines_watching(&[&a[..], b"\n", b].concat(), &[b"sco"]);
        assert_eq!(watching, vec![CANONICAL | ASCII | WATCHED; 2]);
    }
}
