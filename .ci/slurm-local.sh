#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the Slurm integration test (tests/slurm.rs).
#
#   .ci/slurm-local.sh up      install Debian's slurmctld/slurmd/slurm-client/munge when missing,
#                              write a config under $SLURM_BASE, start munged, slurmctld, slurmd
#   .ci/slurm-local.sh smoke   a two-stage array chain, checked from job states (not sbatch's status)
#   .ci/slurm-local.sh down    cancel this cluster's jobs, stop the three daemons (by their pid files)
#   .ci/slurm-local.sh env     print the `export SLURM_CONF=…` the clients need
#
# Everything lives under $SLURM_BASE (default /tmp/tamis-slurm; keep it short: munge's unix socket
# path must fit in 108 bytes). Daemons bind to localhost only (NodeName/SlurmctldHost=localhost,
# CommunicationParameters=NoInAddrAny,NoCtldInAddrAny). No cgroups: proctrack/linuxproc, task/none (what Debian's
# slurm-wlm 22.05 needs inside a container). No accounting storage, so `sacct` does not work here:
# tamis must (and does) do without it. SLURM_MAX_ARRAY_SIZE sets MaxArraySize (default 1001, as
# Slurm's; CI makes it small so that tamis must fold tasks into fewer array indices). Needs root
# or sudo.
set -euo pipefail
B=${SLURM_BASE:-/tmp/tamis-slurm}
export SLURM_CONF=$B/slurm.conf
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
say() { echo "slurm-local: $*"; }

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
      && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return
  fi
  say "installing slurmctld slurmd slurm-client munge (apt-get)"
  # Wait (bounded) for another apt/dpkg holding the lock rather than failing at once.
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  install
  if running $B/run/slurmctld.pid; then say "already up ($SLURM_CONF)"; return 0; fi
  $SUDO mkdir -p $B/run $B/state $B/spool $B/log $B/munge
  $SUDO chown munge:munge $B/run $B/munge
  $SUDO chmod 755 $B $B/run
  # Jobs of a previous cluster are forgotten (slurmctld -c), so is their state.
  $SUDO rm -rf $B/state/* $B/spool/*
  $SUDO tee $SLURM_CONF >/dev/null <<CONF
ClusterName=tamis-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/run/munge.socket
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$B/run/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=600
MaxArraySize=${SLURM_MAX_ARRAY_SIZE:-1001}
NodeName=localhost CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  [ -f $B/munge/munge.key ] || $SUDO runuser -u munge -- mungekey --create --keyfile=$B/munge/munge.key
  $SUDO runuser -u munge -- /usr/sbin/munged --key-file=$B/munge/munge.key \
      --socket=$B/run/munge.socket --pid-file=$B/run/munged.pid \
      --log-file=$B/munge/munged.log --seed-file=$B/munge/munged.seed
  $SUDO env SLURM_CONF=$SLURM_CONF slurmctld -c      # -c: cold start, no old jobs
  $SUDO env SLURM_CONF=$SLURM_CONF slurmd -N localhost
  for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then say "up ($SLURM_CONF)"; return 0; fi
    sleep 0.5
  done
  echo "slurm-local: slurm did not come up" >&2
  tail -n 30 $B/log/*.log >&2 || true
  down
  return 1
}

smoke() {
  local d; d=$(mktemp -d $B/smoke.XXXX); chmod 777 "$d"
  local j1 j2
  j1=$(sbatch --parsable --array=0-3 -o "$d/%A_%a.out" \
        --wrap "echo \$SLURM_ARRAY_TASK_ID > $d/s1-\$SLURM_ARRAY_TASK_ID")
  j2=$(sbatch --parsable --wait --array=0-1 --dependency=afterok:$j1 --kill-on-invalid-dep=yes \
        -o "$d/%A_%a.out" --wrap "test \$(ls $d/s1-* | wc -l) = 4 && touch $d/s2-\$SLURM_ARRAY_TASK_ID")
  # sbatch --wait exits 0 for a job cancelled by a failed dependency: check the states instead.
  local bad; bad=$(for j in $j1 $j2; do scontrol -o show job "$j"; done | grep -v "JobState=COMPLETED" || true)
  [ -z "$bad" ] || { echo "slurm-local: smoke FAILED: $bad" >&2; return 1; }
  ls "$d/s2-0" "$d/s2-1" >/dev/null && say "smoke ok ($d)"
  rm -rf "$d"
}

# Stop a daemon by its pid file (it may vanish at any moment: the daemon removes it on exit).
# `stop_pid FILE` waits 10 s for it to exit (after `scontrol shutdown`) before TERM;
# `stop_pid FILE now` sends TERM at once. KILL after 10 more seconds.
stop_pid() {
  local f=$1 pid
  pid=$(cat "$f" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  gone() { ! kill -0 "$pid" 2>/dev/null; }
  if [ "${2:-}" = now ]; then $SUDO kill "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 40); do gone && break; sleep 0.25; done
  if ! gone; then
    $SUDO kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do gone && break; sleep 0.25; done
  fi
  gone || $SUDO kill -9 "$pid" 2>/dev/null || true
  $SUDO rm -f "$f"
}

down() {
  if running $B/run/slurmctld.pid; then
    # Only this private cluster's jobs (SLURM_CONF points at it); running steps are killed with them.
    scancel --full --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 40); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.25; done
    scontrol shutdown 2>/dev/null || true
  fi
  stop_pid $B/run/slurmctld.pid
  stop_pid $B/run/slurmd.pid
  stop_pid $B/run/munged.pid now
  say "down"
}

env_() { echo "export SLURM_CONF=$SLURM_CONF"; }

case ${1:-up} in
  up) up ;;
  smoke) smoke ;;
  down) down ;;
  env) env_ ;;
  *) echo "usage: $0 up|smoke|down|env" >&2; exit 2 ;;
esac
