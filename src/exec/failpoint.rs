//! A failure-injection point for tests of failure handling and resumption (the Slurm executor's
//! "a unit fails, downstream stages are cancelled, `resume` finishes" path).
//!
//! Always compiled in and inert unless the environment variable [`FAILPOINT_VAR`] is set:
//! `TAMIS_FAILPOINT=STAGE:UNIT[,UNIT…][;STAGE:UNIT…]`, e.g. `TAMIS_FAILPOINT=dedup-signature:1`.
//! A listed unit of a listed stage then fails before it runs (nothing written, no marker), the way
//! a unit whose output cannot be written fails: the task reports it and exits with status 1.

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

#[cfg(test)]
mod tests {
    use super::matches;

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
