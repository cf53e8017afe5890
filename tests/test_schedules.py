"""Notebook 10's references against torch, and its hidden checks against the named mistakes.

- The NumPy schedules in autograder.references give the rates torch.optim.lr_scheduler gives, to
  1e-10 in float64, over runs of at least 200 steps and several argument sets each.
- clip_by_global_norm agrees with torch.nn.utils.clip_grad_norm_ (norm and clipped gradients).
- Every catalogued mistake, written as a student would, fails its hidden check *by name*, and the
  references themselves pass every check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from autograder import references as ref
from autograder.hidden import nb10_learning_rate_schedules as nb10
from autograder.kit.core import GradingFailure

torch = pytest.importorskip("torch")

ARGUMENT_SETS: dict[str, list[dict]] = {
    "step_decay_lr": [
        {"lr": 0.1, "step_size": 30, "gamma": 0.1},
        {"lr": 1.0, "step_size": 1, "gamma": 0.98},
        {"lr": 0.37, "step_size": 7, "gamma": 0.5},
    ],
    "cosine_lr": [
        {"lr": 1.0, "total_steps": 200, "lr_min": 0.0},
        {"lr": 0.3, "total_steps": 257, "lr_min": 0.01},
        {"lr": 0.05, "total_steps": 100, "lr_min": 0.005},  # past the floor: torch turns back up
    ],
    "warmup_cosine_lr": [
        {"lr": 1.0, "warmup_steps": 20, "total_steps": 250, "lr_min": 0.0, "start_factor": 0.1},
        {"lr": 3e-3, "warmup_steps": 1, "total_steps": 300, "lr_min": 1e-4, "start_factor": 0.01},
        {"lr": 0.2, "warmup_steps": 77, "total_steps": 210, "lr_min": 0.02, "start_factor": 0.5},
    ],
    "one_cycle_lr": [
        {
            "max_lr": 1.0,
            "total_steps": 200,
            "pct_start": 0.3,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
        },
        {
            "max_lr": 0.01,
            "total_steps": 333,
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
        {
            "max_lr": 0.5,
            "total_steps": 201,
            "pct_start": 0.47,
            "div_factor": 3.0,
            "final_div_factor": 7.0,
        },
    ],
}


def run_length(name: str, kwargs: dict) -> int:
    if name == "one_cycle_lr":
        return int(kwargs["total_steps"])  # torch refuses to step past the last one
    return max(260, int(kwargs.get("total_steps", 0)) + 1)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [(name, kwargs) for name, sets in ARGUMENT_SETS.items() for kwargs in sets],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_reference_schedule_matches_torch(name: str, kwargs: dict) -> None:
    steps = run_length(name, kwargs)
    assert steps >= 200
    ours = nb10.reference_run(name, steps, **kwargs)
    theirs = nb10.torch_schedule(name, steps, **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_schedule_conventions_at_the_boundaries() -> None:
    """Step 0 is the starting rate; the floor, the warmup's end and the peak are where the text
    says."""
    assert ref.cosine_lr(0, 0.4, 50, 0.1) == pytest.approx(0.4)
    assert ref.cosine_lr(50, 0.4, 50, 0.1) == pytest.approx(0.1)
    assert ref.warmup_cosine_lr(0, 1.0, 10, 100, 0.0, 0.2) == pytest.approx(0.2)
    assert ref.warmup_cosine_lr(10, 1.0, 10, 100, 0.0, 0.2) == pytest.approx(1.0)
    assert ref.one_cycle_lr(0, 1.0, 100, 0.3, 25.0, 1e4) == pytest.approx(0.04)
    assert ref.one_cycle_lr(29, 1.0, 100, 0.3, 25.0, 1e4) == pytest.approx(1.0)
    assert ref.one_cycle_lr(99, 1.0, 100, 0.3, 25.0, 1e4) == pytest.approx(0.04 / 1e4)


@pytest.mark.parametrize("seed", range(5))
def test_clip_reference_matches_torch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(shape) * 3 for shape in [(4,), (3, 2), (), (2, 2, 2)]]
    for max_norm in (0.5, 5.0, 1e3):  # clipped, clipped, left alone
        tensors = [torch.tensor(g, dtype=torch.float64) for g in grads]
        for t in tensors:
            t.grad = t.clone()
        total = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
        clipped, ours = ref.clip_by_global_norm(grads, max_norm)
        assert ours == pytest.approx(total, rel=1e-12)
        for got, t in zip(clipped, tensors, strict=True):
            np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_range_test_reference_finds_the_known_limit() -> None:
    """On f = a |x|^2 / 2 the lowest loss comes within a factor 3 of the limit 2 / a."""
    for a in (0.5, 4.0, 50.0):
        lrs, losses, suggested = ref.lr_range_test(
            lambda x, a=a: a * x, lambda x, a=a: 0.5 * a * float(x @ x), np.ones(2), 1e-5, 100, 80
        )
        assert lrs[0] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(100.0)
        assert 2 / a / 3 <= suggested * 10 <= 2 / a * 3


# --- the hidden checks: right answers pass, named mistakes are named -----------------------------
SCHEDULE_CHECKS = ["step_decay_lr", "cosine_lr", "warmup_cosine_lr", "one_cycle_lr"]


def as_student(mistake: nb10.Mistake, name: str) -> Callable[..., float]:
    """A student's per-step function that makes the mistake (from the mistake's whole run)."""

    def student(step: int, **kwargs: float) -> float:
        return float(mistake.compute(step + 1, **kwargs)[step])

    student.__name__ = name
    return student


@pytest.mark.parametrize("name", SCHEDULE_CHECKS)
def test_reference_schedules_pass_their_checks(name: str) -> None:
    nb10.check_schedule_values(nb10.REFERENCES[name], name)
    nb10.check_schedule_edge_cases(nb10.REFERENCES[name], name)


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name in SCHEDULE_CHECKS for i in range(len(nb10.MISTAKES[name]))],
)
def test_each_schedule_mistake_is_named(name: str, index: int) -> None:
    mistake = nb10.MISTAKES[name][index]
    with pytest.raises(GradingFailure, match=re.escape(f"known mistake, {mistake.name}")):
        nb10.check_schedule_values(as_student(mistake, name), name)


def test_clip_and_range_references_pass_their_checks() -> None:
    nb10.check_clip_values(ref.clip_by_global_norm)
    nb10.check_clip_below_threshold(ref.clip_by_global_norm)
    nb10.check_clip_inputs_and_dtypes(ref.clip_by_global_norm)
    nb10.check_range_values(ref.lr_range_test)
    nb10.check_range_known_answer(ref.lr_range_test)


@pytest.mark.parametrize("mistake", nb10.CLIP_MISTAKES, ids=lambda m: m.name[:30])
def test_each_clip_mistake_is_named(mistake: nb10.Mistake) -> None:
    check = (
        nb10.check_clip_below_threshold
        if "below the threshold" in mistake.name
        else nb10.check_clip_values
    )
    with pytest.raises(GradingFailure, match=re.escape(f"known mistake, {mistake.name}")):
        check(mistake.compute)


@pytest.mark.parametrize("mistake", nb10.RANGE_MISTAKES, ids=lambda m: m.name[:30])
def test_each_range_mistake_is_named(mistake: nb10.Mistake) -> None:
    with pytest.raises(GradingFailure, match=re.escape(f"known mistake, {mistake.name}")):
        nb10.check_range_values(mistake.compute)


def test_a_wrong_rate_without_a_name_still_fails_with_the_step() -> None:
    def off_by_a_little(step: int, lr: float, total_steps: int, lr_min: float) -> float:
        return ref.cosine_lr(step, lr, total_steps, lr_min) * (1 + 1e-6 * (step > 100))

    with pytest.raises(GradingFailure, match="at step 101"):
        nb10.check_schedule_values(off_by_a_little, "cosine_lr")
    assert math.isfinite(ref.cosine_lr(3, 1.0, 10, 0.0))


CHEATS = """
import torch


def cosine_through_torch(step, lr, total_steps, lr_min):
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total_steps, lr_min)
    for _ in range(step):
        optimizer.step()
        scheduler.step()
    return float(optimizer.param_groups[0]["lr"])


def clip_through_torch(grads, max_norm):
    tensors = [torch.tensor(g) for g in grads]
    for t in tensors:
        t.grad = t.clone()
    total = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    return [t.grad.numpy() for t in tensors], total
"""


def test_answers_may_not_call_the_library_they_are_compared_with() -> None:
    """A schedule that steps torch's scheduler, or clipping through clip_grad_norm_, is refused."""
    cell: dict = {}
    exec(compile(CHEATS, "<notebook cell>", "exec"), cell)  # answers from a cell are watched
    with pytest.raises(GradingFailure, match="called torch.optim's implementation"):
        nb10.check_schedule_edge_cases(cell["cosine_through_torch"], "cosine_lr")
    with pytest.raises(GradingFailure, match="called torch.nn.utils's implementation"):
        nb10.check_clip_values(cell["clip_through_torch"])
