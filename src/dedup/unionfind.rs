//! A concurrent union-find whose result does not depend on the order of unions: roots are always
//! linked under the smaller index, so every component ends rooted at its smallest member
//! whatever the thread count or the order in which edges arrive.

use std::sync::atomic::{AtomicU32, Ordering};

/// Union-find over `0..n` (n < 2^32).
pub struct UnionFind {
    parent: Vec<AtomicU32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).map(AtomicU32::new).collect(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there is no element.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root of `x`, halving paths on the way (benign races: any parent written is an
    /// ancestor, so halving never breaks the forest).
    pub fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.parent[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let gp = self.parent[p as usize].load(Ordering::Acquire);
            if gp != p {
                let _ = self.parent[x as usize].compare_exchange(
                    p,
                    gp,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            x = p;
        }
    }

    /// Join the components of `a` and `b`.
    pub fn union(&self, a: u32, b: u32) {
        let (mut a, mut b) = (a, b);
        loop {
            a = self.find(a);
            b = self.find(b);
            if a == b {
                return;
            }
            let (small, large) = if a < b { (a, b) } else { (b, a) };
            // Link the larger root under the smaller one, only if it is still a root.
            if self.parent[large as usize]
                .compare_exchange(large, small, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn components_are_rooted_at_their_smallest_member_in_any_order() {
        let edges: Vec<(u32, u32)> = (0..20_000u32)
            .map(|i| ((i * 7919) % 10_000, (i * 104_729 + 13) % 10_000))
            .collect();
        let serial = UnionFind::new(10_000);
        for &(a, b) in &edges {
            serial.union(a, b);
        }
        let parallel = UnionFind::new(10_000);
        edges
            .par_iter()
            .rev()
            .for_each(|&(a, b)| parallel.union(a, b));
        for x in 0..10_000 {
            assert_eq!(serial.find(x), parallel.find(x));
            assert!(serial.find(x) <= x);
        }
    }
}
