//! The dictionary: words, labels, the word lookup, and the hashing of character and word
//! n-grams into input-matrix rows.
//!
//! Everything here reproduces `Dictionary` of fastText 0.9.2 to the bit, because the row
//! numbers decide the hidden vector: the same FNV-1a variant (bytes sign-extended before the
//! xor), the same UTF-8-aware character n-grams of `<word>`, the same word n-gram recurrence
//! (`h = h * 116049371 + next`, on sign-extended 32-bit hashes) and the same `pruneidx`
//! remapping of quantized models.

use std::collections::HashMap;

use crate::error::Error;
use crate::reader::{Reader, Writer};

/// The end-of-sentence token the reference makes from a newline.
pub const EOS: &str = "</s>";
/// Prefix of label tokens (the reference does not save `-label`, so loading always uses this).
pub const LABEL_PREFIX: &str = "__label__";

const FNV_OFFSET: u32 = 2_166_136_261;
/// N-gram ids mapped to rows per batch (a word of `l` characters has about `l * (maxn - minn + 1)`).
const NGRAM_CHUNK: usize = 1024;
const FNV_PRIME: u32 = 16_777_619;

/// One step of the reference's hash: the byte is read as a *signed* `char`, sign-extended to 32
/// bits and xored, so bytes >= 0x80 flip the high bits too (fastText keeps this for
/// compatibility with the released models).
#[inline(always)]
pub(crate) fn fnv_step(h: u32, byte: u8) -> u32 {
    (h ^ (byte as i8 as i32 as u32)).wrapping_mul(FNV_PRIME)
}

/// The reference's `Dictionary::hash`.
#[inline]
pub fn hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| fnv_step(h, b))
}

/// `a % d` for a fixed 32-bit divisor without a division instruction (Lemire, Kaser & Kurz,
/// "Faster remainder by direct computation", 2019); exact for every `a`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastMod {
    d: u32,
    m: u64,
}

impl FastMod {
    pub(crate) fn new(d: u32) -> Self {
        debug_assert!(d > 0);
        FastMod {
            d,
            m: (u64::MAX / d as u64).wrapping_add(1),
        }
    }

    #[inline(always)]
    pub(crate) fn rem(self, a: u32) -> u32 {
        let low = self.m.wrapping_mul(a as u64);
        ((low as u128 * self.d as u128) >> 64) as u32
    }
}

/// Which input-matrix row, if any, a bucket id maps to (the reference's `pushHash`).
#[derive(Debug)]
pub(crate) enum BucketMap {
    /// Not pruned: bucket `id` is row `nwords + id`.
    Identity { nwords: u32 },
    /// Pruned to nothing (`pruneidx_size == 0`): no n-gram has a row.
    Empty,
    /// Pruned: the kept ids, as a bitset with a rank directory. Row = `nwords + rank(id)`; the
    /// input matrix is reordered at load so that rows follow the ids' order. Most n-grams of a
    /// pruned model (lid.176 keeps 42 765 of 2 000 000 buckets) are misses, and a 250 KB bitset
    /// rejects them with one cache line.
    Bitset {
        nwords: u32,
        bits: Vec<u64>,
        rank: Vec<u32>,
    },
    /// Pruned, but with a bucket count too large for a bitset bounded by the file size.
    Map {
        nwords: u32,
        rows: HashMap<u32, u32>,
    },
}

impl BucketMap {
    /// Replaces the bucket ids in `ids` by their rows, dropping ids without one (keeping the
    /// order); returns how many remain at the front.
    ///
    /// For the bitset this runs in two passes: first every id's bit is tested and the kept ids
    /// are compacted without a branch, then the survivors get their rank. The loads of the first
    /// pass are independent and branch-free, so the CPU overlaps their cache misses; testing and
    /// branching one n-gram at a time (~18% kept in lid.176, unpredictable) was slower.
    #[inline]
    pub(crate) fn rows_in_place(&self, ids: &mut [u32]) -> usize {
        match self {
            BucketMap::Identity { nwords } => {
                for id in ids.iter_mut() {
                    *id += nwords;
                }
                ids.len()
            }
            BucketMap::Empty => 0,
            BucketMap::Bitset { nwords, bits, rank } => {
                let mut kept = 0;
                for i in 0..ids.len() {
                    let id = ids[i];
                    let word = bits.get((id >> 6) as usize).copied().unwrap_or(0);
                    ids[kept] = id;
                    kept += ((word >> (id & 63)) & 1) as usize;
                }
                for id in &mut ids[..kept] {
                    let w = (*id >> 6) as usize;
                    let below = (bits[w] & ((1u64 << (*id & 63)) - 1)).count_ones();
                    *id = nwords + rank[w] + below;
                }
                kept
            }
            BucketMap::Map { nwords, rows } => {
                let mut kept = 0;
                for i in 0..ids.len() {
                    if let Some(r) = rows.get(&ids[i]) {
                        ids[kept] = nwords + r;
                        kept += 1;
                    }
                }
                kept
            }
        }
    }

    /// Builds the map of a pruned dictionary from its `(bucket id, pruned row)` pairs.
    ///
    /// Returns the map and `order`, where `order[r]` is the pruned row (as written in the file)
    /// that new row `nwords + r` must hold. Later pairs override earlier ones for the same id, as
    /// in the reference's `pruneidx_[first] = second`. Ids outside `0..bucket` can never be hit
    /// and are dropped.
    pub(crate) fn pruned(
        pairs: &[(i32, i32)],
        bucket: u32,
        nwords: u32,
        file_len: usize,
    ) -> (BucketMap, Vec<u32>) {
        if pairs.is_empty() {
            return (BucketMap::Empty, Vec::new());
        }
        let mut latest: HashMap<u32, u32> = HashMap::with_capacity(pairs.len());
        for &(id, row) in pairs {
            if id >= 0 && (id as u32) < bucket {
                latest.insert(id as u32, row as u32);
            }
        }
        let mut ids: Vec<u32> = latest.keys().copied().collect();
        ids.sort_unstable();
        let order: Vec<u32> = ids.iter().map(|id| latest[id]).collect();
        if ids.is_empty() {
            return (BucketMap::Empty, order);
        }
        let words = (bucket as usize).div_ceil(64);
        // The bitset is ~bucket/8 bytes; keep it within a bound set by the file itself so a
        // hostile header cannot make us allocate far more than the model holds.
        let bitset_bytes = words * 12;
        if bitset_bytes <= (file_len.saturating_mul(4)).max(4 << 20) {
            let mut bits = vec![0u64; words];
            for &id in &ids {
                bits[(id >> 6) as usize] |= 1 << (id & 63);
            }
            let mut rank = Vec::with_capacity(words);
            let mut total = 0u32;
            for w in &bits {
                rank.push(total);
                total += w.count_ones();
            }
            (BucketMap::Bitset { nwords, bits, rank }, order)
        } else {
            let rows = ids
                .iter()
                .enumerate()
                .map(|(r, &id)| (id, r as u32))
                .collect();
            (BucketMap::Map { nwords, rows }, order)
        }
    }
}

/// A slot of the word table.
#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u32,
    /// Entry id; `u32::MAX` marks an empty slot.
    id: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        hash: 0,
        id: u32::MAX,
    };
}

/// The parsed dictionary.
pub(crate) struct Dictionary {
    /// All entry strings, concatenated; entry `i` is `arena[starts[i]..starts[i + 1]]`.
    arena: Vec<u8>,
    starts: Vec<usize>,
    counts: Vec<i64>,
    nwords: usize,
    ntokens: i64,
    labels: Vec<String>,
    /// Open-addressing table indexed by a mix of the FNV hash; each slot keeps the hash next to
    /// the id so that a probe touches one cache line until the strings are compared.
    table: Vec<Slot>,
    table_shift: u32,
    pub(crate) buckets: BucketMap,
    bucket: u32,
    bucket_mod: Option<FastMod>,
    minn: u64,
    maxn: u64,
    maxn_raw: i32,
    word_ngrams: i32,
    pub(crate) pruned: bool,
}

/// What [`Dictionary::read`] found besides the dictionary itself.
pub(crate) struct PruneInfo {
    /// The `(bucket id, row)` pairs; empty and `None` when the dictionary is not pruned.
    pub(crate) pairs: Option<Vec<(i32, i32)>>,
}

impl Dictionary {
    /// Reads the dictionary section (`Dictionary::load`).
    pub(crate) fn read(
        r: &mut Reader<'_>,
        bucket: i32,
        minn: i32,
        maxn: i32,
        word_ngrams: i32,
    ) -> Result<(Self, PruneInfo), Error> {
        const S: &str = "dictionary header";
        let size = r.i32(S)?;
        let nwords = r.i32(S)?;
        let nlabels = r.i32(S)?;
        let ntokens = r.i64(S)?;
        let pruneidx_size = r.i64(S)?;
        if size < 0 || nwords < 0 || nlabels < 0 || size as i64 != nwords as i64 + nlabels as i64 {
            return Err(Error::malformed(
                S,
                format!("size {size} is not nwords {nwords} + nlabels {nlabels}"),
            ));
        }
        if nlabels == 0 {
            return Err(Error::malformed(S, "the model has no labels"));
        }
        if pruneidx_size < -1 {
            return Err(Error::malformed(
                S,
                format!("pruneidx_size is {pruneidx_size}"),
            ));
        }
        let size = size as usize;
        let nwords = nwords as usize;
        // Each entry takes at least 10 bytes (NUL, count, type): bound the allocations by that.
        if size as u64 * 10 > r.remaining() as u64 {
            return Err(Error::Truncated {
                section: "dictionary entries",
                offset: r.position(),
                needed: size as u64 * 10,
                available: r.remaining(),
            });
        }
        let mut arena = Vec::new();
        let mut starts = Vec::with_capacity(size + 1);
        let mut counts = Vec::with_capacity(size);
        let mut labels = Vec::with_capacity(size - nwords);
        starts.push(0);
        for i in 0..size {
            const E: &str = "dictionary entry";
            let word = r.cstr(E)?;
            let count = r.i64(E)?;
            let kind = r.u8(E)?;
            let expected = u8::from(i >= nwords);
            if kind != expected {
                return Err(Error::malformed(
                    E,
                    format!(
                        "entry {i} has type {kind}, expected {expected} \
                         (words first, then labels; 0 = word, 1 = label)"
                    ),
                ));
            }
            arena.extend_from_slice(word);
            starts.push(arena.len());
            counts.push(count);
            if i >= nwords {
                labels.push(String::from_utf8_lossy(word).into_owned());
            }
        }
        let pairs = if pruneidx_size >= 0 {
            const P: &str = "pruneidx";
            let bytes = r.take((pruneidx_size as u64).saturating_mul(8), P)?;
            Some(
                bytes
                    .chunks_exact(8)
                    .map(|c| {
                        (
                            i32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                            i32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                        )
                    })
                    .collect(),
            )
        } else {
            None
        };

        let table_bits = (size.max(1) * 2)
            .next_power_of_two()
            .trailing_zeros()
            .max(4);
        let mut dict = Dictionary {
            arena,
            starts,
            counts,
            nwords,
            ntokens,
            labels,
            table: vec![Slot::EMPTY; 1 << table_bits],
            table_shift: 64 - table_bits,
            buckets: BucketMap::Identity {
                nwords: nwords as u32,
            },
            bucket: bucket as u32,
            bucket_mod: (bucket > 0).then(|| FastMod::new(bucket as u32)),
            // The reference compares the size_t n-gram length with these ints, so negative
            // values wrap to huge ones; `as u64` on the sign-extended value does the same.
            minn: minn as i64 as u64,
            maxn: maxn as i64 as u64,
            maxn_raw: maxn,
            word_ngrams,
            pruned: pairs.is_some(),
        };
        for i in 0..size {
            let h = hash(dict.entry(i));
            dict.insert(i as u32, h);
        }
        Ok((dict, PruneInfo { pairs }))
    }

    /// Saves in the reference's layout (unpruned dictionaries only; used by training).
    pub(crate) fn write(&self, w: &mut Writer) {
        w.i32(self.size() as i32);
        w.i32(self.nwords as i32);
        w.i32(self.nlabels() as i32);
        w.i64(self.ntokens);
        w.i64(-1);
        for i in 0..self.size() {
            w.bytes(self.entry(i));
            w.u8(0);
            w.i64(self.counts[i]);
            w.u8(u8::from(i >= self.nwords));
        }
    }

    /// Builds an unpruned dictionary from entries (used by training), through the same parser
    /// as a model file so that both take one path.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_entries(
        words: &[(Vec<u8>, i64)],
        labels: &[(Vec<u8>, i64)],
        ntokens: i64,
        bucket: i32,
        minn: i32,
        maxn: i32,
        word_ngrams: i32,
    ) -> Result<Self, Error> {
        let mut w = Writer::new();
        w.i32((words.len() + labels.len()) as i32);
        w.i32(words.len() as i32);
        w.i32(labels.len() as i32);
        w.i64(ntokens);
        w.i64(-1);
        for (kind, list) in [(0u8, words), (1u8, labels)] {
            for (s, c) in list {
                w.bytes(s);
                w.u8(0);
                w.i64(*c);
                w.u8(kind);
            }
        }
        let mut r = Reader::new(&w.buf);
        Dictionary::read(&mut r, bucket, minn, maxn, word_ngrams).map(|(d, _)| d)
    }

    #[inline(always)]
    fn slot(&self, h: u32) -> usize {
        ((h as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.table_shift) as usize
    }

    fn insert(&mut self, id: u32, h: u32) {
        let mask = self.table.len() - 1;
        let mut s = self.slot(h);
        loop {
            let cur = self.table[s];
            if cur.id == u32::MAX
                || (cur.hash == h && self.entry(cur.id as usize) == self.entry(id as usize))
            {
                // Empty, or a duplicate string: like the reference, the later entry wins.
                self.table[s] = Slot { hash: h, id };
                return;
            }
            s = (s + 1) & mask;
        }
    }

    /// The entry id of `word` (whose hash is `h`), words and labels alike.
    #[inline]
    pub(crate) fn lookup(&self, word: &[u8], h: u32) -> Option<u32> {
        let mask = self.table.len() - 1;
        let mut s = self.slot(h);
        loop {
            let slot = self.table[s];
            if slot.id == u32::MAX {
                return None;
            }
            if slot.hash == h && self.entry(slot.id as usize) == word {
                return Some(slot.id);
            }
            s = (s + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn entry(&self, i: usize) -> &[u8] {
        &self.arena[self.starts[i]..self.starts[i + 1]]
    }

    pub(crate) fn bucket(&self) -> u32 {
        self.bucket
    }

    pub(crate) fn size(&self) -> usize {
        self.counts.len()
    }

    pub(crate) fn nwords(&self) -> usize {
        self.nwords
    }

    pub(crate) fn nlabels(&self) -> usize {
        self.labels.len()
    }

    pub(crate) fn ntokens(&self) -> i64 {
        self.ntokens
    }

    pub(crate) fn labels(&self) -> &[String] {
        &self.labels
    }

    pub(crate) fn counts(&self) -> &[i64] {
        &self.counts
    }

    pub(crate) fn label_counts(&self) -> &[i64] {
        &self.counts[self.nwords..]
    }

    /// Whether in-vocabulary words carry their character n-grams (the reference's
    /// `addSubwords` uses the word's row alone when `maxn <= 0`).
    pub(crate) fn words_have_subwords(&self) -> bool {
        self.maxn_raw > 0
    }

    /// Calls `f` with the input rows of the character n-grams of `<word>`, in the reference's
    /// order (`computeSubwords`), a chunk at a time: n-grams start at each UTF-8 lead byte,
    /// grow one character at a time from 1 to `maxn`, count from `minn` on, and the lone `<`
    /// and `>` are skipped; n-grams pruned from the model have no row.
    ///
    /// The hash is extended byte by byte instead of rehashing each n-gram. Bucket ids are
    /// collected in `ids` and mapped to rows [`NGRAM_CHUNK`] at a time (see
    /// [`BucketMap::rows_in_place`]), which also bounds memory for a giant token. `buf` is
    /// scratch space for `<word>`.
    #[inline]
    pub(crate) fn for_each_subword_rows(
        &self,
        word: &[u8],
        buf: &mut Vec<u8>,
        ids: &mut Vec<u32>,
        mut f: impl FnMut(&[u32]),
    ) {
        let Some(fm) = self.bucket_mod else {
            return; // bucket 0: the reference would divide by zero; there are no n-gram rows.
        };
        if self.maxn == 0 {
            return;
        }
        buf.clear();
        buf.push(b'<');
        buf.extend_from_slice(word);
        buf.push(b'>');
        let w = &buf[..];
        let len = w.len();
        ids.clear();
        for i in 0..len {
            if w[i] & 0xC0 == 0x80 {
                continue;
            }
            let mut h = FNV_OFFSET;
            let mut j = i;
            let mut n: u64 = 1;
            while j < len && n <= self.maxn {
                h = fnv_step(h, w[j]);
                j += 1;
                while j < len && w[j] & 0xC0 == 0x80 {
                    h = fnv_step(h, w[j]);
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == len)) {
                    ids.push(fm.rem(h));
                }
                n += 1;
            }
            if ids.len() >= NGRAM_CHUNK {
                let kept = self.buckets.rows_in_place(ids);
                f(&ids[..kept]);
                ids.clear();
            }
        }
        let kept = self.buckets.rows_in_place(ids);
        f(&ids[..kept]);
        ids.clear();
    }

    /// Appends to `rows` the input rows of the character n-grams of `<word>` (see
    /// [`Dictionary::for_each_subword_rows`]).
    pub(crate) fn subword_rows(&self, word: &[u8], buf: &mut Vec<u8>, rows: &mut Vec<u32>) {
        let mut ids = Vec::new();
        self.for_each_subword_rows(word, buf, &mut ids, |r| rows.extend_from_slice(r));
    }

    /// Appends to `rows` the input rows of the word n-grams (2..=wordNgrams) of the token
    /// hashes, as the reference's `addWordNgrams`: the 32-bit hashes are stored as `int32` and
    /// widened to `uint64` with sign extension.
    #[inline]
    pub(crate) fn word_ngram_rows(&self, hashes: &[u32], rows: &mut Vec<u32>) {
        if self.word_ngrams <= 1 || self.bucket == 0 {
            return;
        }
        let n = self.word_ngrams as usize;
        let bucket = self.bucket as u64;
        let start = rows.len();
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i32 as i64 as u64;
            for &next in hashes.iter().take(i.saturating_add(n)).skip(i + 1) {
                h = h
                    .wrapping_mul(116_049_371)
                    .wrapping_add(next as i32 as i64 as u64);
                rows.push((h % bucket) as u32);
            }
        }
        let kept = self.buckets.rows_in_place(&mut rows[start..]);
        rows.truncate(start + kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_sign_extends_bytes() {
        // Reference values computed with the C++ formula by hand for ASCII, and checked for a
        // high byte: 0xC3 is xored as 0xFFFFFFC3.
        assert_eq!(hash(b""), 2_166_136_261);
        let mut h = FNV_OFFSET;
        h = (h ^ 0xFFFF_FFC3).wrapping_mul(FNV_PRIME);
        h = (h ^ 0xFFFF_FFA9).wrapping_mul(FNV_PRIME);
        assert_eq!(hash("é".as_bytes()), h);
        let mut a = FNV_OFFSET;
        a = (a ^ b'a' as u32).wrapping_mul(FNV_PRIME);
        assert_eq!(hash(b"a"), a);
    }

    #[test]
    fn fastmod_matches_remainder() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for d in [1u32, 2, 3, 7, 1000, 2_000_000, 2_147_483_647, u32::MAX] {
            let fm = FastMod::new(d);
            for _ in 0..10_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let a = x as u32;
                assert_eq!(fm.rem(a), a % d, "{a} % {d}");
            }
            assert_eq!(fm.rem(u32::MAX), u32::MAX % d);
            assert_eq!(fm.rem(0), 0);
        }
    }

    #[test]
    fn bitset_map_ranks_in_id_order() {
        let pairs = [(700, 0), (3, 1), (64, 2), (3, 5), (-1, 9), (5000, 9)];
        let (map, order) = BucketMap::pruned(&pairs, 1000, 10, 1 << 20);
        assert!(matches!(map, BucketMap::Bitset { .. }));
        // Distinct in-range ids sorted: 3, 64, 700 → rows 10, 11, 12; 3's later pair wins.
        assert_eq!(order, vec![5, 2, 0]);
        let mut ids = [4, 3, 999, 700, 64, 3];
        let kept = map.rows_in_place(&mut ids);
        assert_eq!(&ids[..kept], &[10, 12, 11, 10]);
    }
}
