//! MinHash signatures and LSH band keys.
//!
//! Shingle hashes are reduced modulo the Mersenne prime 2^61 − 1 and permuted by the family
//! h ↦ (a·h + b) mod p, with (a, b) drawn from a seeded SplitMix64 stream: the same seed gives the
//! same permutations on every machine, so signatures from different runs (an earlier release)
//! can be compared.

use xxhash_rust::xxh3::xxh3_64_with_seed;

const P: u64 = (1 << 61) - 1;

#[inline]
fn reduce(x: u64) -> u64 {
    let s = (x & P) + (x >> 61);
    if s >= P {
        s - P
    } else {
        s
    }
}

#[inline]
fn mul_add_mod(a: u64, h: u64, b: u64) -> u64 {
    let r = (a as u128) * (h as u128) + b as u128;
    let lo = (r as u64) & P;
    let hi = (r >> 61) as u64;
    reduce(lo + hi)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The permutation family and band layout.
#[derive(Debug, Clone)]
pub struct MinHasher {
    a: Vec<u64>,
    b: Vec<u64>,
    bands: usize,
    rows: usize,
}

impl MinHasher {
    /// `bands × rows` permutations from `seed`.
    pub fn new(seed: u64, bands: usize, rows: usize) -> MinHasher {
        let k = bands * rows;
        let mut state = seed;
        let mut a = Vec::with_capacity(k);
        let mut b = Vec::with_capacity(k);
        for _ in 0..k {
            a.push(1 + splitmix64(&mut state) % (P - 1));
            b.push(splitmix64(&mut state) % P);
        }
        MinHasher { a, b, bands, rows }
    }

    /// Number of hashes in a signature.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether the signature is empty (no bands).
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// The signature of a set of shingle hashes (must not be empty).
    pub fn signature(&self, shingles: &[u64], out: &mut Vec<u64>) {
        out.clear();
        out.resize(self.a.len(), u64::MAX);
        for &s in shingles {
            let h = reduce(s);
            for ((m, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
                let v = mul_add_mod(a, h, b);
                if v < *m {
                    *m = v;
                }
            }
        }
    }

    /// One key per band; `scope` separates documents that must never be compared (per-language
    /// or per-source dedup).
    pub fn band_keys(&self, signature: &[u64], scope: u64, out: &mut Vec<u64>) {
        out.clear();
        let mut bytes = Vec::with_capacity(self.rows * 8);
        for band in 0..self.bands {
            bytes.clear();
            for v in &signature[band * self.rows..(band + 1) * self.rows] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            out.push(xxh3_64_with_seed(
                &bytes,
                scope ^ (band as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ));
        }
    }
}

/// Estimated Jaccard similarity of two signatures (share of equal hashes).
pub fn estimated_jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(h: &MinHasher, set: &[u64]) -> Vec<u64> {
        let mut s = Vec::new();
        h.signature(set, &mut s);
        s
    }

    #[test]
    fn signature_estimates_jaccard() {
        let h = MinHasher::new(7, 32, 8);
        let a: Vec<u64> = (0..1000u64)
            .map(|x| x.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        // b shares 600 of a's 1000 elements plus 400 new: J = 600 / 1400 ≈ 0.43
        let mut b: Vec<u64> = a[..600].to_vec();
        b.extend((5000..5400u64).map(|x| x.wrapping_mul(0xD6E8_FEB8_6659_FD93)));
        let est = estimated_jaccard(&sig(&h, &a), &sig(&h, &b));
        assert!((est - 600.0 / 1400.0).abs() < 0.06, "{est}");
        assert_eq!(estimated_jaccard(&sig(&h, &a), &sig(&h, &a)), 1.0);
    }

    #[test]
    fn same_seed_same_signature_and_scope_separates_keys() {
        let s1 = sig(&MinHasher::new(1, 14, 8), &[1, 2, 3]);
        let s2 = sig(&MinHasher::new(1, 14, 8), &[3, 2, 1]);
        assert_eq!(s1, s2);
        let h = MinHasher::new(1, 14, 8);
        let (mut k1, mut k2) = (Vec::new(), Vec::new());
        h.band_keys(&s1, 0, &mut k1);
        h.band_keys(&s1, 1, &mut k2);
        assert_eq!(k1.len(), 14);
        assert!(k1.iter().zip(&k2).all(|(a, b)| a != b));
    }
}
