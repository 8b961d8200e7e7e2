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
    /// Per node: the most branches from it down to a leaf (0 for a leaf).
    height: Vec<u32>,
}

/// A node waiting in the best-first search: bound on its leaves' scores, node, its score, the
/// lowest score on its path from the root.
pub(crate) type Open = (f32, u32, f32, f32);

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
        // Children are built before their parent, so one pass in order gives every height.
        let mut height = vec![0u32; n_nodes];
        for (j, &(l, r)) in children.iter().enumerate() {
            height[osz + j] = 1 + height[l as usize].max(height[r as usize]);
        }
        HuffmanTree {
            osz,
            children,
            height,
        }
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

    /// The reference's answer for k = 1 found best-first, when that can be shown to be it;
    /// `false` otherwise (the caller then runs the reference's search).
    ///
    /// Nodes are expanded by decreasing bound on the scores of their leaves. A branch adds
    /// `std_log(p) <= std_log(1)` (a little above 0: `log(1 + 1e-5)`), so a node's leaves score at
    /// most its score plus `std_log(1)` per level below it, added in float as the search adds
    /// (float rounding is monotonic). The first leaf popped, L with score M, is then the best
    /// leaf. It is the reference's answer when (checked here) every other leaf scores below M
    /// (every bound left is below M) and no node on L's path scores below M: the reference's
    /// depth-first search prunes a node only below its best leaf so far (at most M) or below
    /// the threshold, so it reaches L and keeps it. Scores can rise along a path (a branch with
    /// p > 1 - 1e-5 adds a positive log) and then the reference may prune its way past the best
    /// leaf; those texts, and ties, go to the reference's search.
    ///
    /// The reference visits about 13 nodes per text on lid.176 because its left-first order
    /// reaches rare labels first; best-first goes down the likely path.
    pub(crate) fn predict_best(
        &self,
        output: &Matrix,
        hidden: &[f32],
        threshold: f32,
        heap: &mut Vec<Scored>,
        queue: &mut Vec<Open>,
    ) -> bool {
        let log_threshold = std_log(threshold);
        let log_max = std_log(1.0);
        let bound = |score: f32, node: u32| {
            let mut b = score;
            for _ in 0..self.height[node as usize] {
                b += log_max;
            }
            b
        };
        queue.clear();
        let root = self.root() as u32;
        queue.push((bound(0.0, root), root, 0.0, 0.0));
        loop {
            // The open node with the highest bound (few are open: a linear scan).
            let Some((at, _)) = queue
                .iter()
                .enumerate()
                .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            else {
                return false; // everything fell below the threshold: let the reference decide
            };
            let (_, node, score, lowest) = queue.swap_remove(at);
            if (node as usize) < self.osz {
                let unique = queue.iter().all(|o| o.0 < score);
                if unique && lowest >= score && score >= log_threshold {
                    heap.clear();
                    heap.push((score, node));
                    return true;
                }
                return false;
            }
            let row = node as usize - self.osz;
            let f = output.dot_row(hidden, row);
            let f = 1.0 / (1.0 + (-f).exp());
            let (left, right) = self.children[row];
            for (child, p) in [(left, 1.0 - f), (right, f)] {
                let s = score + std_log(p);
                if s.is_nan() {
                    return false;
                }
                let b = bound(s, child);
                if b >= log_threshold {
                    queue.push((b, child, s, lowest.min(s)));
                }
            }
        }
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
        queue: &mut Vec<Open>,
    ) {
        heap.clear();
        match self {
            Loss::HierarchicalSoftmax(tree) => {
                if k != 1 || !tree.predict_best(output, hidden, threshold, heap, queue) {
                    heap.clear();
                    tree.predict(output, hidden, k, threshold, heap, stack)
                }
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

    /// Wherever the best-first search answers, it gives the reference's search's answer, bit
    /// for bit; it declines (and the reference's search runs) on ties and where scores rise.
    #[test]
    fn best_first_agrees_with_the_reference_search() {
        use crate::matrix::DenseMatrix;
        let counts: Vec<i64> = (0..40).map(|i| 1000 / (i + 1) + 1).collect();
        let tree = HuffmanTree::new(&counts);
        let dim = 4;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rand = |scale: f32| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * scale
        };
        let (mut answered, mut declined) = (0, 0);
        for trial in 0..4000 {
            // Large weights now and then: sigmoids of 1, logs above 0, scores that rise.
            let scale = [1.0, 8.0, 40.0, 0.0][trial % 4];
            let mut out = DenseMatrix::zeros(counts.len() - 1, dim);
            for v in &mut out.data {
                *v = rand(scale);
            }
            let output = Matrix::Dense(out);
            let hidden: Vec<f32> = (0..dim).map(|_| rand(2.0)).collect();
            let threshold = [0.0, 0.2][trial % 2];
            let (mut want, mut got) = (Vec::new(), Vec::new());
            tree.predict(&output, &hidden, 1, threshold, &mut want, &mut Vec::new());
            if tree.predict_best(&output, &hidden, threshold, &mut got, &mut Vec::new()) {
                assert_eq!(got.len(), 1);
                assert_eq!(want[0].1, got[0].1, "trial {trial}");
                assert_eq!(want[0].0.to_bits(), got[0].0.to_bits(), "trial {trial}");
                answered += 1;
            } else {
                declined += 1;
            }
        }
        // Both paths are exercised (3 542 and 458 of 4 000 when written).
        assert!(
            answered > 2000 && declined > 100,
            "{answered} answered, {declined} declined"
        );
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
