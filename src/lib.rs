//! tamis — sieve web crawls and code dumps into clean, deduplicated, tokenized training corpora.
//!
//! Data flows one way, and the modules follow it:
//! [`read`] → [`filter`] → dedup → order → weight → tokenize → release.
//! [`doc`], [`config`] and [`out`] are shared by every stage, [`batch`] by the per-document ones, [`extsort`] by the global ones; [`exec`] cuts stages into tasks
//! and runs them; [`cli`] is the command line.
#![warn(missing_docs)]

pub mod batch;
pub mod bench;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod doc;
pub mod exec;
pub mod extsort;
pub mod filter;
pub mod lang;
pub mod order;
pub mod out;
pub mod read;
pub mod release;
pub mod stats;
pub mod tokenize;
pub mod weight;
