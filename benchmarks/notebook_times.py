"""Print each solution notebook's execution time on this machine (headless, fast mode), its ratio
to notebook 01's time in the same run, and with --autograde the time nbgrader takes to autograde it.

    python benchmarks/notebook_times.py                   # every notebook, headless
    python benchmarks/notebook_times.py 01_gradient_descent 11_mnist_showdown --autograde

Times on a shared machine are noisy: compare the ratios of one run, and repeat (--repeats keeps
each notebook's best time). The autograde time is a whole `nbgrader autograde --student` process
on the solution submitted as a student's notebook, in a throwaway course: nbgrader's start, the
kernel's start, the notebook with its hidden tests, and writing the gradebook.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.course import (  # noqa: E402
    assignments,
    execute,
    grading_env,
    make_course,
    notebook_path,
    submit,
)

FIRST = "01_gradient_descent"


def autograde_seconds(assignment: str, env: dict[str, str]) -> tuple[float, bool]:
    """Seconds of `nbgrader autograde` on the solution as a student's submission, and success."""
    with tempfile.TemporaryDirectory(prefix="autograde-time-") as folder:
        course = Path(folder)
        make_course(course, assignment, env)
        submit(course, assignment, "timer", notebook_path(assignment))
        start = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "autograde",
                assignment,
                "--student=timer",
                "--log-level=ERROR",
            ],
            cwd=course,
            env=env,
            capture_output=True,
        )
        seconds = time.perf_counter() - start
        graded = list((course / "autograded" / "timer" / assignment).glob("*.ipynb"))
        return seconds, run.returncode == 0 and bool(graded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="only these (default: all)")
    parser.add_argument("--full", action="store_true", help="full training runs (OPTIMLAB_FAST=0)")
    parser.add_argument("--autograde", action="store_true", help="also time nbgrader autograde")
    parser.add_argument("--repeats", type=int, default=1, help="runs per notebook (best is kept)")
    args = parser.parse_args()
    env = {"OPTIMLAB_FAST": "0"} if args.full else {}
    names = args.assignments or assignments()
    if FIRST not in names:
        names = [FIRST, *names]
    grading = grading_env(**env)
    header = f"{'notebook':<26} {'headless (s)':>12} {'x 01':>6} {'errors':>6}"
    if args.autograde:
        header += f" {'autograde (s)':>13} {'x headless':>10}"
    print(f"{header}   (cpu cores usable: {len(os.sched_getaffinity(0))}; best of {args.repeats})")
    first = None
    total = 0.0
    for name in names:
        runs = [execute(notebook_path(name), env=env) for _ in range(args.repeats)]
        seconds = min(run.seconds for run in runs)
        first = seconds if name == FIRST else first
        total += seconds
        line = f"{name:<26} {seconds:12.1f} {seconds / first:6.1f} {len(runs[-1].errors):6d}"
        if args.autograde:
            times = [autograde_seconds(name, grading) for _ in range(args.repeats)]
            graded = min(t for t, _ in times)
            ok = "" if all(ok for _, ok in times) else "  (autograde failed)"
            line += f" {graded:13.1f} {graded / seconds:10.2f}{ok}"
        print(line, flush=True)
    print(f"{'total':<26} {total:12.1f}")


if __name__ == "__main__":
    main()
