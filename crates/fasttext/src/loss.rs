//! Output layers: hierarchical softmax (Huffman tree), softmax, one-vs-all and negative
//! sampling, with the reference's float arithmetic.
//!
//! The reference mixes `float` and `double` in specific places; the comments say which, because
//! each one shows up in the last bits of the probabilities:
//! - `std_log(x) = log(double(x) + 1e-5)`, rounded to float;
//! - the tree's sigmoid is exact (`1 / (1 + expf(-f))`), but `ova` and `ns` use a 512-entry
//!   lookup table over [-8, 8];
//! - softmax exponentiates in double and normalises in float.

use crate::heap::{self, Scored};
use crate::matrix::Matrix;

const SIGMOID_TABLE_SIZE: usize = 512;
const MAX_SIGMOID: f32 = 8.0;

/// The reference's `std_log`: `log(x + 1e-5)` in double precision, returned as float.
#[inline(always)]
pub(crate) fn std_log(x: f32) -> f32 {
    (x as f64 + 1e-5).ln() as f32
}

/// The sigmoid lookup table of `Loss` (`t_sigmoid_`).
pub(crate) struct SigmoidTable {
    table: Vec<f32>,
}

impl SigmoidTable {
    pub(crate) fn new() -> Self {
        let table = (0..=SIGMOID_TABLE_SIZE)
            .map(|i| {
                let x =
                    (i * 2 * MAX_SIGMOID as usize) as f32 / SIGMOID_TABLE_SIZE as f32 - MAX_SIGMOID;
                (1.0 / (1.0 + ((-x).exp()) as f64)) as f32
            })
            .collect();
        SigmoidTable { table }
    }

    /// `Loss::sigmoid`: 0 below -8, 1 above 8, else the table entry below `x`.
    #[inline]
    pub(crate) fn sigmoid(&self, x: f32) -> f32 {
        if x < -MAX_SIGMOID {
            0.0
        } else if x > MAX_SIGMOID {
            1.0
        } else {
            let i = ((x + MAX_SIGMOID) * SIGMOID_TABLE_SIZE as f32 / MAX_SIGMOID / 2.0) as usize;
            self.table[i.min(SIGMOID_TABLE_SIZE)]
        }
    }
}

/// The Huffman tree of hierarchical softmax, built from the label counts exactly as
/// `HierarchicalSoftmaxLoss::buildTree`: leaves `0..osz` are the labels (in dictionary order,
/// which is by decreasing count), inner node `osz + j` uses output-matrix row `j`, the root is
/// `2 * osz - 2`, the left child is the "0" branch and the right child the "1" branch.
pub(crate) struct HuffmanTree {
    osz: usize,
    /// `(left, right)` of inner node `osz + j`.
    children: Vec<(u32, u32)>,
}

impl HuffmanTree {
    pub(crate) fn new(counts: &[i64]) -> Self {
        let osz = counts.len();
        let n_nodes = 2 * osz - 1;
        let mut count: Vec<i64> = Vec::with_capacity(n_nodes);
        count.extend_from_slice(counts);
        count.resize(n_nodes, 1_000_000_000_000_000); // the reference's 1e15
        let mut children = Vec::with_capacity(osz.saturating_sub(1));
        let mut leaf = osz as i64 - 1;
        let mut node = osz;
        for i in osz..n_nodes {
            let mut mini = [0usize; 2];
            for m in &mut mini {
                // `node < i` guards against hostile counts (>= 1e15) that would make the
                // reference pick a node not built yet and create a cycle; real counts never do.
                if leaf >= 0 && (node >= i || count[leaf as usize] < count[node]) {
                    *m = leaf as usize;
                    leaf -= 1;
                } else {
                    *m = node;
                    node += 1;
                }
            }
            children.push((mini[0] as u32, mini[1] as u32));
            count[i] = count[mini[0]].saturating_add(count[mini[1]]);
        }
        HuffmanTree { osz, children }
    }

    fn root(&self) -> usize {
        2 * self.osz - 2
    }

    /// For each label, the inner nodes from the leaf up to the root (as output rows) and the
    /// branch taken at each (`true` = right): the reference's `paths_` / `codes_`, for training.
    pub(crate) fn paths(&self) -> Vec<Vec<(u32, bool)>> {
        let mut parent = vec![(u32::MAX, false); 2 * self.osz - 1];
        for (j, &(l, r)) in self.children.iter().enumerate() {
            let p = (self.osz + j) as u32;
            parent[l as usize] = (p, false);
            parent[r as usize] = (p, true);
        }
        (0..self.osz)
            .map(|leaf| {
                let mut path = Vec::new();
                let mut j = leaf;
                while parent[j].0 != u32::MAX {
                    let (p, code) = parent[j];
                    path.push((p - self.osz as u32, code));
                    j = p as usize;
                }
                path
            })
            .collect()
    }

    /// `HierarchicalSoftmaxLoss::predict`: depth-first search from the root, left branch first,
    /// pruning a subtree as soon as its log-probability falls below the threshold or below the
    /// worst of k already-found leaves. An explicit stack replaces the reference's recursion
    /// (a degenerate tree can be as deep as the number of labels); pushing right before left
    /// keeps the reference's visiting order, so the heap sees leaves in the same sequence.
    ///
    /// A child's score, `parent + std_log(p)`, is computed only when the child is popped, and
    /// not at all when even `parent + std_log(1)` (an upper bound: `p <= 1`, and `std_log` and
    /// float rounding are monotonic) would be pruned: the same nodes are pruned and the same
    /// scores computed, with fewer `log`s (a right child is often popped after its left
    /// sibling's leaves raised the bar past its parent).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn predict(
        &self,
        output: &Matrix,
        hidden: &[f32],
        k: usize,
        threshold: f32,
        heap: &mut Vec<Scored>,
        stack: &mut Vec<(u32, f32, f32)>,
    ) {
        let log_threshold = std_log(threshold);
        let log_max = std_log(1.0);
        stack.clear();
        // (node, parent's score, branch probability); a negative probability: the score is
        // the second field itself (the root's).
        stack.push((self.root() as u32, 0.0, -1.0));
        while let Some((node, base, p)) = stack.pop() {
            let bar = if heap.len() == k {
                heap[0].0.max(log_threshold)
            } else {
                log_threshold
            };
            let score = if p < 0.0 {
                base
            } else {
                if base + log_max < bar && !p.is_nan() {
                    continue; // pruned whatever p is
                }
                base + std_log(p)
            };
            if score < log_threshold {
                continue;
            }
            if heap.len() == k && score < heap[0].0 {
                continue;
            }
            let node = node as usize;
            if node < self.osz {
                heap::push(heap, (score, node as u32));
                if heap.len() > k {
                    heap::pop(heap);
                }
                continue;
            }
            let row = node - self.osz;
            let f = output.dot_row(hidden, row);
            // `1. / (1 + std::exp(-f))`: float exp, float sum, division in double: the same
            // as a float division.
            let f = 1.0 / (1.0 + (-f).exp());
            let (left, right) = self.children[row];
            stack.push((right, score, f));
            stack.push((left, score, 1.0 - f));
        }
        heap::sort(heap);
    }
}

/// The model's loss, ready to predict.
pub(crate) enum Loss {
    HierarchicalSoftmax(HuffmanTree),
    Softmax,
    /// `ova` and `ns` predict alike: a table sigmoid per label.
    Sigmoid(SigmoidTable),
}

impl Loss {
    /// Fills `heap` with the k best `(log-prob, label)` pairs, best first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn predict(
        &self,
        output: &Matrix,
        hidden: &[f32],
        k: usize,
        threshold: f32,
        heap: &mut Vec<Scored>,
        scores: &mut Vec<f32>,
        stack: &mut Vec<(u32, f32, f32)>,
    ) {
        heap.clear();
        match self {
            Loss::HierarchicalSoftmax(tree) => {
                tree.predict(output, hidden, k, threshold, heap, stack)
            }
            Loss::Softmax => {
                scores.clear();
                scores.extend((0..output.rows()).map(|i| output.dot_row(hidden, i)));
                softmax_in_place(scores);
                find_k_best(scores, k, threshold, heap);
            }
            Loss::Sigmoid(table) => {
                scores.clear();
                scores.extend((0..output.rows()).map(|i| table.sigmoid(output.dot_row(hidden, i))));
                find_k_best(scores, k, threshold, heap);
            }
        }
    }
}

/// `SoftmaxLoss::computeOutput`: `exp` in double (the unqualified C `exp`), sum and division in
/// float.
pub(crate) fn softmax_in_place(scores: &mut [f32]) {
    let Some(&first) = scores.first() else {
        return;
    };
    let max = scores.iter().fold(first, |m, &x| if x < m { m } else { x });
    let mut z = 0.0f32;
    for s in scores.iter_mut() {
        *s = ((*s - max) as f64).exp() as f32;
        z += *s;
    }
    for s in scores.iter_mut() {
        *s /= z;
    }
}

/// `Loss::findKBest` followed by `sort_heap`.
fn find_k_best(scores: &[f32], k: usize, threshold: f32, heap: &mut Vec<Scored>) {
    for (i, &p) in scores.iter().enumerate() {
        if p < threshold {
            continue;
        }
        let s = std_log(p);
        if heap.len() == k && s < heap[0].0 {
            continue;
        }
        heap::push(heap, (s, i as u32));
        if heap.len() > k {
            heap::pop(heap);
        }
    }
    heap::sort(heap);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_tree_of_four() {
        // counts sorted decreasing, as in a dictionary: 4, 3, 2, 1.
        let t = HuffmanTree::new(&[4, 3, 2, 1]);
        // First merge: leaves 3 (1) and 2 (2) → node 4 (3). Then leaf 1 (3) vs node 4 (3):
        // leaf is not < node, so node 4 first, then leaf 1 → node 5 (6). Then leaf 0 (4), node 5.
        assert_eq!(t.children, vec![(3, 2), (4, 1), (0, 5)]);
        assert_eq!(t.root(), 6);
        let paths = t.paths();
        assert_eq!(paths[0], vec![(2, false)]);
        assert_eq!(paths[3], vec![(0, false), (1, false), (2, true)]);
    }

    #[test]
    fn hostile_counts_make_no_cycles() {
        let t = HuffmanTree::new(&[i64::MAX, i64::MAX, i64::MAX]);
        for (j, &(l, r)) in t.children.iter().enumerate() {
            assert!((l as usize) < t.osz + j && (r as usize) < t.osz + j);
        }
    }

    #[test]
    fn sigmoid_table_edges() {
        let t = SigmoidTable::new();
        assert_eq!(t.sigmoid(-9.0), 0.0);
        assert_eq!(t.sigmoid(9.0), 1.0);
        assert!((t.sigmoid(0.0) - 0.5).abs() < 1e-6);
        assert!(t.sigmoid(8.0) > 0.999);
    }
}
