#!/usr/bin/env python3
"""Run one command and measure its whole process tree: wall time, CPU time (user + sys) and the
peak RSS of the largest process in it.

    benches/measure.py [--label NAME] [--out FILE] -- COMMAND [ARGS...]

Prints one JSON line (appended to FILE with --out): label, wall_s, user_s, sys_s, cpu_s,
maxrss_mb, rc. The command's own exit status is returned.

Why not /usr/bin/time: it reads the rusage of the one child it waits for, which only includes
the descendants that child itself reaped. Pipelines that start workers (datatrove's
multiprocess manager and pools) leave processes that are reparented and never reaped by it, so
their CPU is not counted. Here this process becomes a child subreaper (PR_SET_CHILD_SUBREAPER):
every orphaned descendant is reparented to it, it reaps them all, and RUSAGE_CHILDREN then covers
the whole tree. ru_maxrss of RUSAGE_CHILDREN is the peak RSS of the largest reaped descendant
(not a sum: for a multi-process tree it is the biggest process).
"""

import ctypes
import json
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv):
    label, out = None, None
    args = list(argv)
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--label" and args:
            label = args.pop(0)
        elif opt == "--out" and args:
            out = args.pop(0)
        else:
            sys.exit(f"usage: {sys.argv[0]} [--label NAME] [--out FILE] -- COMMAND [ARGS...]")
    if not args or args[0] != "--" or len(args) < 2:
        sys.exit(f"usage: {sys.argv[0]} [--label NAME] [--out FILE] -- COMMAND [ARGS...]")
    cmd = args[1:]

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            print(f"measure.py: cannot run {cmd[0]}: {e}", file=sys.stderr)
            os._exit(127)
    rc = None
    # Reap the command and every orphan reparented to us, until no child is left.
    while True:
        try:
            got, status = os.wait()
        except ChildProcessError:
            break
        if got == pid:
            rc = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = after.ru_utime - before.ru_utime
    sys_ = after.ru_stime - before.ru_stime
    row = {
        "label": label,
        "wall_s": round(wall, 3),
        "user_s": round(user, 3),
        "sys_s": round(sys_, 3),
        "cpu_s": round(user + sys_, 3),
        "maxrss_mb": round(after.ru_maxrss / 1024, 1),
        "rc": rc,
    }
    line = json.dumps(row)
    print(line, file=sys.stderr)
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")
    return 0 if rc is None else (rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
