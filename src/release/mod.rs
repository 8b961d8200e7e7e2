//! Releases and governance: the manifest that pins inputs, settings, models, lists and outputs by
//! sha256 (so a release can be rebuilt and checked byte for byte), `verify`, audits ("why is this
//! URL not in the corpus?") and diffs between releases. Everything here reads the run's own
//! records; nothing is recomputed from guesses.

pub mod audit;
pub mod datasheet;
pub mod files;
pub mod manifest;
pub mod optout;
pub mod scan;

pub use manifest::{build_manifest, verify, Manifest};
