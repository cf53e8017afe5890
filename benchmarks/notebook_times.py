"""Print each solution notebook's execution time on this machine (headless, fast mode)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.course import assignments, execute, notebook_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("assignments", nargs="*", help="only these (default: all)")
    parser.add_argument("--full", action="store_true", help="full training runs (OPTIMLAB_FAST=0)")
    args = parser.parse_args()
    env = {"OPTIMLAB_FAST": "0"} if args.full else {}
    print(f"{'notebook':<34} {'seconds':>8}  errors   (cpu cores: {os.cpu_count()})")
    total = 0.0
    for name in args.assignments or assignments():
        run = execute(notebook_path(name), env=env)
        total += run.seconds
        print(f"{name:<34} {run.seconds:8.1f}  {len(run.errors)}")
    print(f"{'total':<34} {total:8.1f}")


if __name__ == "__main__":
    main()
