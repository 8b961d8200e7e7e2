//! Benchmark support: a deterministic corpus generator over the real text in `../shared/data`.

pub mod gen;
