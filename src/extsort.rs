//! External merge sort under a memory budget (dedup clustering, temporal order): records are buffered
//! until the budget is reached, sorted and spilled as a run; reading merges the runs (several
//! passes when there are more runs than the budget can hold readers for). Below the budget
//! nothing touches the disk.
//!
//! Runs are scratch files named `.{tag}-NNNNN.PID.tmp` in one folder: never outputs, deleted
//! when their sorter or merged stream is dropped, and left behind only by a killed process (a
//! [`Scratch`] clears its tag's leftovers when it is made again).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

/// Buffer of each run reader while merging.
const READ_BUFFER: usize = 1 << 16;

/// A record the sorter can spill: totally ordered (so the sorted order is unique and the output
/// deterministic) and encodable.
pub trait SortRecord: Ord + Send + Sized {
    /// Append the encoding of `self`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Read one record back.
    fn decode(input: &mut impl Read) -> io::Result<Self>;
    /// Bytes held on the heap besides `size_of::<Self>()` (strings).
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// Little-endian readers for [`SortRecord::decode`].
pub fn read_u64(input: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// See [`read_u64`].
pub fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// A string written as a u32 length and its bytes.
pub fn read_string(input: &mut impl Read) -> io::Result<String> {
    let len = read_u32(input)? as usize;
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// See [`read_string`].
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl SortRecord for (u64, u64) {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1.to_le_bytes());
    }
    fn decode(input: &mut impl Read) -> io::Result<Self> {
        Ok((read_u64(input)?, read_u64(input)?))
    }
}

/// Where runs go and how much memory a sorter may hold.
#[derive(Debug, Clone)]
pub struct Scratch {
    dir: PathBuf,
    tag: String,
    budget: usize,
}

impl Scratch {
    /// Runs of `tag` in `dir`, each sorter holding at most `budget_bytes`. Leftover runs of the
    /// same tag (a killed earlier attempt) are removed.
    pub fn new(dir: &Path, tag: &str, budget_bytes: usize) -> io::Result<Scratch> {
        std::fs::create_dir_all(dir)?;
        let prefix = format!(".{tag}-");
        for e in std::fs::read_dir(dir)?.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                std::fs::remove_file(e.path())?;
            }
        }
        Ok(Scratch {
            dir: dir.to_path_buf(),
            tag: tag.to_string(),
            budget: budget_bytes.max(1 << 20),
        })
    }

    /// The memory budget of one sorter, in bytes.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// A new sorter.
    pub fn sorter<T: SortRecord>(&self) -> Sorter<T> {
        Sorter {
            scratch: self.clone(),
            buf: Vec::new(),
            held: 0,
            runs: Vec::new(),
        }
    }

    fn run_path(&self) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join(format!(".{}-{n:05}.{}.tmp", self.tag, std::process::id()))
    }

    /// Readers one merge pass can hold within the budget.
    fn fan_in(&self) -> usize {
        (self.budget / (2 * READ_BUFFER)).max(2)
    }
}

/// A sorted run on disk, deleted when dropped.
struct Run {
    path: PathBuf,
    count: u64,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn write_run<T: SortRecord>(
    scratch: &Scratch,
    records: impl Iterator<Item = io::Result<T>>,
) -> io::Result<Run> {
    let path = scratch.run_path();
    let mut run = Run { path, count: 0 };
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&run.path)?);
    let mut bytes = Vec::new();
    for r in records {
        bytes.clear();
        r?.encode(&mut bytes);
        w.write_all(&bytes)?;
        run.count += 1;
    }
    w.into_inner().map_err(|e| e.into_error())?;
    Ok(run)
}

/// Collects records, then yields them sorted.
pub struct Sorter<T: SortRecord> {
    scratch: Scratch,
    buf: Vec<T>,
    held: usize,
    runs: Vec<Run>,
}

impl<T: SortRecord> Sorter<T> {
    /// Add a record (spills a run when the budget is reached).
    pub fn push(&mut self, record: T) -> io::Result<()> {
        if self.buf.capacity() == 0 {
            // The whole budget at once: a growing Vec would briefly hold its old and new
            // buffers (up to 3× the budget). Pages are only touched as records arrive.
            self.buf
                .reserve_exact(self.scratch.budget / std::mem::size_of::<T>().max(1) + 1);
        }
        self.held += std::mem::size_of::<T>() + record.heap_bytes();
        self.buf.push(record);
        if self.held >= self.scratch.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.par_sort_unstable();
        let records = std::mem::take(&mut self.buf);
        self.held = 0;
        let run = write_run(&self.scratch, records.into_iter().map(Ok))?;
        self.runs.push(run);
        Ok(())
    }

    /// Runs spilled so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Every record pushed, in order.
    pub fn finish(mut self) -> io::Result<Sorted<T>> {
        if self.runs.is_empty() {
            self.buf.par_sort_unstable();
            return Ok(Sorted::Memory(std::mem::take(&mut self.buf).into_iter()));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let mut runs = std::mem::take(&mut self.runs);
        let fan_in = self.scratch.fan_in();
        while runs.len() > fan_in {
            // Merge the first runs into one; the order of runs does not matter for the result.
            let rest = runs.split_off(fan_in);
            let merged = write_run(&self.scratch, Merge::<T>::open(runs)?)?;
            runs = rest;
            runs.push(merged);
        }
        Ok(Sorted::Merge(Merge::open(runs)?))
    }
}

/// The sorted records of a [`Sorter`].
pub enum Sorted<T: SortRecord> {
    /// Everything fitted in the budget.
    Memory(std::vec::IntoIter<T>),
    /// A k-way merge of spilled runs.
    Merge(Merge<T>),
}

impl<T: SortRecord> Iterator for Sorted<T> {
    type Item = io::Result<T>;
    fn next(&mut self) -> Option<io::Result<T>> {
        match self {
            Sorted::Memory(it) => it.next().map(Ok),
            Sorted::Merge(m) => m.next(),
        }
    }
}

struct RunReader {
    input: BufReader<File>,
    left: u64,
    _run: Run,
}

/// A k-way merge of runs (ties between runs by run order, which cannot show: equal records are
/// identical).
pub struct Merge<T: SortRecord> {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(T, usize)>>,
    failed: bool,
}

impl<T: SortRecord> Merge<T> {
    fn open(runs: Vec<Run>) -> io::Result<Merge<T>> {
        let mut m = Merge {
            readers: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
            failed: false,
        };
        for run in runs {
            let input = BufReader::with_capacity(READ_BUFFER, File::open(&run.path)?);
            m.readers.push(RunReader {
                input,
                left: run.count,
                _run: run,
            });
            let i = m.readers.len() - 1;
            if let Some(r) = m.read(i)? {
                m.heap.push(Reverse((r, i)));
            }
        }
        Ok(m)
    }

    fn read(&mut self, i: usize) -> io::Result<Option<T>> {
        let r = &mut self.readers[i];
        if r.left == 0 {
            return Ok(None);
        }
        r.left -= 1;
        T::decode(&mut r.input).map(Some).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: scratch run: {e}", r._run.path.display()),
            )
        })
    }
}

impl<T: SortRecord> Iterator for Merge<T> {
    type Item = io::Result<T>;
    fn next(&mut self) -> Option<io::Result<T>> {
        if self.failed {
            return None;
        }
        let Reverse((record, i)) = self.heap.pop()?;
        match self.read(i) {
            Ok(Some(r)) => self.heap.push(Reverse((r, i))),
            Ok(None) => {}
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        }
        Some(Ok(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: u64) -> Vec<(u64, u64)> {
        (0..n)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                (x % 1000, x >> 40)
            })
            .collect()
    }

    #[test]
    fn spilled_and_in_memory_sorts_agree_and_clean_up() {
        let dir = tempfile::tempdir().unwrap();
        let records = pseudo_random(200_000);
        let mut want = records.clone();
        want.sort();
        // 1 MiB budget: 16-byte records spill every 65 536.
        let scratch = Scratch::new(dir.path(), "t", 1 << 20).unwrap();
        let mut s = scratch.sorter();
        for r in &records {
            s.push(*r).unwrap();
        }
        assert!(s.spilled_runs() >= 3);
        let got: Vec<(u64, u64)> = s.finish().unwrap().collect::<io::Result<_>>().unwrap();
        assert_eq!(got, want);
        let big = Scratch::new(dir.path(), "t", 64 << 20).unwrap();
        let mut s = big.sorter();
        for r in &records {
            s.push(*r).unwrap();
        }
        assert_eq!(s.spilled_runs(), 0);
        let got: Vec<(u64, u64)> = s.finish().unwrap().collect::<io::Result<_>>().unwrap();
        assert_eq!(got, want);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "runs deleted"
        );
    }

    #[test]
    fn many_runs_merge_in_several_passes() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch::new(dir.path(), "m", 1 << 20).unwrap();
        // Each run is one budget (65 536 records); 40 runs exceed the fan-in of 8.
        let records = pseudo_random(40 * 65_536);
        let mut s = scratch.sorter();
        for r in &records {
            s.push(*r).unwrap();
        }
        assert!(s.spilled_runs() > scratch.fan_in());
        let mut n = 0u64;
        let mut last = (0, 0);
        for r in s.finish().unwrap() {
            let r = r.unwrap();
            assert!(r >= last);
            last = r;
            n += 1;
        }
        assert_eq!(n, records.len() as u64);
    }

    #[test]
    fn leftovers_of_a_killed_attempt_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".c-00001.999.tmp"), b"x").unwrap();
        std::fs::write(dir.path().join(".other-00001.999.tmp"), b"x").unwrap();
        Scratch::new(dir.path(), "c", 1 << 20).unwrap();
        assert!(!dir.path().join(".c-00001.999.tmp").exists());
        assert!(dir.path().join(".other-00001.999.tmp").exists());
    }
}
