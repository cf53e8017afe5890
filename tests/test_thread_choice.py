"""The CPU thread choice over many fresh process starts: every core on an idle machine, one thread
in grading, and never a measurement that a cold start could fool."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from grading.course import REPO_ROOT
from optimlab import device as dev

STARTS = 20
PROBE = (
    "import torch; from optimlab.device import choose_device; choose_device(verbose=False); "
    "print(torch.get_num_threads())"
)
CLEARED = ("NBGRADER_EXECUTION", "OPTIMLAB_STATIC", "OPTIMLAB_THREADS", "OMP_NUM_THREADS")


def chosen_threads(**extra: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(PYTHONPATH=str(REPO_ROOT), OPTIMLAB_DEVICE="cpu", **extra)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_fresh_start_uses_every_usable_core() -> None:
    """20 fresh starts, two at a time (so the cores are busy while each one chooses)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda _: chosen_threads(), range(STARTS)))
    print(f"\nthread counts chosen over {STARTS} starts: {counts}")
    assert counts == [dev._usable_cores()] * STARTS


@pytest.mark.slow
def test_grading_starts_use_one_thread() -> None:
    counts = [chosen_threads(NBGRADER_EXECUTION="autograde") for _ in range(3)]
    assert counts == [1, 1, 1]


def test_usable_cores_respect_affinity_and_container_quota(monkeypatch) -> None:
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(dev, "_cgroup_cpu_limit", lambda: None)
    assert dev._usable_cores() == 4
    monkeypatch.setattr(dev, "_cgroup_cpu_limit", lambda: 1.5)
    assert dev._usable_cores() == 2
    monkeypatch.setattr(dev, "_cgroup_cpu_limit", lambda: 0.5)
    assert dev._usable_cores() == 1


def test_the_choice_is_never_measured(monkeypatch) -> None:
    """No timing takes part: the choice is the same whatever a clock would say."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(dev, "_usable_cores", lambda: 8)
    assert dev._thread_choice(None) == (8, "")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert dev._thread_choice(None)[0] == 3
    monkeypatch.setenv("OPTIMLAB_STATIC", "1")
    assert dev._thread_choice(None)[0] == 1
