//! The Slurm executor: one `sbatch --array` per stage, chained with
//! `--dependency=afterok:<previous job>` and `--kill-on-invalid-dep=yes`.
//!
//! Array task `i` of a stage cut into `K` tasks runs `tamis run PIPELINE --stage S --task i/K`,
//! that is the units `i, i+K, …` ([`crate::exec::units_of_task`]); the bytes of the outputs do not
//! depend on `K`. Success is judged from the completion markers under `OUT/_tasks/`, never from
//! `sbatch` (whose `--wait` returns 0 for a job cancelled by a failed dependency); the
//! scheduler's own view (`squeue`, then `sacct`, or `scontrol` when the cluster keeps no
//! accounting) only adds running/pending/failed details.
//!
//! The module is in two halves:
//! - pure planning and parsing, unit-tested here: [`array_width`], [`missing_tasks`],
//!   [`plan_jobs`], [`array_spec`], [`render_script`], [`sbatch_args`], [`parse_job_id`],
//!   [`parse_max_array_size`], [`parse_squeue`], [`parse_sacct`], [`parse_scontrol_jobs`],
//!   [`classify_stage`];
//! - the process calls, isolated in [`Slurm`].
//!
//! Files: `OUT/_slurm/<stage>.sbatch` (the scripts), `OUT/_slurm/logs/` (one log per array task),
//! `OUT/_slurm/jobs.json` ([`JobsFile`]: every submission with its job ids).

use std::collections::BTreeMap;
use std::io;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::out::OutDir;

/// Slurm's default `MaxArraySize` (array indices must stay below it).
pub const DEFAULT_MAX_ARRAY_SIZE: usize = 1001;
/// Folder of the scripts, logs and job record, under OUT.
pub const SLURM_DIR: &str = "_slurm";
/// The job record, under OUT.
pub const JOBS_FILE: &str = "_slurm/jobs.json";
/// How long a query (`squeue`, `sacct`, `scontrol`) may take: Slurm clients retry for a while
/// when slurmctld does not answer.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `sbatch` may take.
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(180);
/// Slurm's reason for a job whose dependency can never be satisfied.
const DEPENDENCY_NEVER_SATISFIED: &str = "DependencyNeverSatisfied";

/// What can go wrong talking to Slurm or keeping its files.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    /// A Slurm command could not be started.
    #[error("could not run `{program}` ({source}); is Slurm installed and on PATH?")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// A Slurm command exited with an error.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A Slurm command did not answer in time (it was killed).
    #[error("`{command}` did not answer within {seconds} s (is slurmctld reachable?)")]
    TimedOut {
        /// The command line.
        command: String,
        /// The time limit.
        seconds: u64,
    },
    /// `sbatch --parsable` printed no job id.
    #[error("`{command}` printed no job id (stdout: {stdout:?})")]
    NoJobId {
        /// The command line.
        command: String,
        /// What it printed.
        stdout: String,
    },
    /// A value that cannot be written on an `#SBATCH` line.
    #[error("{option} {value:?}: {problem}")]
    BadOption {
        /// The option (`--account`, `--sbatch-arg`, …).
        option: String,
        /// The value given.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `jobs.json` does not parse.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
}

// ---------------------------------------------------------------------------------------------
// Planning (pure)

/// A stage as the planner sees it: its name and, per unit, whether its marker is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageUnits {
    /// Stage name (`filter`, `dedup-signature`, …).
    pub name: String,
    /// `done[u]`: unit `u` has its completion marker.
    pub done: Vec<bool>,
}

impl StageUnits {
    /// Units of the stage.
    pub fn units(&self) -> usize {
        self.done.len()
    }

    /// Units with a marker.
    pub fn done_count(&self) -> usize {
        self.done.iter().filter(|&&d| d).count()
    }

    /// Every unit has its marker (a stage without units is complete).
    pub fn complete(&self) -> bool {
        self.done.iter().all(|&d| d)
    }
}

/// Array width `K` of a stage: `min(tasks, units)`, kept below `max_array_size` (indices
/// `0..K` must all be valid: when the cap bites, each array task takes several tasks' worth of
/// units, since task `i` of `K` runs units `i, i+K, …`). 0 for a stage without units.
pub fn array_width(tasks: usize, units: usize, max_array_size: usize) -> usize {
    if units == 0 {
        return 0;
    }
    tasks
        .max(1)
        .min(units)
        .min(max_array_size.saturating_sub(1).max(1))
}

/// The tasks (array indices) of `0..width` with at least one unit not done; unit `u` belongs to
/// task `u % width`, as in [`crate::exec::units_of_task`].
pub fn missing_tasks(done: &[bool], width: usize) -> Vec<usize> {
    if width == 0 {
        return Vec::new();
    }
    let mut missing = vec![false; width];
    for (u, &d) in done.iter().enumerate() {
        if !d {
            missing[u % width] = true;
        }
    }
    (0..width).filter(|&i| missing[i]).collect()
}

/// What to submit for one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageJob {
    /// Stage name.
    pub stage: String,
    /// Units of the stage.
    pub units: usize,
    /// `K`: the stage is cut into `K` tasks (`--task i/K`); 1 = a single job, no array.
    pub width: usize,
    /// Array indices to submit (all of `0..K` for `submit`, the unfinished ones for `resume`).
    pub indices: Vec<usize>,
}

impl StageJob {
    /// Whether the stage runs as an array job (else a single job running task `0/1`).
    pub fn is_array(&self) -> bool {
        self.width > 1
    }
}

/// Plan the jobs of a run, in stage order: `K = array_width(tasks or units, units, max)` per
/// stage; every index for a submission, only those with unfinished units when
/// `only_missing` (resume). The chain links the planned jobs, each on the one before.
///
/// A stage without units *now* may get some from the stages before it (its count is read
/// again when its task runs): it is planned as one single job whenever an earlier stage is,
/// so that it still runs after them, at the cost of one short job when it really has nothing.
/// Finished stages, and a stage without units with nothing planned before it, are left out.
pub fn plan_jobs(
    stages: &[StageUnits],
    tasks: Option<usize>,
    max_array_size: usize,
    only_missing: bool,
) -> Vec<StageJob> {
    let mut jobs: Vec<StageJob> = Vec::new();
    for s in stages {
        let units = s.units();
        let (width, indices) = if units == 0 {
            if only_missing && jobs.is_empty() {
                continue;
            }
            (1, vec![0])
        } else {
            let width = array_width(tasks.unwrap_or(units), units, max_array_size);
            let indices = if only_missing {
                missing_tasks(&s.done, width)
            } else {
                (0..width).collect()
            };
            (width, indices)
        };
        if indices.is_empty() {
            continue;
        }
        jobs.push(StageJob {
            stage: s.name.clone(),
            units,
            width,
            indices,
        });
    }
    jobs
}

/// Slurm's `--array` value for `indices` (sorted ranges, `0-3,5,7-9`), with `%M` when at most
/// `max_parallel` tasks may run at once.
pub fn array_spec(indices: &[usize], max_parallel: Option<usize>) -> String {
    let mut sorted = indices.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    let mut spec = parts.join(",");
    if let Some(m) = max_parallel.filter(|&m| m > 0) {
        spec.push_str(&format!("%{m}"));
    }
    spec
}

/// Parse an array index list as Slurm prints it (`0-3,5,7-9%2`, `[1-3]`); `None` when it is not one.
pub fn parse_index_list(text: &str) -> Option<Vec<usize>> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let text = text.split('%').next().unwrap_or("");
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return None;
        }
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                if b < a || b - a > 1_000_000 {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

/// Scheduler options written as `#SBATCH` lines of every script.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbatchOptions {
    /// `--account` (project hours are charged to it; Jean Zay: `abc@cpu`).
    pub account: Option<String>,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// `--time` (time limit of each array task, e.g. `02:00:00`).
    pub time: Option<String>,
    /// `--constraint`.
    pub constraint: Option<String>,
    /// `--cpus-per-task`; tasks then run with that many threads.
    pub cpus_per_task: Option<usize>,
    /// Raw sbatch arguments for every stage (`--mem=8G`, `--hint=nomultithread`).
    #[serde(default)]
    pub extra: Vec<String>,
    /// Raw sbatch arguments for one stage: (stage, argument).
    #[serde(default)]
    pub per_stage: Vec<(String, String)>,
}

impl SbatchOptions {
    /// Options given now win; those not given keep the recorded value (resume).
    pub fn or(self, recorded: &SbatchOptions) -> SbatchOptions {
        SbatchOptions {
            account: self.account.or_else(|| recorded.account.clone()),
            partition: self.partition.or_else(|| recorded.partition.clone()),
            qos: self.qos.or_else(|| recorded.qos.clone()),
            time: self.time.or_else(|| recorded.time.clone()),
            constraint: self.constraint.or_else(|| recorded.constraint.clone()),
            cpus_per_task: self.cpus_per_task.or(recorded.cpus_per_task),
            extra: if self.extra.is_empty() {
                recorded.extra.clone()
            } else {
                self.extra
            },
            per_stage: if self.per_stage.is_empty() {
                recorded.per_stage.clone()
            } else {
                self.per_stage
            },
        }
    }

    /// The `#SBATCH` arguments of `stage`, escaped for sbatch's script parser.
    pub fn lines(&self, stage: &str) -> Result<Vec<String>, SlurmError> {
        let mut v = Vec::new();
        let named = [
            ("--account", &self.account),
            ("--partition", &self.partition),
            ("--qos", &self.qos),
            ("--time", &self.time),
            ("--constraint", &self.constraint),
        ];
        for (opt, value) in named {
            if let Some(value) = value {
                v.push(format!("{opt}={}", sbatch_escape(opt, value)?));
            }
        }
        if let Some(c) = self.cpus_per_task {
            v.push(format!("--cpus-per-task={c}"));
        }
        let raw = self.extra.iter().map(|a| ("--sbatch-arg", a)).chain(
            self.per_stage
                .iter()
                .filter(|(s, _)| s == stage)
                .map(|(_, a)| ("--stage-sbatch-arg", a)),
        );
        for (opt, arg) in raw {
            if !arg.starts_with('-') {
                return Err(SlurmError::BadOption {
                    option: opt.into(),
                    value: arg.clone(),
                    problem: "an sbatch option starts with `-` (e.g. --mem=8G)",
                });
            }
            v.push(sbatch_escape(opt, arg)?);
        }
        Ok(v)
    }
}

/// Escape one argument for an `#SBATCH` line. sbatch splits those lines on blanks (a backslash
/// does not protect a blank, quotes do), honours backslash escapes and cuts at an unescaped `#`
/// (older versions even inside quotes): a value with any of those is double-quoted, with `"`,
/// `\`, `'` and `#` backslash-escaped inside.
fn sbatch_escape(option: &str, value: &str) -> Result<String, SlurmError> {
    if value.contains(['\n', '\r', '\0']) {
        return Err(SlurmError::BadOption {
            option: option.into(),
            value: value.into(),
            problem: "a line break cannot go on an #SBATCH line",
        });
    }
    let special = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | '#');
    if !value.chars().any(special) {
        return Ok(value.into());
    }
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\'' | '\\' | '#') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    Ok(s)
}

/// Quote a word for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        return s.into();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Job name of a stage (what `%x` in the log name and `squeue`'s NAME show).
pub fn job_name(pipeline: &str, stage: &str) -> String {
    let clean: String = pipeline
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("tamis-{clean}-{stage}")
}

/// Where the log of array task `index` of job `job_id` is (`None` for a single job).
pub fn log_path(output: &Path, job_name: &str, job_id: &str, index: Option<usize>) -> PathBuf {
    let file = match index {
        Some(i) => format!("{job_name}-{job_id}_{i}.out"),
        None => format!("{job_name}-{job_id}.out"),
    };
    output.join(SLURM_DIR).join("logs").join(file)
}

/// What every script of a run shares.
#[derive(Debug, Clone)]
pub struct ScriptContext<'a> {
    /// The tamis binary (absolute; compute nodes must see it).
    pub tamis: &'a Path,
    /// The pipeline file (absolute).
    pub pipeline: &'a Path,
    /// The pipeline's name.
    pub pipeline_name: &'a str,
    /// OUT (absolute).
    pub output: &'a Path,
    /// Working directory of the tasks (relative paths in the pipeline are taken from it).
    pub workdir: &'a Path,
    /// Scheduler options.
    pub options: &'a SbatchOptions,
}

fn path_str(p: &Path, what: &str) -> Result<String, SlurmError> {
    p.to_str().map(str::to_owned).ok_or(SlurmError::BadOption {
        option: what.into(),
        value: p.to_string_lossy().into_owned(),
        problem: "the path is not valid UTF-8",
    })
}

/// The sbatch script of a stage. `--array` and `--dependency` are left to the command line
/// ([`sbatch_args`]): they change on every (re)submission, the script does not.
pub fn render_script(ctx: &ScriptContext<'_>, job: &StageJob) -> Result<String, SlurmError> {
    use std::fmt::Write;
    let name = job_name(ctx.pipeline_name, &job.stage);
    let output = path_str(ctx.output, "--output")?;
    let logs = format!(
        "{output}/{SLURM_DIR}/logs/%x-{}.out",
        if job.is_array() { "%A_%a" } else { "%j" }
    );
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let cut = if job.is_array() {
        format!(
            "{} units in {} tasks: task i runs units i, i+{}, …",
            job.units, job.width, job.width
        )
    } else {
        format!(
            "{} unit{}, one job",
            job.units,
            if job.units == 1 { "" } else { "s" }
        )
    };
    let _ = writeln!(
        s,
        "# tamis: stage {} of pipeline {} ({cut}).",
        job.stage, ctx.pipeline_name
    );
    let _ = writeln!(
        s,
        "# Written by `tamis slurm submit`/`resume`, which pass --array and --dependency; \
         `tamis slurm status {}` reports.",
        shell_quote(&output)
    );
    let mut lines = vec![
        format!("--job-name={}", sbatch_escape("--job-name", &name)?),
        format!("--output={}", sbatch_escape("--output", &logs)?),
        format!(
            "--chdir={}",
            sbatch_escape("--chdir", &path_str(ctx.workdir, "working directory")?)?
        ),
        "--nodes=1".into(),
        "--ntasks=1".into(),
    ];
    lines.extend(ctx.options.lines(&job.stage)?);
    for l in lines {
        let _ = writeln!(s, "#SBATCH {l}");
    }
    let _ = writeln!(s, "set -euo pipefail");
    let task = if job.is_array() {
        let _ = writeln!(
            s,
            "i=${{SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-{} (tamis slurm submit does)}}",
            job.width - 1
        );
        format!("\"$i/{}\"", job.width)
    } else {
        "0/1".into()
    };
    let _ = writeln!(
        s,
        "exec {} run {} --output {} --stage {} --task {task} --no-progress \\\n  \
         ${{SLURM_CPUS_PER_TASK:+--threads \"$SLURM_CPUS_PER_TASK\"}}",
        shell_quote(&path_str(ctx.tamis, "tamis binary")?),
        shell_quote(&path_str(ctx.pipeline, "pipeline")?),
        shell_quote(&output),
        shell_quote(&job.stage),
    );
    Ok(s)
}

/// The arguments of `sbatch` for a stage's job (script last), chained on `after` if given.
pub fn sbatch_args(
    job: &StageJob,
    after: Option<&str>,
    max_parallel: Option<usize>,
    script: &str,
) -> Vec<String> {
    let mut v = vec!["--parsable".to_string()];
    if job.is_array() {
        v.push(format!(
            "--array={}",
            array_spec(&job.indices, max_parallel)
        ));
    }
    if let Some(id) = after {
        v.push(format!("--dependency=afterok:{id}"));
        v.push("--kill-on-invalid-dep=yes".into());
    }
    v.push(script.into());
    v
}

/// The job id in `sbatch --parsable`'s answer (`1234` or `1234;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().map(str::trim).find(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// `MaxArraySize` in `scontrol show config`'s output.
pub fn parse_max_array_size(config: &str) -> Option<usize> {
    config.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "MaxArraySize")
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

// ---------------------------------------------------------------------------------------------
// The job record

/// One job submitted for a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedJob {
    /// Stage name.
    pub stage: String,
    /// Slurm job id (of the array).
    pub job_id: String,
    /// Job name (`%x`).
    pub job_name: String,
    /// Units of the stage when submitted.
    pub units: usize,
    /// `K`: tasks the stage was cut into.
    pub width: usize,
    /// Array indices submitted.
    pub indices: Vec<usize>,
    /// The job it waits for.
    pub after: Option<String>,
    /// The script, relative to OUT.
    pub script: String,
}

/// One `submit` or `resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// `submit` or `resume`.
    pub command: String,
    /// When (seconds since the epoch; run metadata, not an output).
    pub unix_time: u64,
    /// `--tasks` (None: one task per unit).
    pub tasks: Option<usize>,
    /// `--max-parallel`.
    pub max_parallel: Option<usize>,
    /// `MaxArraySize` of the cluster then.
    pub max_array_size: usize,
    /// Scheduler options.
    pub options: SbatchOptions,
    /// The jobs, in chain order.
    pub jobs: Vec<SubmittedJob>,
}

/// `OUT/_slurm/jobs.json`: what was submitted for this output directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsFile {
    /// The pipeline file (absolute).
    pub pipeline: PathBuf,
    /// The working directory of the tasks.
    pub workdir: PathBuf,
    /// The tamis binary the tasks run.
    pub tamis: PathBuf,
    /// Every submission, oldest first.
    pub submissions: Vec<Submission>,
}

impl JobsFile {
    /// Read the record of `out`, if there is one.
    pub fn load(out: &Path) -> Result<Option<JobsFile>, SlurmError> {
        let path = out.join(JOBS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| SlurmError::Json { path, source }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SlurmError::Io { path, source }),
        }
    }

    /// Write it (atomically).
    pub fn save(&self, out: &OutDir) -> Result<(), SlurmError> {
        let path = out.path(JOBS_FILE);
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| SlurmError::Json {
            path: path.clone(),
            source,
        })?;
        out.write_file(JOBS_FILE, &bytes)
            .map_err(|source| SlurmError::Io { path, source })
    }

    /// The latest job submitted for `stage`.
    pub fn latest(&self, stage: &str) -> Option<&SubmittedJob> {
        self.submissions
            .iter()
            .rev()
            .find_map(|s| s.jobs.iter().find(|j| j.stage == stage))
    }

    /// The latest submission.
    pub fn last_submission(&self) -> Option<&Submission> {
        self.submissions.last()
    }
}

// ---------------------------------------------------------------------------------------------
// The scheduler's view (parsing is pure)

/// The state of one array task (or single job) as the scheduler reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskState {
    /// Job id (of the array).
    pub job_id: String,
    /// Array index (`None` for a single job).
    pub index: Option<usize>,
    /// Slurm state (`PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, …).
    pub state: String,
    /// Slurm's reason, when it gives one (`Dependency`, `DependencyNeverSatisfied`, …).
    pub reason: Option<String>,
    /// Which command said so.
    pub source: &'static str,
}

impl TaskState {
    /// Queued or running: the stage is not over.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "REQUEUED"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
                | "RESIZING"
                | "SIGNALING"
                | "STAGE_OUT"
                | "STOPPED"
                | "SPECIAL_EXIT"
                | "RESV_DEL_HOLD"
        )
    }

    /// Running (not merely queued).
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "RUNNING" | "CONFIGURING" | "COMPLETING" | "SIGNALING" | "STAGE_OUT"
        )
    }

    /// Ended in failure.
    pub fn is_failure(&self) -> bool {
        matches!(
            self.state.as_str(),
            "FAILED"
                | "TIMEOUT"
                | "OUT_OF_MEMORY"
                | "NODE_FAIL"
                | "BOOT_FAIL"
                | "DEADLINE"
                | "PREEMPTED"
        )
    }
}

/// Split `123`, `123_4` or `123_[4-6%2]` into the job id and its indices (`[None]` for a job).
fn split_job_id(id: &str) -> Option<(String, Vec<Option<usize>>)> {
    let id = id.trim();
    match id.split_once('_') {
        None => id
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| (id.to_string(), vec![None])),
        Some((job, idx)) => {
            let list = parse_index_list(idx)?;
            Some((job.to_string(), list.into_iter().map(Some).collect()))
        }
    }
}

/// Parse `squeue -h -r -o '%i|%T|%r'`.
pub fn parse_squeue(text: &str) -> Vec<TaskState> {
    let mut v = Vec::new();
    for line in text.lines() {
        let mut f = line.split('|');
        let (Some(id), Some(state)) = (f.next(), f.next()) else {
            continue;
        };
        let reason = f
            .next()
            .map(str::trim)
            .filter(|r| !r.is_empty() && *r != "None");
        let Some((job, indices)) = split_job_id(id) else {
            continue;
        };
        for index in indices {
            v.push(TaskState {
                job_id: job.clone(),
                index,
                state: state.trim().to_string(),
                reason: reason.map(str::to_string),
                source: "squeue",
            });
        }
    }
    v
}

/// Parse `sacct -n -P -X -o JobID,State[,Reason]` (`CANCELLED by 0` is `CANCELLED`).
pub fn parse_sacct(text: &str) -> Vec<TaskState> {
    let mut v = Vec::new();
    for line in text.lines() {
        let mut f = line.split('|');
        let (Some(id), Some(state)) = (f.next(), f.next()) else {
            continue;
        };
        let state = state.split_whitespace().next().unwrap_or("").to_string();
        let reason = f
            .next()
            .map(str::trim)
            .filter(|r| !r.is_empty() && *r != "None");
        let Some((job, indices)) = split_job_id(id) else {
            continue; // steps (123.batch) are left out by -X anyway
        };
        for index in indices {
            v.push(TaskState {
                job_id: job.clone(),
                index,
                state: state.clone(),
                reason: reason.map(str::to_string),
                source: "sacct",
            });
        }
    }
    v
}

/// Parse `scontrol -o show job ID` (one record a line; an array's pending or cancelled tasks
/// share one record with `ArrayTaskId=0-3`).
pub fn parse_scontrol_jobs(text: &str) -> Vec<TaskState> {
    let mut v = Vec::new();
    for line in text.lines() {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for word in line.split_whitespace() {
            if let Some((k, val)) = word.split_once('=') {
                fields.entry(k).or_insert(val);
            }
        }
        let (Some(job_id), Some(state)) = (fields.get("JobId"), fields.get("JobState")) else {
            continue;
        };
        let reason = fields
            .get("Reason")
            .filter(|r| **r != "None")
            .map(|r| r.to_string());
        let (job, indices): (String, Vec<Option<usize>>) =
            match (fields.get("ArrayJobId"), fields.get("ArrayTaskId")) {
                (Some(a), Some(t)) => match parse_index_list(t) {
                    Some(list) => (a.to_string(), list.into_iter().map(Some).collect()),
                    None => continue,
                },
                _ => (job_id.to_string(), vec![None]),
            };
        for index in indices {
            v.push(TaskState {
                job_id: job.clone(),
                index,
                state: state.to_string(),
                reason: reason.clone(),
                source: "scontrol",
            });
        }
    }
    v
}

/// What the scheduler says about a set of jobs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SchedulerView {
    /// Whether `squeue` answered (else only the markers speak).
    pub available: bool,
    /// Per array task; the first source that knows a task wins (squeue, sacct, scontrol).
    pub tasks: Vec<TaskState>,
    /// What could not be asked, and why.
    pub notes: Vec<String>,
}

impl SchedulerView {
    /// States of job `job_id`'s tasks.
    pub fn of_job<'a>(&'a self, job_id: &'a str) -> impl Iterator<Item = &'a TaskState> + 'a {
        self.tasks.iter().filter(move |t| t.job_id == job_id)
    }

    fn add(&mut self, states: Vec<TaskState>) {
        for t in states {
            if !self
                .tasks
                .iter()
                .any(|k| k.job_id == t.job_id && k.index == t.index)
            {
                self.tasks.push(t);
            }
        }
    }

    /// Jobs among `ids` with a task still queued or running.
    pub fn active_jobs(&self, ids: &[String]) -> Vec<String> {
        let mut v: Vec<String> = ids
            .iter()
            .filter(|id| self.of_job(id).any(|t| t.is_active()))
            .cloned()
            .collect();
        v.dedup();
        v
    }
}

/// The state of a stage, from its markers first and the scheduler second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageState {
    /// Every unit has its marker.
    Done,
    /// A task of its job is running.
    Running,
    /// Its job is queued (waiting for resources or for the previous stage).
    Pending,
    /// Its job ended without finishing every unit (a task failed, timed out, …).
    Failed,
    /// Its job was cancelled (by a failed dependency: it never ran, or by `scancel`).
    Cancelled,
    /// Never submitted for this OUT.
    NotSubmitted,
    /// Units are missing and the scheduler cannot be asked (`squeue` does not answer).
    Unknown,
}

impl StageState {
    /// Lower-case name as printed.
    pub fn name(self) -> &'static str {
        match self {
            StageState::Done => "done",
            StageState::Running => "running",
            StageState::Pending => "pending",
            StageState::Failed => "failed",
            StageState::Cancelled => "cancelled",
            StageState::NotSubmitted => "not-submitted",
            StageState::Unknown => "unknown",
        }
    }
}

/// Classify a stage. The markers decide "done"; otherwise the scheduler's states of its latest
/// job (`tasks`) tell queued, running, failed or cancelled. When the scheduler has forgotten the
/// job (no accounting storage, past `MinJobAge`), the markers still tell: a stage whose
/// predecessor finished had its chance and failed; one whose predecessor did not never ran.
pub fn classify_stage(
    stage: &StageUnits,
    job: Option<&SubmittedJob>,
    tasks: &[&TaskState],
    previous_complete: bool,
    scheduler_available: bool,
) -> (StageState, String) {
    let missing = stage.units() - stage.done_count();
    if missing == 0 {
        return (StageState::Done, String::new());
    }
    let missing = if missing == 1 {
        "1 unit".to_string()
    } else {
        format!("{missing} units")
    };
    let Some(job) = job else {
        return (
            StageState::NotSubmitted,
            format!("{missing} to run; nothing submitted"),
        );
    };
    if tasks.iter().any(|t| t.is_running()) {
        let n = tasks.iter().filter(|t| t.is_running()).count();
        return (StageState::Running, format!("{n} tasks running"));
    }
    if let Some(p) = tasks.iter().find(|t| t.is_active()) {
        let n = tasks.iter().filter(|t| t.is_active()).count();
        let why = p.reason.as_deref().unwrap_or("queued");
        return (StageState::Pending, format!("{n} tasks pending ({why})"));
    }
    let failed: Vec<&&TaskState> = tasks.iter().filter(|t| t.is_failure()).collect();
    if let Some(f) = failed.first() {
        return (
            StageState::Failed,
            format!(
                "{} task{} {}; {missing} unfinished",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                f.state
            ),
        );
    }
    if let Some(c) = tasks.iter().find(|t| t.state == "CANCELLED") {
        let never_ran = c.reason.as_deref() == Some(DEPENDENCY_NEVER_SATISFIED);
        return (
            StageState::Cancelled,
            if never_ran || !previous_complete {
                "not run: an earlier stage failed".into()
            } else {
                "cancelled before finishing".into()
            },
        );
    }
    if !tasks.is_empty() {
        return (
            StageState::Failed,
            format!("job {} completed but {missing} without marker", job.job_id),
        );
    }
    if !scheduler_available {
        return (
            StageState::Unknown,
            format!("{missing} unfinished; the scheduler cannot be asked"),
        );
    }
    if previous_complete {
        (
            StageState::Failed,
            format!(
                "job {} has left the queue with {missing} unfinished",
                job.job_id
            ),
        )
    } else {
        (
            StageState::Cancelled,
            "not run: an earlier stage did not finish".into(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Process calls

/// The Slurm commands (`sbatch`, `squeue`, `sacct`, `scontrol`), run as child processes.
#[derive(Debug, Clone, Default)]
pub struct Slurm;

fn command_line(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Slurm {
    /// Run `program args…` (killed after `timeout`); its stdout on success.
    fn run_for(
        &self,
        program: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<String, SlurmError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| SlurmError::Spawn {
                program: program.into(),
                source,
            })?;
        // Drain both pipes while waiting, so a chatty command cannot block on a full pipe.
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() >= timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(SlurmError::TimedOut {
                        command: command_line(program, args),
                        seconds: timeout.as_secs(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(source) => {
                    break Err(SlurmError::Spawn {
                        program: program.into(),
                        source,
                    })
                }
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        let status = status?;
        if !status.success() {
            return Err(SlurmError::Failed {
                command: command_line(program, args),
                status: status.to_string(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    }

    /// A query (`squeue`, `sacct`, `scontrol`), within [`QUERY_TIMEOUT`].
    fn run(&self, program: &str, args: &[String]) -> Result<String, SlurmError> {
        self.run_for(program, args, QUERY_TIMEOUT)
    }

    /// The cluster's `MaxArraySize` (`scontrol show config`), or the default with the reason.
    pub fn max_array_size(&self) -> (usize, Option<String>) {
        match self.run("scontrol", &["show".into(), "config".into()]) {
            Ok(text) => match parse_max_array_size(&text) {
                Some(n) => (n, None),
                None => (
                    DEFAULT_MAX_ARRAY_SIZE,
                    Some("scontrol show config gives no MaxArraySize".into()),
                ),
            },
            Err(e) => (DEFAULT_MAX_ARRAY_SIZE, Some(e.to_string())),
        }
    }

    /// Submit a script: `sbatch ARGS`; the job id.
    pub fn sbatch(&self, args: &[String]) -> Result<String, SlurmError> {
        let stdout = self.run_for("sbatch", args, SUBMIT_TIMEOUT)?;
        parse_job_id(&stdout).ok_or_else(|| SlurmError::NoJobId {
            command: command_line("sbatch", args),
            stdout,
        })
    }

    /// Queued and running tasks of `job_ids` (`squeue`; ended jobs are simply absent).
    pub fn squeue(&self, job_ids: &[String]) -> Result<Vec<TaskState>, SlurmError> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let args = [
            "-h".into(),
            "-r".into(),
            "-j".into(),
            job_ids.join(","),
            "-o".into(),
            "%i|%T|%r".into(),
        ];
        match self.run("squeue", &args) {
            Ok(text) => Ok(parse_squeue(&text)),
            // Every id unknown (jobs ended and forgotten): squeue says so and exits 1.
            Err(SlurmError::Failed { stderr, .. }) if stderr.contains("Invalid job id") => {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// What the scheduler knows of `job_ids`: `squeue` for queued and running tasks, then
    /// `sacct` for ended ones, or `scontrol show job` (recent jobs only) when `sacct` does not
    /// work (no accounting storage). Each missing command is a note, not an error.
    pub fn view(&self, job_ids: &[String]) -> SchedulerView {
        let mut view = SchedulerView::default();
        if job_ids.is_empty() {
            view.available = self.run("squeue", &["--version".into()]).is_ok();
            return view;
        }
        match self.squeue(job_ids) {
            Ok(states) => {
                view.available = true;
                view.add(states);
            }
            Err(e) => {
                view.notes.push(format!("squeue: {e}"));
                return view;
            }
        }
        let list = job_ids.join(",");
        let sacct = [
            "-n".into(),
            "-P".into(),
            "-X".into(),
            "-j".into(),
            list,
            "-o".into(),
            "JobID,State".into(),
        ];
        match self.run("sacct", &sacct) {
            Ok(text) => view.add(parse_sacct(&text)),
            Err(e) => {
                view.notes.push(format!(
                    "sacct: {e} (ended jobs from scontrol instead: recent ones only)"
                ));
                for id in job_ids {
                    let args = ["-o".into(), "show".into(), "job".into(), id.clone()];
                    if let Ok(text) = self.run("scontrol", &args) {
                        view.add(parse_scontrol_jobs(&text));
                    }
                }
            }
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::units_of_task;

    fn stage(name: &str, done: &[bool]) -> StageUnits {
        StageUnits {
            name: name.into(),
            done: done.to_vec(),
        }
    }

    #[test]
    fn width_is_tasks_capped_by_units_and_array_size() {
        assert_eq!(array_width(2, 4, 1001), 2);
        assert_eq!(array_width(8, 4, 1001), 4);
        assert_eq!(array_width(0, 4, 1001), 1);
        assert_eq!(array_width(5000, 90_000, 1001), 1000);
        assert_eq!(array_width(5000, 90_000, 11), 10);
        assert_eq!(array_width(3, 0, 1001), 0);
        assert_eq!(array_width(3, 5, 1), 1);
    }

    #[test]
    fn missing_tasks_follow_units_of_task() {
        let done = [true, false, true, true, true, false, true];
        for width in 1..=7 {
            let expected: Vec<usize> = (0..width)
                .filter(|&i| {
                    units_of_task(done.len(), i, width)
                        .iter()
                        .any(|&u| !done[u])
                })
                .collect();
            assert_eq!(missing_tasks(&done, width), expected, "width {width}");
        }
        assert_eq!(missing_tasks(&done, 2), vec![1]);
        assert!(missing_tasks(&[true; 4], 2).is_empty());
    }

    #[test]
    fn a_capped_array_still_covers_every_unit_once() {
        let units = 2500;
        let width = array_width(5000, units, 1001);
        let mut seen = vec![0; units];
        for i in 0..width {
            for u in units_of_task(units, i, width) {
                seen[u] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
    }

    #[test]
    fn submit_plans_every_index_and_resume_only_unfinished_ones() {
        let stages = [
            stage("filter", &[true, true, true, true]),
            stage("dedup-signature", &[true, false, true, true]),
            stage("dedup-bucket", &[false; 15]),
            stage("dedup-cluster", &[false]),
            stage("empty", &[]),
            stage("finalize", &[false]),
        ];
        let all = plan_jobs(&stages, Some(2), 1001, false);
        assert_eq!(
            all.iter().map(|j| j.stage.as_str()).collect::<Vec<_>>(),
            [
                "filter",
                "dedup-signature",
                "dedup-bucket",
                "dedup-cluster",
                "empty",
                "finalize"
            ]
        );
        assert_eq!((all[4].width, &all[4].indices[..]), (1, &[0][..]));
        assert_eq!(all[0].indices, [0, 1]);
        assert_eq!(all[3].width, 1);
        assert!(!all[3].is_array());
        let resume = plan_jobs(&stages, Some(2), 1001, true);
        assert_eq!(
            resume.iter().map(|j| j.stage.as_str()).collect::<Vec<_>>(),
            [
                "dedup-signature",
                "dedup-bucket",
                "dedup-cluster",
                "empty",
                "finalize"
            ]
        );
        assert_eq!(resume[0].indices, [1]);
        assert!(resume[0].is_array(), "index 1 of 2 needs --array=1");
        assert_eq!(resume[1].indices, [0, 1]);
        // One task per unit by default.
        let per_unit = plan_jobs(&stages, None, 1001, true);
        assert_eq!(per_unit[0].width, 4);
        assert_eq!(per_unit[0].indices, [1]);
        assert_eq!(per_unit[1].width, 15);
        // A stage without units and nothing before it to wait for: nothing to run.
        let idle = [stage("empty", &[]), stage("finalize", &[true])];
        assert!(plan_jobs(&idle, None, 1001, true).is_empty());
    }

    #[test]
    fn array_specs_are_ranges() {
        assert_eq!(array_spec(&[0, 1, 2, 3], None), "0-3");
        assert_eq!(array_spec(&[0, 1, 2, 3], Some(2)), "0-3%2");
        assert_eq!(array_spec(&[7, 5, 0, 1, 8, 9], None), "0-1,5,7-9");
        assert_eq!(array_spec(&[4], Some(0)), "4");
        assert_eq!(
            parse_index_list("0-1,5,7-9%2"),
            Some(vec![0, 1, 5, 7, 8, 9])
        );
        assert_eq!(parse_index_list("[2-3]"), Some(vec![2, 3]));
        assert_eq!(parse_index_list("N/A"), None);
        assert_eq!(parse_index_list(""), None);
    }

    fn ctx_options() -> SbatchOptions {
        SbatchOptions {
            account: Some("abc@cpu".into()),
            partition: Some("cpu_p1".into()),
            qos: Some("qos_cpu-t3".into()),
            time: Some("02:00:00".into()),
            constraint: None,
            cpus_per_task: Some(4),
            extra: vec!["--hint=nomultithread".into(), "--comment=a #b".into()],
            per_stage: vec![
                ("dedup-cluster".into(), "--mem=64G".into()),
                ("filter".into(), "--mem=4G".into()),
            ],
        }
    }

    #[test]
    fn scripts_carry_options_and_run_one_task_of_the_stage() {
        let options = ctx_options();
        let ctx = ScriptContext {
            tamis: Path::new("/opt/tamis/bin/tamis"),
            pipeline: Path::new("/work/p/my pipeline.toml"),
            pipeline_name: "bloom mix",
            output: Path::new("/scratch/out"),
            workdir: Path::new("/work/p"),
            options: &options,
        };
        let job = StageJob {
            stage: "dedup-signature".into(),
            units: 4,
            width: 2,
            indices: vec![0, 1],
        };
        let s = render_script(&ctx, &job).unwrap();
        for line in [
            "#!/bin/bash\n",
            "#SBATCH --job-name=tamis-bloom_mix-dedup-signature\n",
            "#SBATCH --output=/scratch/out/_slurm/logs/%x-%A_%a.out\n",
            "#SBATCH --chdir=/work/p\n",
            "#SBATCH --account=abc@cpu\n",
            "#SBATCH --partition=cpu_p1\n",
            "#SBATCH --qos=qos_cpu-t3\n",
            "#SBATCH --time=02:00:00\n",
            "#SBATCH --cpus-per-task=4\n",
            "#SBATCH --hint=nomultithread\n",
            "#SBATCH \"--comment=a \\#b\"\n",
            "exec /opt/tamis/bin/tamis run '/work/p/my pipeline.toml' --output /scratch/out \
             --stage dedup-signature --task \"$i/2\" --no-progress",
            "${SLURM_CPUS_PER_TASK:+--threads \"$SLURM_CPUS_PER_TASK\"}",
        ] {
            assert!(s.contains(line), "{line:?} not in\n{s}");
        }
        assert!(
            !s.contains("--mem"),
            "per-stage options stay in their stage"
        );
        // Every #SBATCH line comes before the first command (sbatch stops reading there).
        let first_cmd = s.find("set -euo").unwrap();
        assert!(s.rfind("#SBATCH").unwrap() < first_cmd);

        let single = StageJob {
            stage: "dedup-cluster".into(),
            units: 1,
            width: 1,
            indices: vec![0],
        };
        let s = render_script(&ctx, &single).unwrap();
        assert!(s.contains("--output=/scratch/out/_slurm/logs/%x-%j.out\n"));
        assert!(s.contains("#SBATCH --mem=64G\n"));
        assert!(s.contains("--task 0/1 "));
        assert!(!s.contains("SLURM_ARRAY_TASK_ID"));
    }

    #[test]
    fn bad_options_are_refused_with_their_name() {
        let mut o = SbatchOptions {
            account: Some("a\nb".into()),
            ..Default::default()
        };
        let e = o.lines("filter").unwrap_err().to_string();
        assert!(e.contains("--account"), "{e}");
        o.account = None;
        o.extra = vec!["mem=4G".into()];
        let e = o.lines("filter").unwrap_err().to_string();
        assert!(
            e.contains("--sbatch-arg") && e.contains("starts with `-`"),
            "{e}"
        );
    }

    #[test]
    fn options_given_on_resume_win_over_recorded_ones() {
        let recorded = ctx_options();
        let now = SbatchOptions {
            time: Some("00:30:00".into()),
            ..Default::default()
        };
        let merged = now.or(&recorded);
        assert_eq!(merged.time.as_deref(), Some("00:30:00"));
        assert_eq!(merged.account.as_deref(), Some("abc@cpu"));
        assert_eq!(merged.extra, recorded.extra);
    }

    #[test]
    fn sbatch_lines_chain_and_cap_parallelism() {
        let job = StageJob {
            stage: "filter".into(),
            units: 4,
            width: 4,
            indices: vec![1, 3],
        };
        assert_eq!(
            sbatch_args(&job, Some("41"), Some(2), "/o/_slurm/filter.sbatch"),
            [
                "--parsable",
                "--array=1,3%2",
                "--dependency=afterok:41",
                "--kill-on-invalid-dep=yes",
                "/o/_slurm/filter.sbatch"
            ]
        );
        let single = StageJob {
            stage: "finalize".into(),
            units: 1,
            width: 1,
            indices: vec![0],
        };
        assert_eq!(sbatch_args(&single, None, None, "f"), ["--parsable", "f"]);
    }

    #[test]
    fn job_ids_and_array_size_are_read_from_slurm_output() {
        assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("1234;jeanzay\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("Submitted batch job 12"), None);
        assert_eq!(parse_job_id(""), None);
        let config = "Configuration data as of 2026-11-25T13:34:47\n\
                      MaxArraySize            = 10001\nMaxJobCount = 10000\n";
        assert_eq!(parse_max_array_size(config), Some(10001));
        assert_eq!(parse_max_array_size("nothing"), None);
        assert_eq!(shell_quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn scheduler_outputs_parse_per_array_task() {
        // Real outputs of Slurm 22.05 (squeue -h -r -o '%i|%T|%r', scontrol -o show job).
        let sq =
            parse_squeue("7_0|RUNNING|None\n7_1|PENDING|JobArrayTaskLimit\n9|PENDING|Dependency\n");
        assert_eq!(sq.len(), 3);
        assert_eq!((sq[0].job_id.as_str(), sq[0].index), ("7", Some(0)));
        assert!(sq[0].is_running());
        assert_eq!(sq[2].index, None);
        assert_eq!(sq[2].reason.as_deref(), Some("Dependency"));
        let sc = parse_scontrol_jobs(
            "JobId=12 ArrayJobId=7 ArrayTaskId=2 ArrayTaskThrottle=1 JobName=wrap UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null)\n\
             JobId=8 ArrayJobId=8 ArrayTaskId=0-1 JobName=wrap JobState=CANCELLED Reason=DependencyNeverSatisfied\n\
             JobId=9 JobName=wrap JobState=CANCELLED Reason=DependencyNeverSatisfied\n",
        );
        assert_eq!(sc.len(), 4);
        assert_eq!((sc[0].job_id.as_str(), sc[0].index), ("7", Some(2)));
        assert!(sc[0].is_failure());
        assert_eq!(sc[1].index, Some(0));
        assert_eq!(sc[2].index, Some(1));
        assert_eq!(sc[3].index, None);
        let sa =
            parse_sacct("7_0|COMPLETED|None\n7_[1-2]|PENDING|Dependency\n8|CANCELLED by 0|None\n");
        assert_eq!(sa.len(), 4);
        assert_eq!(sa[3].state, "CANCELLED");
    }

    fn job(stage: &str, id: &str) -> SubmittedJob {
        SubmittedJob {
            stage: stage.into(),
            job_id: id.into(),
            job_name: format!("tamis-q-{stage}"),
            units: 4,
            width: 2,
            indices: vec![0, 1],
            after: None,
            script: format!("_slurm/{stage}.sbatch"),
        }
    }

    fn task(id: &str, index: usize, state: &str, reason: Option<&str>) -> TaskState {
        TaskState {
            job_id: id.into(),
            index: Some(index),
            state: state.into(),
            reason: reason.map(str::to_string),
            source: "test",
        }
    }

    #[test]
    fn markers_decide_done_and_the_scheduler_the_rest() {
        let done = stage("filter", &[true; 4]);
        let half = stage("dedup-signature", &[true, false, true, true]);
        let none = stage("dedup-bucket", &[false; 4]);
        let j = job("dedup-signature", "13");
        // Markers win, whatever the scheduler says.
        let failed = task("12", 1, "FAILED", Some("NonZeroExitCode"));
        assert_eq!(
            classify_stage(&done, Some(&j), &[&failed], true, true).0,
            StageState::Done
        );
        assert_eq!(
            classify_stage(&half, None, &[], true, true).0,
            StageState::NotSubmitted
        );
        let running = task("13", 0, "RUNNING", None);
        let pending = task("13", 1, "PENDING", Some("Dependency"));
        assert_eq!(
            classify_stage(&half, Some(&j), &[&running, &pending], true, true).0,
            StageState::Running
        );
        let (s, why) = classify_stage(&none, Some(&j), &[&pending], false, true);
        assert_eq!((s, why.contains("Dependency")), (StageState::Pending, true));
        let ok = task("13", 0, "COMPLETED", None);
        let bad = task("13", 1, "FAILED", Some("NonZeroExitCode"));
        assert_eq!(
            classify_stage(&half, Some(&j), &[&ok, &bad], true, true).0,
            StageState::Failed
        );
        let cancelled = task("14", 0, "CANCELLED", Some("DependencyNeverSatisfied"));
        let (s, why) = classify_stage(&none, Some(&j), &[&cancelled], false, true);
        assert_eq!(s, StageState::Cancelled);
        assert!(why.contains("earlier stage failed"), "{why}");
        // Forgotten by the scheduler (no accounting): the markers of the stage before tell.
        assert_eq!(
            classify_stage(&half, Some(&j), &[], true, true).0,
            StageState::Failed
        );
        assert_eq!(
            classify_stage(&none, Some(&j), &[], false, true).0,
            StageState::Cancelled
        );
        assert_eq!(
            classify_stage(&none, Some(&j), &[], false, false).0,
            StageState::Unknown
        );
        // Tasks that exited 0 but left units without marker are not success.
        assert_eq!(
            classify_stage(&half, Some(&j), &[&ok], true, true).0,
            StageState::Failed
        );
    }

    #[test]
    fn the_latest_submission_of_a_stage_counts() {
        let mut first = Submission {
            command: "submit".into(),
            unix_time: 0,
            tasks: Some(2),
            max_parallel: None,
            max_array_size: 1001,
            options: SbatchOptions::default(),
            jobs: vec![job("filter", "12"), job("dedup-signature", "13")],
        };
        let record = JobsFile {
            pipeline: "/p.toml".into(),
            workdir: "/w".into(),
            tamis: "/t".into(),
            submissions: vec![first.clone(), {
                first.command = "resume".into();
                first.jobs = vec![job("dedup-signature", "20")];
                first
            }],
        };
        assert_eq!(
            record.latest("filter").map(|j| j.job_id.as_str()),
            Some("12")
        );
        assert_eq!(
            record.latest("dedup-signature").map(|j| j.job_id.as_str()),
            Some("20")
        );
        assert!(record.latest("finalize").is_none());
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<JobsFile>(&text).unwrap(), record);
    }
}
