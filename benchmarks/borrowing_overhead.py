"""What the borrowing watch costs: autograde time per notebook with the watch and without it.

Each notebook's solution is submitted as one student and graded with the course's batch runner
(stock `nbgrader autograde`, one process per student), alternating the two settings so that a
busy machine slows both alike. "Without" replaces the watch by a no-op through a throwaway
sitecustomize module on the kernel's path (nothing in the course can switch the watch off).

    python benchmarks/borrowing_overhead.py [--repeat 2] [assignment ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading import batch  # noqa: E402
from grading.course import assignments, grading_env, make_course, notebook_path, submit  # noqa: E402

NO_WATCH = """
import contextlib
import autograder.kit.borrowing as borrowing
borrowing.watching = lambda *args, **kwargs: contextlib.nullcontext([])
"""


def grade_seconds(course: Path, assignment: str, student: str, env: dict[str, str]) -> float:
    submit(course, assignment, student, notebook_path(assignment))
    (result,) = batch.autograde(
        course, assignment, students=[student], env=env, protect_packages=(), timeout=1800
    )
    if result.status != "graded" or result.score != result.max_score:
        raise SystemExit(f"{assignment}/{student}: {batch.format_result(result)}")
    return result.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=assignments())
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        no_watch_dir = root / "no-watch"
        no_watch_dir.mkdir()
        (no_watch_dir / "sitecustomize.py").write_text(NO_WATCH)
        env_on = grading_env()
        env_off = dict(env_on, PYTHONPATH=os.pathsep.join([str(no_watch_dir), str(REPO)]))
        print(f"{'notebook':<24} {'watch off s':>11} {'watch on s':>10} {'ratio':>6}")
        for assignment in args.assignments:
            course = make_course(root / assignment, assignment)
            off, on = [], []
            for k in range(args.repeat):
                off.append(grade_seconds(course, assignment, f"off{k}", env_off))
                on.append(grade_seconds(course, assignment, f"on{k}", env_on))
            a, b = statistics.median(off), statistics.median(on)
            print(f"{assignment:<24} {a:>11.1f} {b:>10.1f} {b / a:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
