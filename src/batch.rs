//! Batches for the per-document work of one unit: a unit reads its documents in order, hands a
//! batch to every core, then writes the results in the same order, so one input file uses all
//! threads and the outputs do not depend on their number.

/// Documents in a batch: enough to share among the cores, few enough to keep a unit's memory
/// small.
pub const BATCH_ITEMS: usize = 512;
/// Text bytes that close a batch early, bounding memory per unit whatever the documents' size.
pub const BATCH_BYTES: usize = 16 << 20;

/// Groups items into batches of [`BATCH_ITEMS`] items or about [`BATCH_BYTES`] bytes.
pub struct Batcher<T> {
    items: Vec<T>,
    bytes: usize,
}

impl<T> Default for Batcher<T> {
    fn default() -> Self {
        Batcher {
            items: Vec::with_capacity(BATCH_ITEMS),
            bytes: 0,
        }
    }
}

impl<T> Batcher<T> {
    /// Add an item of `bytes` bytes; returns the batch once it is full.
    pub fn push(&mut self, item: T, bytes: usize) -> Option<Vec<T>> {
        self.items.push(item);
        self.bytes += bytes;
        (self.items.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES).then(|| self.take())
    }

    /// The items not yet returned (possibly none), leaving the batcher empty.
    pub fn take(&mut self) -> Vec<T> {
        self.bytes = 0;
        std::mem::replace(&mut self.items, Vec::with_capacity(BATCH_ITEMS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_close_on_count_or_bytes_and_keep_order() {
        let mut b = Batcher::default();
        let mut out: Vec<Vec<usize>> = Vec::new();
        for i in 0..BATCH_ITEMS + 3 {
            out.extend(b.push(i, 1));
        }
        out.push(b.take());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], (0..BATCH_ITEMS).collect::<Vec<_>>());
        assert_eq!(out[1], [BATCH_ITEMS, BATCH_ITEMS + 1, BATCH_ITEMS + 2]);
        assert_eq!(
            b.push(7, BATCH_BYTES),
            Some(vec![7]),
            "one large item is a batch"
        );
        assert!(b.take().is_empty());
    }
}
