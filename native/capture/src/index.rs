//! The flow table's index, from a flow key's hash to the flow's slab slot:
//! open addressing with linear probing over 8-byte buckets (32 bits of the
//! hash and the slot), kept at most half full. The keys stay in the slab; a
//! lookup compares the key of a candidate slot only when its 32 hash bits
//! match, which is nearly always the slot sought. Removal shifts the rest of
//! the probe run back, so there are no tombstones and lookups never slow down.

pub struct Index {
    /// 0: empty; otherwise `tag << 32 | (slot + 1)`.
    buckets: Vec<u64>,
    mask: usize,
    len: usize,
}

/// The 32 hash bits kept in a bucket; their low bits also pick its home bucket.
#[inline(always)]
fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

impl Default for Index {
    fn default() -> Index {
        Index { buckets: vec![0; 1024], mask: 1023, len: 0 }
    }
}

impl Index {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot whose key has this hash and satisfies `is_key`.
    #[inline(always)]
    pub fn find(&self, hash: u64, is_key: impl Fn(u32) -> bool) -> Option<u32> {
        let t = tag(hash);
        let mut i = t as usize & self.mask;
        loop {
            let b = self.buckets[i];
            if b == 0 {
                return None;
            }
            if (b >> 32) as u32 == t && is_key(b as u32 - 1) {
                return Some(b as u32 - 1);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The bucket where a lookup of `hash` starts (0 when empty).
    #[inline(always)]
    pub fn home(&self, hash: u64) -> u64 {
        self.buckets[tag(hash) as usize & self.mask]
    }

    /// Asks the processor to start loading the bucket where a lookup of
    /// `hash` starts. Changes nothing.
    #[inline(always)]
    pub fn prefetch(&self, hash: u64) {
        crate::flow::prefetch(&self.buckets[tag(hash) as usize & self.mask]);
    }

    /// The slot in the bucket where a lookup of `hash` starts, when that
    /// bucket holds this hash's tag: nearly always the slot a lookup will find.
    #[inline(always)]
    pub fn likely_slot(&self, hash: u64) -> Option<u32> {
        let b = self.home(hash);
        (b != 0 && (b >> 32) as u32 == tag(hash)).then(|| b as u32 - 1)
    }

    /// Adds `slot` under `hash` (the caller knows it is not there yet).
    /// `hash_of` gives the hash of a slot already indexed, for growing.
    pub fn insert(&mut self, hash: u64, slot: u32, hash_of: impl Fn(u32) -> u64) {
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow(hash_of);
        }
        self.place(tag(hash), slot);
        self.len += 1;
    }

    fn place(&mut self, t: u32, slot: u32) {
        let mut i = t as usize & self.mask;
        while self.buckets[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.buckets[i] = (t as u64) << 32 | (slot as u64 + 1);
    }

    fn grow(&mut self, hash_of: impl Fn(u32) -> u64) {
        let doubled = vec![0; self.buckets.len() * 2];
        let old = std::mem::replace(&mut self.buckets, doubled);
        self.mask = self.buckets.len() - 1;
        for b in old.into_iter().filter(|&b| b != 0) {
            let slot = b as u32 - 1;
            self.place(tag(hash_of(slot)), slot);
        }
    }

    /// Removes `slot`, indexed under `hash`; false if it was not there.
    pub fn remove(&mut self, hash: u64, slot: u32) -> bool {
        let want = (tag(hash) as u64) << 32 | (slot as u64 + 1);
        let mut i = tag(hash) as usize & self.mask;
        loop {
            match self.buckets[i] {
                0 => return false,
                b if b == want => break,
                _ => i = (i + 1) & self.mask,
            }
        }
        // Backward shift: move each later entry of the run into the hole when
        // its home bucket is not between the hole and where it sits.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & self.mask;
            let b = self.buckets[j];
            if b == 0 {
                break;
            }
            let home = (b >> 32) as usize & self.mask;
            let dist_home = j.wrapping_sub(home) & self.mask;
            let dist_hole = j.wrapping_sub(hole) & self.mask;
            if dist_home >= dist_hole {
                self.buckets[hole] = b;
                hole = j;
            }
        }
        self.buckets[hole] = 0;
        self.len -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A poor hash (many equal home buckets and tags) to exercise long runs.
    fn h(k: u32) -> u64 {
        ((k % 97) as u64) << 40 | ((k % 13) as u64) << 32
    }

    #[test]
    fn agrees_with_a_hash_map_through_inserts_and_removes() {
        let mut ix = Index::default();
        let mut truth: HashMap<u32, u32> = HashMap::new(); // key -> slot
        let mut slot_key: Vec<u32> = Vec::new();
        let mut x = 12345u64;
        for step in 0..200_000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let k = (x >> 33) as u32 % 5000;
            let found = ix.find(h(k), |s| slot_key[s as usize] == k);
            assert_eq!(found, truth.get(&k).copied(), "step {step}");
            match found {
                Some(s) if x & 1 == 0 => {
                    assert!(ix.remove(h(k), s));
                    truth.remove(&k);
                }
                Some(_) => {}
                None => {
                    let s = slot_key.len() as u32;
                    slot_key.push(k);
                    ix.insert(h(k), s, |s| h(slot_key[s as usize]));
                    truth.insert(k, s);
                }
            }
            assert_eq!(ix.len(), truth.len());
        }
        for (&k, &s) in &truth {
            assert_eq!(ix.find(h(k), |c| slot_key[c as usize] == k), Some(s));
        }
    }
}
