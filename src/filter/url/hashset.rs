//! A compact set of strings for multi-million-entry block lists: the 64-bit xxh3 hash of each
//! normalised entry in a sorted `Vec<u64>`, plus a bucket index on the top bits so a lookup is
//! one bucket read and a binary search over ~4 keys. The UT1 adult list (4.56 M domains) takes
//! 36 MB of keys + 4 MB of index, shared by every thread.
//!
//! The entry text is not kept: a hit is reported as the looked-up string (the host suffix or URL
//! key), which equals the entry unless two strings share a 64-bit hash (for a few million entries
//! the chance that any given lookup collides is about 1e-13).

use xxhash_rust::xxh3::xxh3_64;

/// Hash of a normalised entry or lookup key.
#[inline]
pub fn key_hash(s: &[u8]) -> u64 {
    xxh3_64(s)
}

/// A sorted, deduplicated set of 64-bit hashes with a bucket index.
#[derive(Debug, Default)]
pub struct HashedSet {
    keys: Vec<u64>,
    /// `buckets[i]` = first position whose key's top `bits` bits are ≥ i; `2^bits + 1` entries.
    buckets: Vec<u32>,
    bits: u32,
}

impl HashedSet {
    /// Build from hashes in any order (duplicates allowed).
    ///
    /// The hashes are uniform, so instead of a comparison sort the keys are scattered by their
    /// top `bits` bits (a counting sort: two passes), then each bucket (≈ 4–8 keys) is sorted
    /// and deduplicated where it lies; the bucket index falls out of it. For the UT1 adult list
    /// (4.56 M domains) that is ≈ 0.07 CPU-s where sorting the whole vector took ≈ 0.11 (perf
    /// samples, one core; BENCHMARKS.md).
    pub fn from_hashes(mut keys: Vec<u64>) -> HashedSet {
        assert!(
            keys.len() < u32::MAX as usize,
            "list too large for a u32 index"
        );
        let bits = index_bits(keys.len());
        if bits == 0 {
            keys.sort_unstable();
            keys.dedup();
            keys.shrink_to_fit();
            return HashedSet {
                keys,
                buckets: Vec::new(),
                bits,
            };
        }
        let n = 1usize << bits;
        let bucket = |k: u64| (k >> (64 - bits)) as usize;
        // starts[b] = first slot of bucket b.
        let mut starts = vec![0u32; n + 1];
        for &k in &keys {
            starts[bucket(k) + 1] += 1;
        }
        for b in 0..n {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        let mut sorted = vec![0u64; keys.len()];
        for &k in &keys {
            let slot = &mut next[bucket(k)];
            sorted[*slot as usize] = k;
            *slot += 1;
        }
        drop(keys);
        // Sort each bucket, and compact the distinct keys to the front (w never passes the
        // bucket being read); a duplicate always falls in its twin's bucket.
        let mut buckets = Vec::with_capacity(n + 1);
        let mut w = 0usize;
        for b in 0..n {
            let (lo, hi) = (starts[b] as usize, starts[b + 1] as usize);
            sorted[lo..hi].sort_unstable();
            buckets.push(w as u32);
            for i in lo..hi {
                let k = sorted[i];
                if i == lo || k != sorted[i - 1] {
                    sorted[w] = k;
                    w += 1;
                }
            }
        }
        buckets.push(w as u32);
        sorted.truncate(w);
        sorted.shrink_to_fit();
        HashedSet {
            keys: sorted,
            buckets,
            bits,
        }
    }

    /// Whether the hash is in the set.
    #[inline]
    pub fn contains(&self, h: u64) -> bool {
        let slice = if self.bits == 0 {
            &self.keys[..]
        } else {
            let b = (h >> (64 - self.bits)) as usize;
            &self.keys[self.buckets[b] as usize..self.buckets[b + 1] as usize]
        };
        slice.binary_search(&h).is_ok()
    }

    /// Number of distinct entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// What a compiled copy of the set stores: index bits, sorted keys, bucket index.
    pub fn parts(&self) -> (u32, &[u64], &[u32]) {
        (self.bits, &self.keys, &self.buckets)
    }

    /// The set back from [`HashedSet::parts`] read from a file, checked first: a set that
    /// answers wrongly (or indexes out of bounds) must never come out of a damaged copy.
    pub fn from_parts(bits: u32, keys: Vec<u64>, buckets: Vec<u32>) -> Result<HashedSet, String> {
        if bits > 26 || keys.len() >= u32::MAX as usize {
            return Err(format!("{bits} index bits for {} keys", keys.len()));
        }
        if bits == 0 {
            if !buckets.is_empty() {
                return Err("a bucket index without index bits".into());
            }
            if keys.windows(2).any(|w| w[0] >= w[1]) {
                return Err("keys out of order".into());
            }
            return Ok(HashedSet {
                keys,
                buckets,
                bits,
            });
        }
        let n = 1usize << bits;
        if buckets.len() != n + 1 || buckets[0] != 0 || buckets[n] as usize != keys.len() {
            return Err("bucket index does not span the keys".into());
        }
        for b in 0..n {
            let (lo, hi) = (buckets[b] as usize, buckets[b + 1] as usize);
            if lo > hi {
                return Err(format!("bucket {b} ends before it starts"));
            }
            let bucket = &keys[lo..hi];
            if bucket.iter().any(|&k| (k >> (64 - bits)) as usize != b)
                || bucket.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(format!("keys of bucket {b} out of place"));
            }
        }
        Ok(HashedSet {
            keys,
            buckets,
            bits,
        })
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.buckets.capacity() * 4
    }
}

/// Bits of the bucket index for `len` keys: about 4–8 keys per bucket; none for small sets
/// (binary search is as fast there).
fn index_bits(len: usize) -> u32 {
    if len < 4096 {
        0
    } else {
        (usize::BITS - 1 - len.leading_zeros())
            .saturating_sub(2)
            .min(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_members_and_rejects_others_small_and_bucketed() {
        for n in [0usize, 1, 10, 5000, 200_000] {
            let members: Vec<u64> = (0..n as u64)
                .map(|i| key_hash(format!("m{i}.example").as_bytes()))
                .collect();
            let mut input = members.clone();
            input.extend_from_slice(&members[..n / 3]); // duplicates
            let set = HashedSet::from_hashes(input);
            assert_eq!(set.len(), n);
            for h in &members {
                assert!(set.contains(*h));
            }
            for i in 0..1000u64 {
                assert!(!set.contains(key_hash(format!("x{i}.example").as_bytes())));
            }
            // Extremes of the hash space hit the first and last buckets.
            assert!(!set.contains(0) || members.contains(&0));
            assert!(!set.contains(u64::MAX) || members.contains(&u64::MAX));
        }
    }

    #[test]
    fn parts_round_trip_and_damaged_parts_are_refused() {
        let set =
            HashedSet::from_hashes((0..50_000u64).map(|i| key_hash(&i.to_le_bytes())).collect());
        let (bits, keys, buckets) = set.parts();
        let back = HashedSet::from_parts(bits, keys.to_vec(), buckets.to_vec()).unwrap();
        assert_eq!((back.keys, back.buckets), (keys.to_vec(), buckets.to_vec()));
        let small = HashedSet::from_hashes(vec![3, 1, 2]);
        let (b, k, i) = small.parts();
        assert!(HashedSet::from_parts(b, k.to_vec(), i.to_vec())
            .unwrap()
            .contains(2));

        let mut swapped = keys.to_vec();
        swapped.swap(10, 11);
        assert!(HashedSet::from_parts(bits, swapped, buckets.to_vec()).is_err());
        let mut moved = keys.to_vec();
        moved[0] = u64::MAX; // right order is not enough: a key must sit in its own bucket
        assert!(HashedSet::from_parts(bits, moved, buckets.to_vec()).is_err());
        let mut short = buckets.to_vec();
        *short.last_mut().unwrap() -= 1;
        assert!(HashedSet::from_parts(bits, keys.to_vec(), short).is_err());
        let mut backwards = buckets.to_vec();
        backwards[5] = backwards[7] + 1;
        assert!(HashedSet::from_parts(bits, keys.to_vec(), backwards).is_err());
        assert!(HashedSet::from_parts(bits + 1, keys.to_vec(), buckets.to_vec()).is_err());
        assert!(HashedSet::from_parts(0, vec![2, 1], Vec::new()).is_err());
        assert!(HashedSet::from_parts(40, Vec::new(), Vec::new()).is_err());
    }

    #[test]
    fn keys_and_index_are_those_of_a_full_sort() {
        for n in [4095usize, 4096, 100_003] {
            // Duplicates and keys at the edges of buckets (low bits all 0 or all 1).
            let mut input: Vec<u64> = (0..n as u64).map(|i| key_hash(&i.to_le_bytes())).collect();
            input.extend((0..n as u64 / 5).map(|i| key_hash(&(i * 7).to_le_bytes())));
            input.extend([0, u64::MAX, 1 << 63, (1 << 63) - 1, 0, u64::MAX]);
            let mut want = input.clone();
            want.sort_unstable();
            want.dedup();
            let set = HashedSet::from_hashes(input);
            assert_eq!(set.keys, want);
            assert_eq!(set.bits, index_bits(n + n / 5 + 6));
            if set.bits > 0 {
                assert_eq!(set.buckets.len(), (1 << set.bits) + 1);
                for (b, &start) in set.buckets.iter().enumerate().take(1 << set.bits) {
                    let first = want.partition_point(|&k| ((k >> (64 - set.bits)) as usize) < b);
                    assert_eq!(start as usize, first, "bucket {b}");
                }
                assert_eq!(*set.buckets.last().unwrap() as usize, want.len());
            }
            for k in &want {
                assert!(set.contains(*k));
            }
        }
    }
}
