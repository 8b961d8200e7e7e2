//! The per-thread word cache: word → (sum of its rows, number of rows).
//!
//! Entries are appended to one arena in arrival order and found through a small open-addressing
//! index (linear probing, at most half full) that holds each entry's 32-bit hash next to its
//! number, so a probe reads one cache line of the index and a hit one entry. When the arena is
//! full, entries are replaced in CLOCK order (a hit marks an entry; the hand spares a marked
//! entry once), an approximation of least-recently-used.
//!
//! Memory is touched only as words arrive: the arena is reserved but written entry by entry,
//! and the index starts small and doubles as entries are added. A cache sized for a whole crawl
//! (8 MiB) therefore costs a short run only the pages its words fill; the earlier two-way
//! set-associative table spread even a few thousand words over all its pages, each taking two
//! page faults (read, then copy-on-write), which was a fifth of `tamis lid`'s time on 6 500
//! short texts.

/// Entry layout, in `u32`s: hash, length, row count, CLOCK mark, key bytes (`KW` words), vector.
const HEADER: usize = 4;
/// Index slots to start with (8 KiB).
const MIN_INDEX: usize = 1 << 10;

/// See the module documentation. Words of up to `4 * KW` bytes are cached.
pub(crate) struct WordCache<const KW: usize> {
    dim: usize,
    stride: usize,
    /// Most entries the budget allows (0: disabled).
    max_entries: usize,
    /// Per slot: `hash << 32 | (entry + 1)`; 0 is an empty slot.
    index: Vec<u64>,
    /// `64 - log2(index.len())`.
    shift: u32,
    entries: Vec<u32>,
    len: usize,
    hand: usize,
}

impl<const KW: usize> WordCache<KW> {
    /// Longest word (in bytes) the cache stores.
    pub(crate) const KEY_MAX: usize = 4 * KW;

    pub(crate) fn disabled() -> Self {
        WordCache {
            dim: 0,
            stride: 0,
            max_entries: 0,
            index: Vec::new(),
            shift: 64,
            entries: Vec::new(),
            len: 0,
            hand: 0,
        }
    }

    /// A cache for vectors of `dim` floats using at most about `budget` bytes.
    pub(crate) fn new(dim: usize, budget: usize) -> Self {
        let stride = HEADER + KW + dim;
        // Per entry: the entry itself, and two index slots at the index's fullest.
        let max_entries = budget / (stride * 4 + 2 * 8);
        if max_entries < 16 {
            return Self::disabled();
        }
        let slots = MIN_INDEX.min((2 * max_entries).next_power_of_two());
        WordCache {
            dim,
            stride,
            max_entries,
            index: vec![0; slots],
            shift: 64 - slots.trailing_zeros(),
            // Reserved, not touched: pages are written as entries arrive.
            entries: Vec::with_capacity(max_entries * stride),
            len: 0,
            hand: 0,
        }
    }

    /// Words the cache can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.max_entries
    }

    #[inline(always)]
    fn home(&self, h: u32) -> usize {
        ((h as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// `word` as the key words of an entry (zero-padded).
    fn key(word: &[u8]) -> [u32; KW] {
        let mut key = [0u32; KW];
        for (i, &b) in word.iter().enumerate() {
            key[i / 4] |= (b as u32) << (8 * (i % 4));
        }
        key
    }

    /// Whether the key words `stored` (zero-padded) hold `word` (at most `KEY_MAX` bytes).
    /// Compared four bytes at a time from the word itself: building the padded key on the
    /// stack (a variable-length copy, then wide loads of it) stalled on store forwarding.
    #[inline(always)]
    fn same_key(stored: &[u32], word: &[u8]) -> bool {
        let mut chunks = word.chunks_exact(4);
        for (&k, c) in stored.iter().zip(&mut chunks) {
            if k != u32::from_le_bytes([c[0], c[1], c[2], c[3]]) {
                return false;
            }
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return true;
        }
        let mut last = 0u32;
        for (i, &b) in rest.iter().enumerate() {
            last |= (b as u32) << (8 * i);
        }
        stored[word.len() / 4] == last
    }

    /// If `word` (whose hash is `h`) is cached, adds its vector to `hidden` and returns its row
    /// count.
    #[inline]
    pub(crate) fn add_cached(&mut self, word: &[u8], h: u32, hidden: &mut [f32]) -> Option<u32> {
        if self.len == 0 || word.len() > Self::KEY_MAX {
            return None;
        }
        let mask = self.index.len() - 1;
        let mut s = self.home(h);
        loop {
            let v = self.index[s];
            if v == 0 {
                return None;
            }
            if (v >> 32) as u32 == h {
                let e = (v as u32 - 1) as usize * self.stride;
                let entry = &self.entries[e..e + self.stride];
                if entry[1] == word.len() as u32 && Self::same_key(&entry[HEADER..], word) {
                    let rows = entry[2];
                    for (x, &bits) in hidden.iter_mut().zip(&entry[HEADER + KW..]) {
                        *x += f32::from_bits(bits);
                    }
                    self.entries[e + 3] = 1;
                    return Some(rows);
                }
            }
            s = (s + 1) & mask;
        }
    }

    /// Caches `word` (not cached yet) with its summed rows `vec` and their number.
    #[inline]
    pub(crate) fn insert(&mut self, word: &[u8], h: u32, vec: &[f32], rows: u32) {
        if self.max_entries == 0 || word.len() > Self::KEY_MAX || word.is_empty() {
            return;
        }
        debug_assert_eq!(vec.len(), self.dim);
        let e = if self.len < self.max_entries {
            let e = self.len;
            self.len += 1;
            self.entries.resize((e + 1) * self.stride, 0);
            if 2 * self.len > self.index.len() {
                self.grow_index();
            }
            e
        } else {
            self.evict()
        };
        let at = e * self.stride;
        let entry = &mut self.entries[at..at + self.stride];
        entry[0] = h;
        entry[1] = word.len() as u32;
        entry[2] = rows;
        entry[3] = 0;
        entry[HEADER..HEADER + KW].copy_from_slice(&Self::key(word));
        for (o, x) in entry[HEADER + KW..].iter_mut().zip(vec) {
            *o = x.to_bits();
        }
        self.index_insert(h, e);
    }

    fn index_insert(&mut self, h: u32, e: usize) {
        let mask = self.index.len() - 1;
        let mut s = self.home(h);
        while self.index[s] != 0 {
            s = (s + 1) & mask;
        }
        self.index[s] = (h as u64) << 32 | (e as u64 + 1);
    }

    /// Doubles the index and re-enters every entry (whose hash the arena keeps).
    fn grow_index(&mut self) {
        let slots = self.index.len() * 2;
        // Written, not allocated zeroed: reading fresh zeroed pages first and writing them
        // afterwards takes two page faults each.
        self.index = Vec::with_capacity(slots);
        self.index.resize(slots, 0);
        self.shift = 64 - slots.trailing_zeros();
        for e in 0..self.len - 1 {
            // the newest entry, `len - 1`, is entered by `insert` itself
            let h = self.entries[e * self.stride];
            self.index_insert(h, e);
        }
    }

    /// Frees an entry in CLOCK order, removes it from the index and returns it.
    fn evict(&mut self) -> usize {
        let e = loop {
            let e = self.hand;
            self.hand = if e + 1 == self.len { 0 } else { e + 1 };
            let mark = &mut self.entries[e * self.stride + 3];
            if *mark == 0 {
                break e;
            }
            *mark = 0;
        };
        let h = self.entries[e * self.stride];
        let want = (h as u64) << 32 | (e as u64 + 1);
        let mask = self.index.len() - 1;
        let mut s = self.home(h);
        while self.index[s] != want {
            s = (s + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole.
        let mut hole = s;
        let mut j = s;
        loop {
            j = (j + 1) & mask;
            let v = self.index[j];
            if v == 0 {
                break;
            }
            let home = self.home((v >> 32) as u32);
            // `v` may move to the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.index[hole] = v;
                hole = j;
            }
        }
        self.index[hole] = 0;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vec_of(i: u32) -> [f32; 2] {
        [i as f32, -(i as f32)]
    }

    /// Words with colliding hashes, many more words than fit, re-insertion after eviction: every
    /// hit gives the vector that was inserted for that word.
    #[test]
    fn hits_are_exact_under_eviction() {
        let mut c = WordCache::<8>::new(2, 64 * (4 * (HEADER + 8 + 2) + 16));
        assert_eq!(c.capacity(), 64);
        let word = |i: u32| format!("w{i}").into_bytes();
        // Few distinct hashes, so probe runs are long and deletions shift entries.
        let hash = |i: u32| i % 7;
        let mut hits = 0;
        let mut x = 1u32;
        for _ in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (x >> 16) % 150;
            let mut out = [0.0f32; 2];
            match c.add_cached(&word(i), hash(i), &mut out) {
                Some(rows) => {
                    assert_eq!(rows, i + 1);
                    assert_eq!(out, vec_of(i));
                    hits += 1;
                }
                None => c.insert(&word(i), hash(i), &vec_of(i), i + 1),
            }
            assert!(c.len <= c.capacity());
            let used = c.index.iter().filter(|&&v| v != 0).count();
            assert_eq!(used, c.len);
        }
        assert!(hits > 5_000, "{hits} hits");
    }

    /// Words of every length up to the longest cached, under one hash, differing in one byte
    /// or in their length only: each finds its own entry.
    #[test]
    fn keys_are_compared_byte_for_byte() {
        let mut c = WordCache::<8>::new(2, 1 << 16);
        let mut words = Vec::new();
        for len in 1..=WordCache::<8>::KEY_MAX {
            for last in [b'a', b'b', 0] {
                let mut w = vec![b'x'; len];
                w[len - 1] = last;
                words.push(w);
            }
        }
        for (i, w) in words.iter().enumerate() {
            let mut out = [0.0; 2];
            assert_eq!(c.add_cached(w, 42, &mut out), None, "{w:?}");
            c.insert(w, 42, &vec_of(i as u32), i as u32);
        }
        for (i, w) in words.iter().enumerate() {
            let mut out = [0.0; 2];
            assert_eq!(c.add_cached(w, 42, &mut out), Some(i as u32), "{w:?}");
            assert_eq!(out, vec_of(i as u32));
        }
    }

    #[test]
    fn long_and_empty_words_are_not_cached() {
        let mut c = WordCache::<8>::new(2, 1 << 16);
        let long = [b'a'; WordCache::<8>::KEY_MAX + 1];
        c.insert(&long, 1, &[1.0, 2.0], 3);
        c.insert(b"", 2, &[1.0, 2.0], 3);
        assert_eq!(c.len, 0);
        let exact = [b'b'; WordCache::<8>::KEY_MAX];
        c.insert(&exact, 3, &[1.0, 2.0], 3);
        let mut out = [0.0; 2];
        assert_eq!(c.add_cached(&exact, 3, &mut out), Some(3));
        assert_eq!(
            c.add_cached(&exact[..WordCache::<8>::KEY_MAX - 1], 3, &mut out),
            None
        );
    }

    #[test]
    fn tiny_budget_disables() {
        let mut c = WordCache::<8>::new(16, 100);
        c.insert(b"a", 1, &[0.0; 16], 1);
        assert_eq!(c.add_cached(b"a", 1, &mut [0.0; 16]), None);
    }
}
