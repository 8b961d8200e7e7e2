//! The top-k heap of the reference, step for step.
//!
//! fastText keeps its k best `(log-prob, label)` pairs in a `std::vector` driven by libstdc++'s
//! `push_heap` / `pop_heap` / `sort_heap` with the comparator `a.first > b.first` (so the front
//! is the *worst* kept pair). Which of two equal scores survives, and their final order, depends
//! on those exact algorithms; reproducing them (rather than using `BinaryHeap` or a sort) makes
//! ties come out in the reference's order too, e.g. labels stuck at the 1e-5 probability floor.

/// A scored label: `(log-probability, label index)`.
pub(crate) type Scored = (f32, u32);

/// The reference comparator: "`a` goes after `b`" when `a` has the higher score.
#[inline(always)]
fn comp(a: &Scored, b: &Scored) -> bool {
    a.0 > b.0
}

/// libstdc++ `__push_heap`: sift `value` up from `hole` towards `top`.
#[inline]
fn sift_up(h: &mut [Scored], mut hole: usize, top: usize, value: Scored) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !comp(&h[parent], &value) {
            break;
        }
        h[hole] = h[parent];
        hole = parent;
    }
    h[hole] = value;
}

/// libstdc++ `__adjust_heap`: move the hole at `hole` down to a leaf, then sift `value` up.
#[inline]
fn adjust(h: &mut [Scored], mut hole: usize, len: usize, value: Scored) {
    let top = hole;
    let mut child = hole;
    while len >= 2 && child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if comp(&h[child], &h[child - 1]) {
            child -= 1;
        }
        h[hole] = h[child];
        hole = child;
    }
    if len & 1 == 0 && len >= 2 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        h[hole] = h[child - 1];
        hole = child - 1;
    }
    sift_up(h, hole, top, value);
}

/// `heap.push_back(x); std::push_heap(...)`.
#[inline]
pub(crate) fn push(heap: &mut Vec<Scored>, x: Scored) {
    heap.push(x);
    let last = heap.len() - 1;
    sift_up(heap, last, 0, x);
}

/// `std::pop_heap(...); heap.pop_back()`: removes the front (worst) element.
#[inline]
pub(crate) fn pop(heap: &mut Vec<Scored>) {
    let len = heap.len();
    if len > 1 {
        let last = len - 1;
        let value = heap[last];
        heap[last] = heap[0];
        adjust(&mut heap[..last], 0, last, value);
    }
    heap.pop();
}

/// `std::sort_heap(...)`: best score first.
pub(crate) fn sort(heap: &mut [Scored]) {
    let mut last = heap.len();
    while last > 1 {
        last -= 1;
        let value = heap[last];
        heap[last] = heap[0];
        adjust(&mut heap[..last], 0, last, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap keeps the k best and sorts them best first.
    #[test]
    fn keeps_k_best_sorted() {
        let mut x = 12345u32;
        for k in 1..8usize {
            let mut heap: Vec<Scored> = Vec::new();
            let mut all = Vec::new();
            for i in 0..200u32 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let s = -(((x >> 8) % 1000) as f32);
                all.push(s);
                if heap.len() == k && s < heap[0].0 {
                    continue;
                }
                push(&mut heap, (s, i));
                if heap.len() > k {
                    pop(&mut heap);
                }
            }
            sort(&mut heap);
            all.sort_by(|a, b| b.total_cmp(a));
            let got: Vec<f32> = heap.iter().map(|p| p.0).collect();
            assert_eq!(got, all[..k].to_vec());
        }
    }
}
