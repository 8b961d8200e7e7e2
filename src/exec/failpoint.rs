//! A failure-injection point for tests of failure handling and resumption (the Slurm executor's
//! "a unit fails, downstream stages are cancelled, `resume` finishes" path).
//!
//! Always compiled in and inert unless the environment variable [`FAILPOINT_VAR`] is set:
//! `TAMIS_FAILPOINT=STAGE:UNIT[,UNIT…][;STAGE:UNIT…]`, e.g. `TAMIS_FAILPOINT=dedup-signature:1`.
//! A listed unit of a listed stage then fails before it runs (nothing written, no marker), the way
//! a unit whose output cannot be written fails: the task reports it and exits with status 1.
//!
//! A second hook, [`hold_before_rename`], lets crash tests stop a run at a chosen point:
//! `TAMIS_HOLD=SUFFIX` with `TAMIS_HOLD_SIGNAL=FILE` makes the first output file whose path ends
//! with `SUFFIX` stop after its temporary file is written and synced, before the rename; the
//! process then creates `FILE` and waits while `FILE` exists. The test kills it there (`kill -9`)
//! or removes `FILE` to let it go on.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable read by [`hit`].
pub const FAILPOINT_VAR: &str = "TAMIS_FAILPOINT";

/// Whether unit `unit` of stage `stage` must fail, according to `spec` (the variable's value).
pub fn matches(spec: &str, stage: &str, unit: usize) -> bool {
    spec.split(';').any(|entry| {
        let Some((s, units)) = entry.trim().split_once(':') else {
            return false;
        };
        s.trim() == stage
            && units
                .split(',')
                .any(|u| u.trim().parse::<usize>().ok() == Some(unit))
    })
}

/// Whether unit `unit` of stage `stage` must fail now (`$TAMIS_FAILPOINT`; unset: never).
pub fn hit(stage: &str, unit: usize) -> bool {
    std::env::var(FAILPOINT_VAR).is_ok_and(|spec| matches(&spec, stage, unit))
}

/// The environment variable naming the output path suffix to hold at (see the module docs).
pub const HOLD_VAR: &str = "TAMIS_HOLD";
/// The environment variable naming the file created while holding.
pub const HOLD_SIGNAL_VAR: &str = "TAMIS_HOLD_SIGNAL";

/// Whether `target` is the file `suffix` asks to hold at: the path ends with `suffix`, compared
/// on whole path components.
pub fn hold_matches(suffix: &str, target: &Path) -> bool {
    let suffix = Path::new(suffix.trim());
    !suffix.as_os_str().is_empty() && target.ends_with(suffix)
}

/// Called by [`crate::out::AtomicFile::finish`] after the temporary file is synced and before it
/// is renamed to `target`. Inert unless `$TAMIS_HOLD` and `$TAMIS_HOLD_SIGNAL` are both set; holds
/// once per process at most.
pub fn hold_before_rename(target: &Path) {
    static HELD: AtomicBool = AtomicBool::new(false);
    let (Some(suffix), Some(signal)) = (
        std::env::var_os(HOLD_VAR),
        std::env::var_os(HOLD_SIGNAL_VAR),
    ) else {
        return;
    };
    if !hold_matches(&suffix.to_string_lossy(), target) || HELD.swap(true, Ordering::SeqCst) {
        return;
    }
    let signal = Path::new(&signal);
    if std::fs::write(signal, target.to_string_lossy().as_bytes()).is_err() {
        return;
    }
    while signal.exists() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::{hold_matches, matches};
    use std::path::Path;

    #[test]
    fn hold_suffix_matches_whole_components() {
        let t = Path::new("/out/stages/filter/part-00001.parquet");
        assert!(hold_matches("filter/part-00001.parquet", t));
        assert!(hold_matches("part-00001.parquet", t));
        assert!(!hold_matches("ilter/part-00001.parquet", t));
        assert!(!hold_matches("part-00002.parquet", t));
        assert!(!hold_matches("", t));
    }

    #[test]
    fn spec_names_stages_and_units() {
        let spec = "dedup-signature:1,3; filter:0";
        assert!(matches(spec, "dedup-signature", 1));
        assert!(matches(spec, "dedup-signature", 3));
        assert!(!matches(spec, "dedup-signature", 2));
        assert!(matches(spec, "filter", 0));
        assert!(!matches(spec, "dedup-bucket", 0));
        assert!(!matches("", "filter", 0));
        assert!(!matches("garbage", "filter", 0));
    }
}
