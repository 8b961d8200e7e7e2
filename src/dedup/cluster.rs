//! Step 3, clustering: the candidate pairs of every key space become connected components, the
//! survivor of each component is chosen by a rule, and every document of a multi-document
//! component gets a decision. Memory is bounded by `max_memory_mb`, not by the corpus:
//!
//! - components come from an in-memory union-find when its 12 bytes per document fit in two
//!   thirds of the budget, else from the large-star / small-star contraction of Kiveris et al. ("Connected
//!   Components in MapReduce and Beyond", SoCC 2014) over externally sorted edge lists. Both
//!   label each component by its smallest member, so they give the same decisions;
//! - survivors and decisions come from external sorts of the components' members joined with
//!   the per-unit document facts (date, exact hash, id), read in order one unit at a time.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::meta::{meta_rows, MetaReader, RowMeta};
use super::records::{unit_row, RecordReader};
use super::stage::{previous_unit, DedupSummary};
use super::unionfind::UnionFind;
use super::{DedupConfig, Survivor};
use crate::extsort::{
    read_string, read_u32, read_u64, write_string, Scratch, SortRecord, Sorted, Sorter,
};
use crate::out::{part_name, OutDir};

/// One line of `dedup/decisions/part-UUUUU.jsonl`: a document of a multi-document cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct Decision {
    pub row: u32,
    pub cluster_size: u32,
    /// The survivor's id when this document is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survivor: Option<String>,
    /// Removed as an exact duplicate of the survivor (same normalised text).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact: bool,
    /// The survivor belongs to this earlier release (the document was released before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// The ordering key of the survivor rule (smaller wins). Documents of an earlier release come
/// first whatever the rule: they are already released.
type SurvivorKey = (bool, i64, String);

fn survivor_key(rule: Survivor, previous: bool, m: &RowMeta) -> SurvivorKey {
    let (date, id) = match rule {
        Survivor::Oldest => (m.date.unwrap_or(i64::MAX), m.id.clone()),
        Survivor::Newest => (m.date.map(|d| -d).unwrap_or(i64::MAX), m.id.clone()),
        Survivor::Id => (0, m.id.clone()),
    };
    (!previous, date, id)
}

/// Every unit whose documents take part in the clustering: this run's, then earlier releases'.
/// Documents are numbered densely in that order.
struct Universe {
    /// (unit field of the doc refs, meta file, earlier release index)
    units: Vec<(u32, PathBuf, Option<usize>)>,
    /// Dense number of each unit's first row, and the total at the end.
    offsets: Vec<u64>,
    index: HashMap<u32, usize>,
}

impl Universe {
    fn new(out: &OutDir, units: usize, previous: &[PathBuf]) -> io::Result<Universe> {
        let mut list: Vec<(u32, PathBuf, Option<usize>)> = (0..units)
            .map(|u| {
                (
                    u as u32,
                    out.path(format!("dedup/meta/{}", part_name(u, "bin"))),
                    None,
                )
            })
            .collect();
        for (r, prev) in previous.iter().enumerate() {
            let dir = prev.join("dedup/meta");
            let mut metas: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| {
                    io::Error::new(e.kind(), format!("earlier release {}: {e}", dir.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "bin"))
                .collect();
            metas.sort();
            for m in metas {
                let stem = m
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let unit: usize = stem.trim_start_matches("part-").parse().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unexpected file {}", m.display()),
                    )
                })?;
                list.push((previous_unit(r, unit), m, Some(r)));
            }
        }
        let mut offsets = Vec::with_capacity(list.len() + 1);
        let mut total = 0u64;
        for (_, meta, _) in &list {
            offsets.push(total);
            total += meta_rows(meta)?;
        }
        offsets.push(total);
        let index = list
            .iter()
            .enumerate()
            .map(|(i, (f, _, _))| (*f, i))
            .collect();
        Ok(Universe {
            units: list,
            offsets,
            index,
        })
    }

    fn total(&self) -> u64 {
        *self.offsets.last().unwrap_or(&0)
    }

    fn dense(&self, d: u64) -> io::Result<u64> {
        let (u, r) = unit_row(d);
        let i = *self.index.get(&(u as u32)).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("pair names unknown unit {u:#x}"),
            )
        })?;
        if r as u64 >= self.offsets[i + 1] - self.offsets[i] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("pair names row {r} of unit {u:#x}, which has fewer rows"),
            ));
        }
        Ok(self.offsets[i] + r as u64)
    }

    /// Every edge of the pair files, as dense numbers.
    fn for_each_edge(
        &self,
        pair_files: &[PathBuf],
        mut f: impl FnMut(u64, u64) -> io::Result<()>,
    ) -> io::Result<()> {
        for p in pair_files {
            let mut r = RecordReader::open(p)?;
            while let Some((a, b)) = r.next_record()? {
                f(self.dense(a)?, self.dense(b)?)?;
            }
        }
        Ok(())
    }
}

/// A member of a multi-document component; sorted by member.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    member: u64,
    root: u64,
    size: u32,
}

impl SortRecord for Member {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.member.to_le_bytes());
        out.extend_from_slice(&self.root.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }
    fn decode(input: &mut impl io::Read) -> io::Result<Self> {
        Ok(Member {
            member: read_u64(input)?,
            root: read_u64(input)?,
            size: read_u32(input)?,
        })
    }
}

/// A member with its survivor key; sorted by component, then key: the first of each
/// component is its survivor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    root: u64,
    key: SurvivorKey,
    member: u64,
    exact: u64,
    /// Earlier release index + 1, or 0 for this run.
    release: u32,
    size: u32,
}

impl SortRecord for Candidate {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.root.to_le_bytes());
        out.push(self.key.0 as u8);
        out.extend_from_slice(&self.key.1.to_le_bytes());
        write_string(&self.key.2, out);
        out.extend_from_slice(&self.member.to_le_bytes());
        out.extend_from_slice(&self.exact.to_le_bytes());
        out.extend_from_slice(&self.release.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }
    fn decode(input: &mut impl io::Read) -> io::Result<Self> {
        let root = read_u64(input)?;
        let mut flag = [0u8; 1];
        input.read_exact(&mut flag)?;
        let date = read_u64(input)? as i64;
        let id = read_string(input)?;
        Ok(Candidate {
            root,
            key: (flag[0] != 0, date, id),
            member: read_u64(input)?,
            exact: read_u64(input)?,
            release: read_u32(input)?,
            size: read_u32(input)?,
        })
    }
    fn heap_bytes(&self) -> usize {
        self.key.2.capacity()
    }
}

/// A decision for one of this run's documents; sorted by document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Verdict {
    member: u64,
    size: u32,
    /// (survivor id, exact copy, earlier release index + 1 or 0) when removed.
    removed: Option<(String, bool, u32)>,
}

impl SortRecord for Verdict {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.member.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        match &self.removed {
            None => out.push(0),
            Some((id, exact, release)) => {
                out.push(1 + *exact as u8);
                write_string(id, out);
                out.extend_from_slice(&release.to_le_bytes());
            }
        }
    }
    fn decode(input: &mut impl io::Read) -> io::Result<Self> {
        let member = read_u64(input)?;
        let size = read_u32(input)?;
        let mut tag = [0u8; 1];
        input.read_exact(&mut tag)?;
        let removed = match tag[0] {
            0 => None,
            t => Some((read_string(input)?, t == 2, read_u32(input)?)),
        };
        Ok(Verdict {
            member,
            size,
            removed,
        })
    }
    fn heap_bytes(&self) -> usize {
        self.removed.as_ref().map_or(0, |r| r.0.capacity())
    }
}

/// Consecutive duplicates of a sorted stream skipped.
fn distinct<T: PartialEq + Clone>(
    sorted: impl Iterator<Item = io::Result<T>>,
) -> impl Iterator<Item = io::Result<T>> {
    let mut last: Option<T> = None;
    sorted.filter(move |r| match r {
        Ok(r) if last.as_ref() == Some(r) => false,
        Ok(r) => {
            last = Some(r.clone());
            true
        }
        Err(_) => true,
    })
}

/// The members of every multi-document component with its smallest member (`root`) and size,
/// sorted by member.
fn components(
    universe: &Universe,
    pair_files: &[PathBuf],
    scratch: &Scratch,
) -> io::Result<Sorted<Member>> {
    let total = universe.total();
    let mut members = scratch.sorter::<Member>();
    // The union-find's 12 bytes per document, plus the members' sort: two thirds of the setting.
    if total < u32::MAX as u64 && total.saturating_mul(12) <= 2 * scratch.budget() as u64 {
        let uf = UnionFind::new(total as usize);
        pair_files.par_iter().try_for_each(|p| -> io::Result<()> {
            universe.for_each_edge(std::slice::from_ref(p), |a, b| {
                uf.union(a as u32, b as u32);
                Ok(())
            })
        })?;
        let roots: Vec<u32> = (0..total as u32)
            .into_par_iter()
            .map(|x| uf.find(x))
            .collect();
        drop(uf);
        let mut sizes = vec![0u32; total as usize];
        for &r in &roots {
            sizes[r as usize] += 1;
        }
        for (x, &r) in roots.iter().enumerate() {
            let size = sizes[r as usize];
            if size > 1 {
                members.push(Member {
                    member: x as u64,
                    root: r as u64,
                    size,
                })?;
            }
        }
        return members.finish();
    }
    // Out of core: alternate large-star and small-star until every component is a star
    // around its smallest member. Each step is one external sort of the edge list.
    let mut both = scratch.sorter::<(u64, u64)>();
    universe.for_each_edge(pair_files, |a, b| {
        if a != b {
            both.push((a, b))?;
            both.push((b, a))?;
        }
        Ok(())
    })?;
    let mut rounds = 0;
    let stars = loop {
        rounds += 1;
        if rounds > 10_000 {
            return Err(io::Error::other(
                "dedup clustering did not converge (a bug): please report it",
            ));
        }
        let (next, converged) = large_star(both.finish()?, scratch)?;
        if converged {
            break next;
        }
        both = small_star(next.finish()?, scratch)?;
    };
    // Stars are (leaf, root). Sizes first, in root order; then every member with its size.
    let mut by_root = scratch.sorter::<(u64, u64)>();
    for e in distinct(stars.finish()?) {
        let (leaf, root) = e?;
        by_root.push((root, leaf))?;
    }
    let mut sizes = scratch.sorter::<(u64, u64)>();
    let mut leaves = scratch.sorter::<(u64, u64)>();
    let mut current: Option<(u64, u64)> = None; // (root, members so far)
    for e in by_root.finish()? {
        let (root, leaf) = e?;
        match &mut current {
            Some((r, n)) if *r == root => *n += 1,
            _ => {
                if let Some(done) = current.replace((root, 2)) {
                    sizes.push(done)?;
                }
            }
        }
        leaves.push((root, leaf))?;
    }
    if let Some(done) = current {
        sizes.push(done)?;
    }
    let lost = || io::Error::other("dedup clustering lost a component size (a bug)");
    let mut sizes = sizes.finish()?;
    let mut size_of: Option<(u64, u32)> = None;
    for e in leaves.finish()? {
        let (root, leaf) = e?;
        let size = match size_of {
            Some((r, size)) if r == root => size,
            _ => {
                // Both streams list the roots in the same order.
                let (r, size) = sizes.next().ok_or_else(lost)??;
                if r != root {
                    return Err(lost());
                }
                let size = size.min(u32::MAX as u64) as u32;
                size_of = Some((root, size));
                members.push(Member {
                    member: root,
                    root,
                    size,
                })?;
                size
            }
        };
        members.push(Member {
            member: leaf,
            root,
            size,
        })?;
    }
    members.finish()
}

/// Large-star over edges listed in both directions, sorted: each node links its larger
/// neighbours to its smallest neighbour (or itself). Also says whether the input already was a
/// set of stars around their smallest members, in which case the output is those stars.
fn large_star(
    sorted: Sorted<(u64, u64)>,
    scratch: &Scratch,
) -> io::Result<(Sorter<(u64, u64)>, bool)> {
    let mut out = scratch.sorter::<(u64, u64)>();
    let mut converged = true;
    let mut node = None;
    let (mut min, mut smaller, mut larger) = (0u64, 0u32, 0u32);
    for e in distinct(sorted) {
        let (u, v) = e?;
        if node != Some(u) {
            if node.is_some() {
                converged &= smaller == 0 || (smaller == 1 && larger == 0);
            }
            node = Some(u);
            // Neighbours come in increasing order: the first is the smallest.
            min = u.min(v);
            smaller = 0;
            larger = 0;
        }
        if v < u {
            smaller += 1;
        } else {
            larger += 1;
            out.push((v, min))?;
        }
    }
    if node.is_some() {
        converged &= smaller == 0 || (smaller == 1 && larger == 0);
    }
    Ok((out, converged))
}

/// Small-star over edges (larger, smaller), sorted: each node and its smaller neighbours are
/// linked to the smallest of them. Returns the edges in both directions for the next
/// large-star.
fn small_star(sorted: Sorted<(u64, u64)>, scratch: &Scratch) -> io::Result<Sorter<(u64, u64)>> {
    let mut out = scratch.sorter::<(u64, u64)>();
    let mut node = None;
    let mut min = 0u64;
    let link = |a: u64, b: u64, out: &mut Sorter<(u64, u64)>| {
        out.push((a, b))?;
        out.push((b, a))
    };
    for e in distinct(sorted) {
        let (u, v) = e?;
        if node != Some(u) {
            node = Some(u);
            min = v; // the smallest neighbour, smaller than u
            link(u, min, &mut out)?;
        }
        if v != min {
            link(v, min, &mut out)?;
        }
    }
    Ok(out)
}

/// Step 3: components over every edge, survivors by rule, one decision file per unit of this
/// run (`dedup/decisions/part-UUUUU.jsonl`, rows in order).
pub(super) fn cluster(
    out: &OutDir,
    units: usize,
    previous: &[PathBuf],
    cfg: &DedupConfig,
    summary: &mut DedupSummary,
) -> io::Result<()> {
    let universe = Universe::new(out, units, previous)?;
    summary.docs = universe.offsets[units]; // this run's units come first
                                            // At most three sorts are alive at once (a sorted stream read, one or two filled), so each
                                            // gets a third of the setting and the step as a whole stays within it.
    let scratch = Scratch::new(&out.path("dedup"), "cluster", (cfg.max_memory_mb << 20) / 3)?;
    let pair_files: Vec<PathBuf> = (0..cfg.key_spaces())
        .map(|s| out.path(format!("dedup/pairs/band-{s:02}.bin")))
        .collect();
    let members = components(&universe, &pair_files, &scratch)?;

    // Join the members with their units' facts, read in dense order one unit at a time.
    let mut candidates = scratch.sorter::<Candidate>();
    let mut unit = 0usize;
    let mut rows: Option<(MetaReader, u64)> = None; // reader of `unit`, next dense number
    for m in members {
        let m = m?;
        while m.member >= universe.offsets[unit + 1] {
            unit += 1;
            rows = None;
        }
        let (reader, next) = match &mut rows {
            Some(r) => r,
            None => rows.insert((
                MetaReader::open(&universe.units[unit].1)?,
                universe.offsets[unit],
            )),
        };
        let mut meta = None;
        while *next <= m.member {
            meta = reader.next().transpose()?;
            *next += 1;
        }
        let meta = meta.ok_or_else(|| {
            io::Error::other(format!(
                "{}: fewer rows than announced",
                universe.units[unit].1.display()
            ))
        })?;
        let release = universe.units[unit].2;
        candidates.push(Candidate {
            root: m.root,
            key: survivor_key(cfg.survivor, release.is_some(), &meta),
            member: m.member,
            exact: meta.exact,
            release: release.map_or(0, |r| r as u32 + 1),
            size: m.size,
        })?;
    }
    drop(rows);

    // The first candidate of each component is its survivor.
    let mut verdicts = scratch.sorter::<Verdict>();
    let this_run = universe.offsets[units];
    let mut best: Option<Candidate> = None;
    for c in candidates.finish()? {
        let c = c?;
        if best.as_ref().is_none_or(|b| b.root != c.root) {
            if c.release == 0 {
                summary.clusters += 1;
                *summary.cluster_sizes.entry(c.size).or_default() += 1;
            }
            best = Some(c.clone());
        }
        let Some(b) = &best else { continue };
        if c.member >= this_run {
            continue; // an earlier release's document: no decision to write
        }
        // Equal keys (same id and date) both stay, as neither is older.
        let removed = if b.release == 0 && c.key == b.key {
            None
        } else {
            summary.removed += 1;
            let exact = b.exact == c.exact && c.exact != 0;
            summary.exact += u64::from(exact);
            summary.previous += u64::from(b.release != 0);
            Some((b.key.2.clone(), exact, b.release))
        };
        verdicts.push(Verdict {
            member: c.member,
            size: c.size,
            removed,
        })?;
    }

    let mut verdicts = verdicts.finish()?.peekable();
    for u in 0..units {
        let end = universe.offsets[u + 1];
        let mut text = String::new();
        while let Some(v) = verdicts.next_if(|v| v.as_ref().map_or(true, |v| v.member < end)) {
            let v = v?;
            let d = Decision {
                row: (v.member - universe.offsets[u]) as u32,
                cluster_size: v.size,
                survivor: v.removed.as_ref().map(|r| r.0.clone()),
                exact: v.removed.as_ref().is_some_and(|r| r.1),
                previous: v
                    .removed
                    .as_ref()
                    .and_then(|r| r.2.checked_sub(1))
                    .map(|i| previous[i as usize].to_string_lossy().into_owned()),
            };
            text.push_str(&serde_json::to_string(&d).map_err(io::Error::other)?);
            text.push('\n');
        }
        out.write_file(
            format!("dedup/decisions/{}", part_name(u, "jsonl")),
            text.as_bytes(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::gen::Rng;
    use crate::dedup::records::{doc_ref, RecordWriter};

    /// Two units of `n / 2` documents and pair files holding `edges` (dense numbers).
    fn universe_with_edges(
        dir: &std::path::Path,
        n: u64,
        edges: &[(u64, u64)],
    ) -> (Universe, Vec<PathBuf>) {
        let out = OutDir::create(dir).unwrap();
        let half = n / 2;
        let to_ref = |d: u64| {
            if d < half {
                doc_ref(0, d as u32)
            } else {
                doc_ref(1, (d - half) as u32)
            }
        };
        let mut files = Vec::new();
        for (i, chunk) in edges.chunks(edges.len().div_ceil(3)).enumerate() {
            let rel = format!("pairs-{i}.bin");
            let mut w = RecordWriter::create(&out, &rel).unwrap();
            for &(a, b) in chunk {
                w.push(to_ref(a), to_ref(b)).unwrap();
            }
            w.finish().unwrap();
            files.push(dir.join(rel));
        }
        let universe = Universe {
            units: vec![(0, PathBuf::new(), None), (1, PathBuf::new(), None)],
            offsets: vec![0, half, n],
            index: [(0, 0), (1, 1)].into_iter().collect(),
        };
        (universe, files)
    }

    #[test]
    fn out_of_core_components_equal_the_union_find() {
        let n = 200_000u64;
        let mut rng = Rng::new(5);
        let mut edges = Vec::new();
        // A long chain in shuffled node order (the worst case for label propagation), a big
        // star, and many small random clusters.
        let mut chain: Vec<u64> = (0..20_000).map(|i| i * 7 + 3).collect();
        for i in (1..chain.len()).rev() {
            chain.swap(i, rng.below(i + 1));
        }
        edges.extend(chain.windows(2).map(|w| (w[0], w[1])));
        edges.extend((0..5_000u64).map(|i| (199_999, 150_000 + i * 3)));
        for _ in 0..30_000 {
            let a = rng.below(n as usize) as u64;
            let b = (a + 1 + rng.below(50) as u64) % n;
            edges.push((a, b));
        }
        edges.push((42, 42)); // a self-pair changes nothing
        let dir = tempfile::tempdir().unwrap();
        let (universe, files) = universe_with_edges(dir.path(), n, &edges);
        let collect = |budget: usize| -> Vec<Member> {
            let scratch = Scratch::new(&dir.path().join("s"), "t", budget).unwrap();
            components(&universe, &files, &scratch)
                .unwrap()
                .collect::<io::Result<_>>()
                .unwrap()
        };
        let in_memory = collect(64 << 20);
        let external = collect(1 << 20); // 12 B × 200 000 > 2 × 1 MiB: out of core, spilling
        assert_eq!(in_memory.len(), external.len());
        assert!(in_memory == external, "same members, roots and sizes");
        let chain_min = *chain.iter().min().unwrap();
        let m = in_memory.iter().find(|m| m.member == chain[0]).unwrap();
        assert_eq!(m.root, chain_min.min(m.root));
        assert!(m.size as usize >= chain.len());
        assert!(in_memory.iter().all(|m| m.root <= m.member && m.size >= 2));
        assert_eq!(
            std::fs::read_dir(dir.path().join("s")).unwrap().count(),
            0,
            "scratch runs removed"
        );
    }
}
