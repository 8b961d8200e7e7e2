//! `tamis slurm submit | status | resume`: run a pipeline as chained Slurm array jobs, one per
//! stage, and follow or resume it from the completion markers.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::Pipeline;
use crate::exec::slurm::{
    classify_stage, log_path, plan_jobs, render_script, sbatch_args, shell_quote, JobsFile,
    SbatchOptions, SchedulerView, ScriptContext, Slurm, StageJob, StageState, StageUnits,
    Submission, SubmittedJob, SLURM_DIR,
};
use crate::exec::Plan;
use crate::read::{expand_inputs, InputFile};

/// Run a pipeline on a Slurm cluster: one array job per stage, chained so that a stage starts
/// when every task of the previous one succeeded; follow it and resume it.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    #[command(subcommand)]
    command: SlurmCommand,
}

#[derive(Debug, Subcommand)]
enum SlurmCommand {
    /// Submit every stage of a pipeline: OUT/_slurm/<stage>.sbatch, one `sbatch --array` per
    /// stage chained with --dependency=afterok and --kill-on-invalid-dep=yes; job ids in
    /// OUT/_slurm/jobs.json, logs in OUT/_slurm/logs/.
    Submit(SubmitArgs),
    /// Per stage: units done (from the completion markers, the source of truth), and what the
    /// scheduler says of its job (squeue; sacct, or scontrol without accounting). Exit status 0
    /// when the run is done or still queued/running, 1 when it needs `tamis slurm resume`.
    Status(StatusArgs),
    /// Resubmit only what is missing: the stages with unfinished units and, in each, the array
    /// tasks whose units are not all done, chained again. Options not given are taken from the
    /// last submission recorded in OUT/_slurm/jobs.json.
    Resume(SubmitArgs),
}

/// Options of `submit` and `resume`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The pipeline file (TOML). Relative paths in it are taken from the working directory,
    /// which the tasks share (it must be visible from the compute nodes).
    pub pipeline: PathBuf,
    /// Output directory (overrides `output` in the pipeline). Every compute node must see it:
    /// a shared filesystem such as $SCRATCH on Jean Zay.
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Array tasks per stage; task i runs the units i, i+N, … A stage gets at most one task per
    /// unit and fewer than the cluster's MaxArraySize. Default: one task per unit (resume: the
    /// last submission's value).
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// At most M tasks of a stage run at once (`--array=…%M`).
    #[arg(long, value_name = "M")]
    pub max_parallel: Option<usize>,
    /// Account charged for the jobs (`#SBATCH --account`; Jean Zay: `abc@cpu`).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Partition (`#SBATCH --partition`, e.g. cpu_p1).
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Quality of service (`#SBATCH --qos`, e.g. qos_cpu-t3).
    #[arg(long, value_name = "Q")]
    pub qos: Option<String>,
    /// Time limit of each task (`#SBATCH --time`, e.g. 02:00:00).
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// Node features (`#SBATCH --constraint`).
    #[arg(long, value_name = "C")]
    pub constraint: Option<String>,
    /// CPUs per task (`#SBATCH --cpus-per-task`); each task then runs that many threads.
    #[arg(long, value_name = "C")]
    pub cpus_per_task: Option<usize>,
    /// Any other sbatch option, on an #SBATCH line of every stage's script (repeatable):
    /// --sbatch-arg=--mem=8G --sbatch-arg=--hint=nomultithread.
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// An sbatch option for one stage only (repeatable): --stage-sbatch-arg dedup-cluster=--mem=64G.
    #[arg(
        long = "stage-sbatch-arg",
        value_name = "STAGE=ARG",
        allow_hyphen_values = true,
        value_parser = parse_stage_arg
    )]
    pub stage_sbatch_args: Vec<(String, String)>,
    /// Print the scripts and the sbatch command lines; submit and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_stage_arg(s: &str) -> Result<(String, String), String> {
    let (stage, arg) = s
        .split_once('=')
        .ok_or("expected STAGE=ARG, e.g. dedup-cluster=--mem=64G")?;
    Ok((stage.trim().to_string(), arg.trim().to_string()))
}

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The output directory of the run.
    pub output: PathBuf,
    /// The pipeline (default: the one recorded in OUT/_slurm/jobs.json).
    #[arg(long, value_name = "PIPELINE")]
    pub pipeline: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tamis slurm …`.
pub fn run(args: SlurmArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SlurmCommand::Submit(a) => submit(a, false),
        SlurmCommand::Resume(a) => submit(a, true),
        SlurmCommand::Status(a) => status(a),
    }
}

fn load_pipeline(path: &Path) -> anyhow::Result<Pipeline> {
    let p = Pipeline::load(path)?;
    p.validate(path)?;
    Ok(p)
}

fn input_files(p: &Pipeline, path: &Path) -> anyhow::Result<Vec<InputFile>> {
    expand_inputs(&p.inputs).map_err(|problems| {
        anyhow::anyhow!(
            "inputs of {}:\n  - {}",
            path.display(),
            problems.join("\n  - ")
        )
    })
}

/// Print a line of progress to stdout, ignoring a closed pipe: submitting and recording the job
/// ids must not stop halfway because nobody reads.
fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Print to stdout; a closed pipe (`| head`) becomes an error that `main` treats as quiet.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Each stage with, per unit, whether its marker is there.
fn stage_units(plan: &Plan<'_>) -> Vec<StageUnits> {
    plan.stages()
        .into_iter()
        .map(|s| StageUnits {
            name: s.name(),
            done: (0..plan.units(s)).map(|u| plan.unit_done(s, u)).collect(),
        })
        .collect()
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot make it absolute", p.display()))
}

fn all_job_ids(record: &JobsFile) -> Vec<String> {
    let mut ids: Vec<String> = record
        .submissions
        .iter()
        .flat_map(|s| s.jobs.iter().map(|j| j.job_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn submit(args: SubmitArgs, resume: bool) -> anyhow::Result<ExitCode> {
    let command = if resume { "resume" } else { "submit" };
    if args.tasks == Some(0) {
        bail!("--tasks must be at least 1");
    }
    let workdir = std::env::current_dir().context("the working directory")?;
    let pipeline_path = absolute(&args.pipeline)?;
    let p = load_pipeline(&args.pipeline)?;
    let output = args
        .output
        .clone()
        .or_else(|| p.output.clone())
        .context("no output directory: set `output` in the pipeline or pass --output")?;
    let output = absolute(&output)?;
    let recorded = JobsFile::load(&output)?;
    if let Some(r) = &recorded {
        if resume && r.workdir != workdir {
            bail!(
                "{} was submitted from {}; run `tamis slurm resume` there (relative paths of \
                 the pipeline are taken from the working directory)",
                output.display(),
                r.workdir.display()
            );
        }
    }
    let files = input_files(&p, &args.pipeline)?;
    // Filters load their models and lists now, so a missing asset fails here, not in the queue.
    let chain = p.filters.build().map_err(|problems| {
        anyhow::anyhow!(
            "filters of {}:\n  - {}",
            args.pipeline.display(),
            crate::config::join_problems(&problems, "\n  - ")
        )
    })?;
    let tamis = std::env::current_exe()
        .and_then(|e| e.canonicalize())
        .context("the path of the tamis binary")?;
    let slurm = Slurm;
    if let Some(r) = &recorded {
        let ids = all_job_ids(r);
        let queued = match slurm.squeue(&ids) {
            Ok(q) => q,
            Err(e) if args.dry_run => {
                eprintln!("tamis: note: cannot check the jobs of earlier submissions: {e}");
                Vec::new()
            }
            Err(e) => {
                return Err(e).context(format!(
                    "checking that no job of an earlier submission into {} is still queued",
                    output.display()
                ))
            }
        };
        let view = SchedulerView {
            available: true,
            tasks: queued,
            notes: Vec::new(),
        };
        let active = view.active_jobs(&ids);
        if !active.is_empty() {
            let msg = format!(
                "jobs {} of an earlier submission into {} are still queued or running; wait for \
                 them (tamis slurm status {}) or cancel them (scancel {}) before you {command}",
                active.join(", "),
                output.display(),
                shell_quote(&output.to_string_lossy()),
                active.join(" ")
            );
            if !args.dry_run {
                bail!(msg);
            }
            eprintln!("tamis: note: {msg}");
        }
    }

    let last = recorded.as_ref().and_then(|r| r.last_submission());
    let given = SbatchOptions {
        account: args.account.clone(),
        partition: args.partition.clone(),
        qos: args.qos.clone(),
        time: args.time.clone(),
        constraint: args.constraint.clone(),
        cpus_per_task: args.cpus_per_task,
        extra: args.sbatch_args.clone(),
        per_stage: args.stage_sbatch_args.clone(),
    };
    let (options, tasks, max_parallel) = match (resume, last) {
        (true, Some(s)) => (
            given.or(&s.options),
            args.tasks.or(s.tasks),
            args.max_parallel.or(s.max_parallel),
        ),
        _ => (given, args.tasks, args.max_parallel),
    };

    let existed = output.exists();
    let plan = Plan::new(&p, &files, None, &output)
        .with_context(|| format!("output directory {}", output.display()))?;
    let stages = stage_units(&plan);
    if args.dry_run && !existed {
        let _ = std::fs::remove_dir(&output); // Plan::new created it; a dry run leaves no trace
    }
    for (stage, _) in &options.per_stage {
        if !stages.iter().any(|s| &s.name == stage) {
            bail!(
                "--stage-sbatch-arg: no stage {stage:?} in this pipeline; its stages are: {}",
                stages
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let (max_array_size, why_default) = slurm.max_array_size();
    let jobs = plan_jobs(&stages, tasks, max_array_size, resume);
    if let Some(why) = &why_default {
        eprintln!("tamis: MaxArraySize unknown ({why}); assuming Slurm's default {max_array_size}");
    }
    if jobs.is_empty() {
        say(format!(
            "nothing to {command}: every unit of the {} stages of {} is done in {}",
            stages.len(),
            p.name,
            output.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for (s, j) in stages.iter().filter_map(|s| {
        let j = jobs.iter().find(|j| j.stage == s.name)?;
        Some((s, j))
    }) {
        let wanted = tasks.unwrap_or(s.units());
        if j.width < wanted.min(s.units()) {
            eprintln!(
                "tamis: {}: {} tasks asked, {} array tasks (MaxArraySize {max_array_size}): task \
                 i runs units i, i+{}, …",
                s.name, wanted, j.width, j.width
            );
        }
    }

    let ctx = ScriptContext {
        tamis: &tamis,
        pipeline: &pipeline_path,
        pipeline_name: &p.name,
        output: &output,
        workdir: &workdir,
        options: &options,
    };
    let scripts: Vec<(String, String)> = jobs
        .iter()
        .map(|j| {
            Ok((
                format!("{SLURM_DIR}/{}.sbatch", j.stage),
                render_script(&ctx, j)?,
            ))
        })
        .collect::<Result<_, crate::exec::slurm::SlurmError>>()?;

    if args.dry_run {
        emit(&dry_run_text(
            &output,
            &jobs,
            &scripts,
            max_parallel,
            max_array_size,
        ))?;
        return Ok(ExitCode::SUCCESS);
    }

    let out = plan.out.clone();
    // OUT must hold this run's outputs only: the tasks check it too, but refusing here keeps a
    // mismatch out of the queue.
    let assets = crate::exec::run_record::all_assets(&p, &chain);
    let now = crate::exec::run_record::RunRecord::current(&p, &files, Some(&assets))?;
    crate::exec::run_record::reconcile(&out, now, true)?;
    std::fs::create_dir_all(out.path(format!("{SLURM_DIR}/logs")))
        .with_context(|| format!("{}/{SLURM_DIR}/logs", output.display()))?;
    let mut record = recorded.unwrap_or_else(|| JobsFile {
        pipeline: pipeline_path.clone(),
        workdir: workdir.clone(),
        tamis: tamis.clone(),
        submissions: Vec::new(),
    });
    record.pipeline = pipeline_path.clone();
    record.workdir = workdir.clone();
    record.tamis = tamis.clone();
    record.submissions.push(Submission {
        command: command.into(),
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        tasks,
        max_parallel,
        max_array_size,
        options: options.clone(),
        jobs: Vec::new(),
    });
    say(format!(
        "{command}: pipeline {} into {} (MaxArraySize {max_array_size})",
        p.name,
        output.display()
    ));
    let mut after: Option<String> = None;
    for (job, (rel, text)) in jobs.iter().zip(&scripts) {
        out.write_file(rel, text.as_bytes())
            .with_context(|| format!("{}/{rel}", output.display()))?;
        let script = out.path(rel).to_string_lossy().into_owned();
        let sbatch = sbatch_args(job, after.as_deref(), max_parallel, &script);
        let submitted: Vec<String> = record
            .submissions
            .last()
            .map(|s| s.jobs.iter().map(|j| j.job_id.clone()).collect())
            .unwrap_or_default();
        let id = slurm.sbatch(&sbatch).with_context(|| {
            if submitted.is_empty() {
                format!("submitting stage {}: nothing was submitted", job.stage)
            } else {
                format!(
                    "submitting stage {}: jobs {} of the earlier stages are submitted (recorded \
                     in {}/_slurm/jobs.json); once they end, `tamis slurm resume` submits the \
                     rest, or `scancel {}` them",
                    job.stage,
                    submitted.join(", "),
                    output.display(),
                    submitted.join(" ")
                )
            }
        })?;
        say(format!(
            "  {:<18} job {:<8} {:<22} {} unit(s){}",
            job.stage,
            id,
            if job.is_array() {
                format!(
                    "array {}",
                    crate::exec::slurm::array_spec(&job.indices, max_parallel)
                )
            } else {
                "single job".into()
            },
            job.units,
            after
                .as_deref()
                .map(|a| format!(", after {a}"))
                .unwrap_or_default()
        ));
        if let Some(s) = record.submissions.last_mut() {
            s.jobs.push(SubmittedJob {
                stage: job.stage.clone(),
                job_id: id.clone(),
                job_name: crate::exec::slurm::job_name(&p.name, &job.stage),
                units: job.units,
                width: job.width,
                indices: job.indices.clone(),
                after: after.clone(),
                script: rel.clone(),
            });
        }
        record.save(&out)?;
        after = Some(id);
    }
    say(format!(
        "follow with: tamis slurm status {}",
        shell_quote(&output.to_string_lossy())
    ));
    Ok(ExitCode::SUCCESS)
}

fn dry_run_text(
    output: &Path,
    jobs: &[StageJob],
    scripts: &[(String, String)],
    max_parallel: Option<usize>,
    max_array_size: usize,
) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# tamis slurm --dry-run: nothing submitted, nothing written (MaxArraySize {max_array_size})."
    );
    for (rel, text) in scripts {
        let _ = writeln!(t, "# ---- {} ----", output.join(rel).display());
        t.push_str(text);
    }
    let _ = writeln!(t, "# ---- sbatch commands, in chain order ----");
    for (n, (job, (rel, _))) in jobs.iter().zip(scripts).enumerate() {
        let script = output.join(rel).to_string_lossy().into_owned();
        let after = (n > 0).then(|| "@PREVIOUS@".to_string());
        let line = sbatch_args(job, after.as_deref(), max_parallel, &script)
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
            .replace("@PREVIOUS@", &format!("$job{n}"));
        let _ = writeln!(t, "job{}=$(sbatch {line})", n + 1);
    }
    t
}

fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let output = absolute(&args.output)?;
    if !output.is_dir() {
        bail!("{}: no such output directory", output.display());
    }
    let record = JobsFile::load(&output)?;
    let pipeline = match (&args.pipeline, &record) {
        (Some(p), _) => absolute(p)?,
        (None, Some(r)) => r.pipeline.clone(),
        (None, None) => bail!(
            "{} has no {SLURM_DIR}/jobs.json (nothing submitted with tamis slurm): pass --pipeline",
            output.display()
        ),
    };
    // Relative paths of the pipeline are taken from the directory the run was submitted from.
    if let Some(r) = &record {
        if r.workdir.is_dir() {
            std::env::set_current_dir(&r.workdir)
                .with_context(|| format!("{}", r.workdir.display()))?;
        }
    }
    let p = load_pipeline(&pipeline)?;
    let files = input_files(&p, &pipeline)?;
    let plan = Plan::new(&p, &files, None, &output)?;
    let stages = stage_units(&plan);

    let latest = |stage: &str| record.as_ref().and_then(|r| r.latest(stage));
    let ids: Vec<String> = stages
        .iter()
        .filter(|s| !s.complete())
        .filter_map(|s| latest(&s.name).map(|j| j.job_id.clone()))
        .collect();
    let slurm = Slurm;
    let view = slurm.view(&ids);

    let mut rows = Vec::new();
    let mut states = Vec::new();
    let mut previous_complete = true;
    for s in &stages {
        let job = latest(&s.name);
        let tasks: Vec<&crate::exec::slurm::TaskState> = job
            .map(|j| view.of_job(&j.job_id).collect())
            .unwrap_or_default();
        let (state, detail) = classify_stage(s, job, &tasks, previous_complete, view.available);
        let unfinished = job
            .map(|j| crate::exec::slurm::missing_tasks(&s.done, j.width))
            .unwrap_or_default();
        let problems: Vec<serde_json::Value> = if state == StageState::Done {
            Vec::new()
        } else {
            tasks
                .iter()
                .filter(|t| t.is_failure() || t.state == "CANCELLED")
                .map(|t| {
                    let log = job.map(|j| log_path(&output, &j.job_name, &j.job_id, t.index));
                    json!({
                        "index": t.index,
                        "state": t.state,
                        "reason": t.reason,
                        "source": t.source,
                        "log": log.filter(|l| l.is_file()).map(|l| l.to_string_lossy().into_owned()),
                    })
                })
                .collect()
        };
        rows.push(json!({
            "stage": s.name,
            "units": s.units(),
            "done": s.done_count(),
            "state": state.name(),
            "detail": detail,
            "job_id": job.map(|j| j.job_id.clone()),
            "tasks": job.map(|j| j.width),
            "unfinished_tasks": unfinished,
            "problems": problems,
        }));
        states.push(state);
        previous_complete = s.complete();
    }
    let overall = if states.iter().all(|&s| s == StageState::Done) {
        "done"
    } else if states
        .iter()
        .any(|&s| matches!(s, StageState::Running | StageState::Pending))
    {
        "running"
    } else if states
        .iter()
        .any(|&s| matches!(s, StageState::Failed | StageState::Cancelled))
    {
        "failed"
    } else if states.contains(&StageState::Unknown) {
        "unknown"
    } else {
        "not-submitted"
    };
    let resume_hint = format!(
        "tamis slurm resume {} --output {}",
        shell_quote(&pipeline.to_string_lossy()),
        shell_quote(&output.to_string_lossy())
    );
    if args.json {
        let doc = json!({
            "pipeline": pipeline,
            "output": output,
            "state": overall,
            "scheduler": {"available": view.available, "notes": view.notes},
            "stages": rows,
        });
        emit(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    } else {
        use std::fmt::Write;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "pipeline {} · {} · run {overall}",
            p.name,
            output.display()
        );
        let _ = writeln!(
            t,
            "{:<18} {:>6} {:>6}  {:<13} {:<8} detail",
            "stage", "units", "done", "state", "job"
        );
        for r in &rows {
            let line = format!(
                "{:<18} {:>6} {:>6}  {:<13} {:<8} {}",
                r["stage"].as_str().unwrap_or(""),
                r["units"].as_u64().unwrap_or(0),
                r["done"].as_u64().unwrap_or(0),
                r["state"].as_str().unwrap_or(""),
                r["job_id"].as_str().unwrap_or("-"),
                r["detail"].as_str().unwrap_or("")
            );
            let _ = writeln!(t, "{}", line.trim_end());
            for pr in r["problems"].as_array().into_iter().flatten() {
                if pr["state"] == "CANCELLED" {
                    continue; // the stage line says why
                }
                let _ = writeln!(
                    t,
                    "{:>18}   task {}: {}{}{}",
                    "",
                    pr["index"]
                        .as_u64()
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    pr["state"].as_str().unwrap_or(""),
                    pr["reason"]
                        .as_str()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default(),
                    pr["log"]
                        .as_str()
                        .map(|l| format!(", log {l}"))
                        .unwrap_or_default()
                );
            }
        }
        for n in &view.notes {
            let _ = writeln!(t, "note: {n}");
        }
        match overall {
            "failed" | "unknown" => {
                let _ = writeln!(t, "resume with: {resume_hint}");
            }
            "not-submitted" => {
                let _ = writeln!(
                    t,
                    "submit with: tamis slurm submit {} --output {}",
                    shell_quote(&pipeline.to_string_lossy()),
                    shell_quote(&output.to_string_lossy())
                );
            }
            _ => {}
        }
        emit(&t)?;
    }
    Ok(match overall {
        "done" | "running" => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}
