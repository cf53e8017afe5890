"""Hidden tests for notebook 10: schedules over whole runs, clipping by global norm, range test.

Every schedule is graded over whole runs (hundreds of steps, random arguments) against the NumPy
reference in autograder.references, which tests/test_schedules.py matches to
torch.optim.lr_scheduler; one run per check is also built with torch itself on the spot
(``torch_schedule``, imported lazily so that this module stays light for the kernel).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder import references as ref
from autograder.kit.core import (
    Mistake,
    as_number,
    call,
    check_inputs_unchanged,
    close,
    describe,
    fail,
    fail_if_known_mistake,
    run_student,
    substituted,
)

RTOL = 1e-9  # float64 schedules written differently agree to ~1e-15
# The libraries an answer is compared with, so it may not call them.
SCHEDULERS, CLIPPING = ("torch.optim",), ("torch.nn.utils",)


# --- torch, built from the same arguments ---------------------------------------------------------
def torch_schedule(name: str, num_steps: int, **kwargs: float) -> np.ndarray:
    """The learning rates torch.optim.lr_scheduler gives for steps 0 .. num_steps - 1."""
    import torch
    from torch.optim import lr_scheduler as sched

    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    base = kwargs.get("lr", kwargs.get("max_lr"))
    opt = torch.optim.SGD([param], lr=float(base))
    if name == "step_decay_lr":
        scheduler: Any = sched.StepLR(opt, int(kwargs["step_size"]), kwargs["gamma"])
    elif name == "cosine_lr":
        scheduler = sched.CosineAnnealingLR(
            opt, int(kwargs["total_steps"]), eta_min=kwargs.get("lr_min", 0.0)
        )
    elif name == "warmup_cosine_lr":
        warmup, total = int(kwargs["warmup_steps"]), int(kwargs["total_steps"])
        ramp = sched.LinearLR(opt, kwargs.get("start_factor", 0.1), 1.0, total_iters=warmup)
        decay = sched.CosineAnnealingLR(opt, total - warmup, eta_min=kwargs.get("lr_min", 0.0))
        scheduler = sched.SequentialLR(opt, [ramp, decay], milestones=[warmup])
    elif name == "one_cycle_lr":
        scheduler = sched.OneCycleLR(
            opt,
            max_lr=kwargs["max_lr"],
            total_steps=int(kwargs["total_steps"]),
            pct_start=kwargs.get("pct_start", 0.3),
            anneal_strategy="cos",
            div_factor=kwargs.get("div_factor", 25.0),
            final_div_factor=kwargs.get("final_div_factor", 1e4),
            three_phase=False,
            cycle_momentum=False,
        )
    else:
        raise ValueError(f"no torch scheduler for {name!r}")
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's step(0) deprecation notice
        for _ in range(num_steps):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
    return np.array(rates, dtype=np.float64)


REFERENCES: dict[str, Callable[..., float]] = {
    "step_decay_lr": ref.step_decay_lr,
    "cosine_lr": ref.cosine_lr,
    "warmup_cosine_lr": ref.warmup_cosine_lr,
    "one_cycle_lr": ref.one_cycle_lr,
}


def reference_run(name: str, num_steps: int, **kwargs: float) -> np.ndarray:
    """The reference schedule's rates for steps 0 .. num_steps - 1."""
    return np.array([REFERENCES[name](k, **kwargs) for k in range(num_steps)])


# --- the catalogue of wrong schedules -------------------------------------------------------------
def _run_of(rate: Callable[..., float]) -> Callable[..., np.ndarray]:
    """A mistake model: the whole run a wrong per-step formula gives."""
    return lambda num_steps, **kw: np.array([rate(k, **kw) for k in range(num_steps)])


def _half_cosine(fraction: float) -> float:
    return (1.0 + math.cos(math.pi * fraction)) / 2.0


def _warmup_variant(warmup: Callable | None = None, cosine: Callable | None = None) -> Callable:
    """A mistake model: warmup_cosine_lr with its warmup or its cosine part replaced."""

    def rate(k: int, **kw: float) -> float:
        part = warmup if k < kw["warmup_steps"] else cosine
        return (part or ref.warmup_cosine_lr)(k, **kw)

    return _run_of(rate)


MISTAKES: dict[str, list[Mistake]] = {
    "step_decay_lr": [
        Mistake(
            "off-by-one step counting (the first decay one step early)",
            "step 0 is the first update and uses lr itself; the first decay comes at step "
            "step_size, as torch's StepLR does",
            _run_of(lambda k, lr, step_size, gamma: lr * gamma ** ((k + 1) // step_size)),
        ),
        Mistake(
            "decay on every step",
            "the rate changes only once every step_size steps: count whole periods",
            _run_of(lambda k, lr, step_size, gamma: lr * gamma**k),
        ),
        Mistake(
            "gamma multiplied by the number of periods instead of raised to it",
            "each period multiplies the rate by gamma once more: decays compound",
            _run_of(lambda k, lr, step_size, gamma: lr * gamma * (k // step_size)),
        ),
        Mistake(
            "the number of periods rounded up",
            "count the periods that are complete (round down)",
            _run_of(lambda k, lr, step_size, gamma: lr * gamma ** math.ceil(k / step_size)),
        ),
    ],
    "cosine_lr": [
        Mistake(
            "off-by-one step counting (1-based steps)",
            "step 0 is the first update and uses lr itself",
            _run_of(lambda k, **kw: ref.cosine_lr(k + 1, **kw)),
        ),
        Mistake(
            "a cosine that ignores its floor (decays to 0)",
            "the rate should end at lr_min, not at 0: the cosine moves between the two",
            _run_of(lambda k, lr, total_steps, lr_min: lr * _half_cosine(k / total_steps)),
        ),
        Mistake(
            "a cosine that never reaches its floor (half a cosine spread over twice the steps)",
            "the cosine term should go from +1 at step 0 to -1 at step total_steps",
            _run_of(
                lambda k, lr, total_steps, lr_min: (
                    lr_min + (lr - lr_min) * _half_cosine(k / (2 * total_steps))
                )
            ),
        ),
        Mistake(
            "a cosine that overshoots its floor (cos without the shift and the halving)",
            "the factor in front of (lr - lr_min) should run from 1 down to 0, never below",
            _run_of(
                lambda k, lr, total_steps, lr_min: (
                    lr_min + (lr - lr_min) * math.cos(math.pi * k / total_steps)
                )
            ),
        ),
        Mistake(
            "a cosine that reaches its floor one step early and turns back up",
            "the floor comes at step total_steps itself",
            _run_of(
                lambda k, total_steps, **kw: ref.cosine_lr(k, total_steps=total_steps - 1, **kw)
            ),
        ),
    ],
    "warmup_cosine_lr": [
        Mistake(
            "a warmup that starts at exactly 0",
            "a rate of 0 wastes the first update: the warmup starts at start_factor * lr",
            _warmup_variant(warmup=lambda k, lr, warmup_steps, **_: lr * k / warmup_steps),
        ),
        Mistake(
            "off-by-one step counting in the warmup (it reaches lr one step early)",
            "step 0 of the warmup uses start_factor * lr; the full lr comes at step warmup_steps",
            _warmup_variant(warmup=lambda k, **kw: ref.warmup_cosine_lr(k + 1, **kw)),
        ),
        Mistake(
            "a cosine that does not start where the warmup ends",
            "count the cosine's steps from the end of the warmup",
            _warmup_variant(
                cosine=lambda k, warmup_steps, start_factor, **kw: ref.cosine_lr(k, **kw)
            ),
        ),
        Mistake(
            "a cosine over total_steps after the warmup (it ends warmup_steps late)",
            "the cosine has total_steps - warmup_steps steps, so that it ends at step total_steps",
            _warmup_variant(
                cosine=lambda k, warmup_steps, start_factor, **kw: ref.cosine_lr(
                    k - warmup_steps, **kw
                )
            ),
        ),
    ],
    "one_cycle_lr": [
        Mistake(
            "the peak at step pct_start * total_steps (torch's phase boundary is one step earlier)",
            "read section 2's convention again: at which step does the climb end?",
            _run_of(lambda k, **kw: _one_cycle_variant(k, "peak", **kw)),
        ),
        Mistake(
            "straight lines instead of cosine curves",
            "both phases follow half a cosine, like cosine_lr",
            _run_of(lambda k, **kw: _one_cycle_variant(k, "linear", **kw)),
        ),
        Mistake(
            "a final rate of max_lr / final_div_factor",
            "final_div_factor divides the *starting* rate, max_lr / div_factor",
            _run_of(lambda k, **kw: _one_cycle_variant(k, "final_of_max", **kw)),
        ),
        Mistake(
            "a descent that ends at step total_steps instead of total_steps - 1",
            "the last update of the run, step total_steps - 1, uses the final rate",
            _run_of(lambda k, **kw: _one_cycle_variant(k, "end", **kw)),
        ),
    ],
}


def _one_cycle_variant(k: int, change: str = "", **kw: float) -> float:
    """One-cycle with the detail ``change`` names done wrong ("" gives the right schedule)."""
    initial = kw["max_lr"] / kw["div_factor"]
    final = (kw["max_lr"] if change == "final_of_max" else initial) / kw["final_div_factor"]
    peak = kw["pct_start"] * kw["total_steps"] - (change != "peak")
    end = kw["total_steps"] - (change != "end")
    max_lr = kw["max_lr"]
    shape = (lambda f: 1.0 - f) if change == "linear" else _half_cosine
    if k <= peak:
        return max_lr + (initial - max_lr) * shape(k / peak)
    return final + (max_lr - final) * shape((k - peak) / (end - peak))


HINTS = {
    "step_decay_lr": "multiply by gamma once per *complete* period of step_size steps",
    "cosine_lr": "the rate follows half a cosine from lr at step 0 to lr_min at step total_steps",
    "warmup_cosine_lr": "a straight climb from start_factor * lr to lr, then the cosine",
    "one_cycle_lr": "a cosine climb to max_lr, then a cosine descent; see section 2's convention",
}


# --- checking a schedule over whole runs ----------------------------------------------------------
def _student_run(fn: Callable[..., Any], name: str, num_steps: int, kwargs: dict) -> np.ndarray:
    """The student's rates for steps 0 .. num_steps - 1 (each must be a single number)."""
    rates = []
    stand_ins = {"cosine_lr": ref.cosine_lr} if name == "warmup_cosine_lr" else {}
    with substituted(fn, **stand_ins):
        for k in range(num_steps):
            value = run_student(fn, name, (k,), kwargs, libraries=SCHEDULERS)
            context = f"{name}({k}, {_keywords(kwargs)})"
            rates.append(as_number(value, context, "the learning rate"))
    return np.array(rates)


def _keywords(kwargs: dict) -> str:
    return ", ".join(f"{key}={value:.6g}" for key, value in kwargs.items())


def _check_run(
    fn: Callable[..., Any], name: str, num_steps: int, kwargs: dict, want: np.ndarray
) -> None:
    got = _student_run(fn, name, num_steps, kwargs)
    if close(got, want, RTOL):
        return
    context = f"{name}(step, {_keywords(kwargs)}) over steps 0..{num_steps - 1}"
    fail_if_known_mistake(
        context,
        MISTAKES[name],
        (num_steps,),
        lambda guess: close(got, guess, 1e-7),
        kwargs,
    )
    step = int(np.argmax(np.abs(got - want) > RTOL * np.max(np.abs(want))))
    fail(
        f"{context}: at step {step} the rate is {got[step]:.10g}, expected {want[step]:.10g} "
        f"(the steps before it are {'right' if step else 'not checked yet'}).",
        hint=HINTS[name],
    )


def _random_cases(name: str, rng: np.random.Generator) -> list[tuple[int, dict]]:
    """Three argument sets (and run lengths of at least 200 steps) for a schedule."""
    cases = []
    for _ in range(3):
        lr = float(rng.uniform(0.01, 1.0))
        total = int(rng.integers(200, 320))
        if name == "step_decay_lr":
            step_size = int(rng.choice([1, 3, int(rng.integers(20, 70))]))
            kwargs = {"lr": lr, "step_size": step_size, "gamma": float(rng.uniform(0.3, 0.95))}
        elif name == "cosine_lr":
            kwargs = {"lr": lr, "total_steps": total, "lr_min": float(lr * rng.uniform(0.01, 0.3))}
            total += 1  # the floor itself is part of the check
        elif name == "warmup_cosine_lr":
            warmup, floor = int(rng.integers(5, 40)), float(lr * rng.uniform(0.01, 0.3))
            kwargs = dict(lr=lr, warmup_steps=warmup, total_steps=total, lr_min=floor)
            kwargs["start_factor"] = float(rng.uniform(0.02, 0.5))
            total += 1
        else:
            kwargs = dict(max_lr=lr, total_steps=total, pct_start=float(rng.uniform(0.1, 0.5)))
            kwargs["div_factor"] = float(rng.uniform(5.0, 30.0))
            kwargs["final_div_factor"] = float(rng.uniform(10.0, 1e4))
        cases.append((total, kwargs))
    return cases


def check_schedule_values(fn: Callable[..., Any], name: str, seed: int = 10) -> None:
    """Runs of 200+ steps on random arguments match the reference (one run: torch itself)."""
    rng = np.random.default_rng(seed + sum(map(ord, name)))
    for index, (num_steps, kwargs) in enumerate(_random_cases(name, rng)):
        want = reference_run(name, num_steps, **kwargs)
        if index == 0:
            want = torch_schedule(name, num_steps, **kwargs)
        _check_run(fn, name, num_steps, kwargs, want)


def _one_cycle_case(steps: int, max_lr: float, *values: float) -> tuple[int, dict]:
    """A whole one-cycle run: its length and its keyword arguments."""
    names = ("pct_start", "div_factor", "final_div_factor")
    return steps, {"max_lr": max_lr, "total_steps": steps, **dict(zip(names, values, strict=True))}


EDGE_CASES: dict[str, list[tuple[int, dict]]] = {
    "step_decay_lr": [
        (40, {"lr": 0.5, "step_size": 1, "gamma": 0.9}),  # decays on every step
        (30, {"lr": 0.2, "step_size": 10, "gamma": 1.0}),  # gamma 1: a constant rate
        (25, {"lr": 1.0, "step_size": 500, "gamma": 0.1}),  # no decay within the run
    ],
    "cosine_lr": [
        (11, {"lr": 1.0, "total_steps": 10, "lr_min": 0.0}),
        (21, {"lr": 0.3, "total_steps": 20, "lr_min": 0.3}),  # floor = start: constant
        (2, {"lr": 0.7, "total_steps": 1, "lr_min": 0.1}),  # a one-step cosine
    ],
    "warmup_cosine_lr": [
        (13, {"lr": 1.0, "warmup_steps": 1, "total_steps": 12, "lr_min": 0.0, "start_factor": 0.5}),
        (31, dict(lr=0.4, warmup_steps=10, total_steps=30, lr_min=0.01, start_factor=1.0)),
        (9, {"lr": 2.0, "warmup_steps": 4, "total_steps": 8, "lr_min": 0.2, "start_factor": 0.25}),
    ],
    "one_cycle_lr": [  # (steps, max_lr, pct_start, div_factor, final_div_factor)
        _one_cycle_case(100, 1.0, 0.25, 25.0, 1e4),  # the peak at a whole step (24)
        _one_cycle_case(37, 0.1, 0.3, 10.0, 100.0),  # the peak between two steps (10.1)
        _one_cycle_case(10, 2.0, 0.5, 4.0, 2.0),
    ],
}


def check_schedule_edge_cases(fn: Callable[..., Any], name: str) -> None:
    """Short boundary runs (one-step periods, constant rates) match torch; rates are floats."""
    for num_steps, kwargs in EDGE_CASES[name]:
        _check_run(fn, name, num_steps, kwargs, torch_schedule(name, num_steps, **kwargs))
    value = call(fn, name, 0, **EDGE_CASES[name][0][1])
    if not isinstance(value, (float, int)) or isinstance(value, bool):
        fail(
            f"{name}(0, ...) returned {describe(value)}; expected a plain Python float.",
            hint="wrap the result in float(...) so that schedules print and compare simply",
        )


# --- clipping by global norm ----------------------------------------------------------------------
def _scaled(grads: list, max_norm: float, total: Any = None, cap=True, eps=ref.CLIP_EPS) -> tuple:
    """A wrong clipping: ``total`` (the global norm by default) with the cap or eps changed."""
    total = ref.clip_by_global_norm(grads, max_norm)[1] if total is None else total
    factor = max_norm / (total + eps)
    return [g * (min(1.0, factor) if cap else factor) for g in grads], total


def _norm_after(grads: Sequence[np.ndarray], max_norm: float) -> tuple[list, float]:
    clipped, _ = ref.clip_by_global_norm(grads, max_norm)
    return clipped, float(np.sqrt(sum(np.sum(g**2) for g in clipped)))


CLIP_MISTAKES = [
    Mistake(
        "each tensor clipped separately instead of by the global norm",
        "one norm for all the gradients together, and one scale factor for all of them",
        lambda grads, max_norm: (
            [_scaled([g], max_norm, np.linalg.norm(g))[0][0] for g in grads],
            _scaled(grads, max_norm)[1],
        ),
    ),
    Mistake(
        "clipping that changes gradients below the threshold",
        "gradients whose global norm is already below max_norm must come back unchanged",
        lambda grads, max_norm: _scaled(grads, max_norm, None, False),
    ),
    Mistake(
        "the norm returned after clipping instead of before",
        "return the global norm of the gradients you were given, as torch does",
        _norm_after,
    ),
    Mistake(
        "the squared norm instead of the norm",
        "take the square root of the sum of squares",
        lambda grads, max_norm: _scaled(grads, max_norm, _scaled(grads, max_norm)[1] ** 2),
    ),
    Mistake(
        "the per-tensor norms added up instead of combined",
        "the global norm is the norm of all entries together: sqrt of the sum of all squares",
        lambda grads, max_norm: _scaled(grads, max_norm, sum(np.linalg.norm(g) for g in grads)),
    ),
    Mistake(
        "no 1e-6 added to the norm",
        "include the small constant that torch adds to the norm (section 2)",
        lambda grads, max_norm: _scaled(grads, max_norm, None, True, 0.0),
    ),
]


def _clip_result(fn: Callable[..., Any], grads: list, max_norm: float, context: str) -> tuple:
    result = run_student(
        fn, "clip_by_global_norm", ([g.copy() for g in grads], max_norm), libraries=CLIPPING
    )
    if not isinstance(result, tuple) or len(result) != 2:
        fail(
            f"{context} returned {describe(result)}; expected a tuple (clipped, total_norm).",
            hint="return the list of clipped gradients and the global norm: `return clipped, norm`",
        )
    clipped, total = result
    if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
        fail(
            f"{context}: the clipped gradients are {describe(clipped)}; expected a list of "
            f"{len(grads)} arrays, one per input gradient."
        )
    return [np.asarray(c) for c in clipped], as_number(total, context, "total_norm")


def _check_clip_case(fn: Callable[..., Any], grads: list, max_norm: float) -> None:
    shapes = ", ".join(str(g.shape) for g in grads)
    context = f"clip_by_global_norm(gradients of shapes {shapes}, max_norm={max_norm:g})"
    got, total = _clip_result(fn, grads, max_norm, context)
    want, want_total = ref.clip_by_global_norm(grads, max_norm)

    def same(guess: Any) -> bool:
        arrays, norm = guess
        return close(norm, total, 1e-8) and all(
            close(g, w, 1e-8, 1e-300) for g, w in zip(got, arrays, strict=True)
        )

    if same((want, want_total)):
        return
    fail_if_known_mistake(context, CLIP_MISTAKES, (grads, max_norm), same)
    if not close(total, want_total, 1e-8):
        fail(
            f"{context}: total_norm is {total:.10g}, expected {want_total:.10g}.",
            hint="the global norm of all the gradients, before clipping",
        )
    for index, (g, w) in enumerate(zip(got, want, strict=True)):
        if not close(g, w, 1e-8, 1e-300):
            fail(
                f"{context}: gradient {index} is wrong.\n  expected: {describe(w)}\n"
                f"  got:      {describe(g)}",
                hint="every gradient is scaled by the same factor",
            )


def _random_grads(rng: np.random.Generator) -> list[np.ndarray]:
    shapes = [(int(rng.integers(1, 6)),), (int(rng.integers(2, 5)), int(rng.integers(2, 5))), ()]
    return [rng.standard_normal(shape) * rng.uniform(0.1, 10.0) for shape in shapes]


def check_clip_values(fn: Callable[..., Any], seed: int = 31) -> None:
    """Random lists of gradients above the threshold match torch's clip_grad_norm_ (reference)."""
    rng = np.random.default_rng(seed)
    for _ in range(6):
        grads = _random_grads(rng)
        total = ref.clip_by_global_norm(grads, 1.0)[1]
        _check_clip_case(fn, grads, float(total * rng.uniform(0.05, 0.8)))


def check_clip_below_threshold(fn: Callable[..., Any], seed: int = 37) -> None:
    """Gradients at or below the threshold come back unchanged; a zero gradient stays zero."""
    rng = np.random.default_rng(seed)
    for _ in range(4):
        grads = _random_grads(rng)
        total = ref.clip_by_global_norm(grads, 1.0)[1]
        _check_clip_case(fn, grads, float(total * rng.uniform(1.01, 5.0)))
    _check_clip_case(fn, [np.zeros(3), np.zeros((2, 2))], 1.0)


def check_clip_inputs_and_dtypes(fn: Callable[..., Any]) -> None:
    """The input gradients are left alone (and may be read-only); float32 stays float32."""
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]

    def run(args: Sequence[Any]) -> Any:
        return run_student(fn, "clip_by_global_norm", (list(args), 1.0), libraries=CLIPPING)

    check_inputs_unchanged(run, grads, ["grads[0]", "grads[1]"], "clip_by_global_norm")
    grads32 = [np.array([3.0, 4.0], dtype=np.float32), np.ones((2, 2), dtype=np.float32)]
    clipped, _ = _clip_result(fn, grads32, 1.0, "clip_by_global_norm(float32 gradients, 1.0)")
    for got in clipped:
        if got.dtype != np.float32:
            fail(
                f"clip_by_global_norm(float32 gradients, 1.0) returned a {got.dtype} gradient; "
                "expected float32.",
                hint="scale each gradient by a Python float, which keeps its dtype",
            )


# --- the learning-rate range test ----------------------------------------------------------------
def _range_with(lrs, grad_fn, loss_fn, x0, after: bool = True):  # noqa: ANN001, ANN202
    """A range test over the rates ``lrs``, recording the loss after (or before) each step."""
    x = np.array(x0, dtype=float)
    losses = []
    for rate in lrs:
        before = loss_fn(x)
        x = x - rate * grad_fn(x)
        losses.append(loss_fn(x) if after else before)
    losses = np.array(losses)
    return lrs, losses, float(lrs[np.nanargmin(losses)] / 10.0)


RANGE_MISTAKES = [
    Mistake(
        "evenly spaced rates instead of geometrically spaced ones",
        "each rate is the previous one times the same factor, so that every decade gets as many "
        "steps",
        lambda grad_fn, loss_fn, x0, start, end, n: _range_with(
            np.linspace(start, end, n), grad_fn, loss_fn, x0
        ),
    ),
    Mistake(
        "the loss recorded before each step instead of after it",
        "losses[k] is the loss the step with lrs[k] led to",
        lambda grad_fn, loss_fn, x0, start, end, n: _range_with(
            ref.lr_range_test(grad_fn, loss_fn, x0, start, end, n)[0], grad_fn, loss_fn, x0, False
        ),
    ),
    Mistake(
        "the rate at the lowest loss suggested as it is",
        "the lowest loss comes just before the run blows up: suggest a rate well below it",
        lambda *args: (*ref.lr_range_test(*args)[:2], ref.lr_range_test(*args)[2] * 10.0),
    ),
    Mistake(
        "rates that stop one factor short of lr_end",
        "the last rate, lrs[num_steps - 1], is lr_end itself",
        lambda grad_fn, loss_fn, x0, start, end, n: _range_with(
            start * (end / start) ** (np.arange(n) / n), grad_fn, loss_fn, x0
        ),
    ),
]


def _quadratic(curvatures: np.ndarray) -> tuple[Callable, Callable]:
    return (lambda x: curvatures * x), (lambda x: 0.5 * float(np.sum(curvatures * x * x)))


def _check_range_case(
    fn: Callable[..., Any], curvatures: np.ndarray, x0: np.ndarray, span: tuple, n: int
) -> float:
    """Check one range test on a quadratic; return the student's suggested rate."""
    grad_fn, loss_fn = _quadratic(curvatures)
    context = (
        f"lr_range_test on a quadratic with curvatures {describe(curvatures)}, "
        f"lr_start={span[0]:g}, lr_end={span[1]:g}, num_steps={n}"
    )
    given = x0.copy()
    result = call(fn, "lr_range_test", grad_fn, loss_fn, given, span[0], span[1], n)
    if not np.array_equal(given, x0):
        fail(f"{context} changed x0 in place.", hint="start from a copy: x = np.array(x0, ...)")
    if not isinstance(result, tuple) or len(result) != 3:
        fail(
            f"{context} returned {describe(result)}; expected (lrs, losses, suggested_lr).",
            hint="return the rates, the losses and the suggestion: `return lrs, losses, best`",
        )
    lrs, losses = np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
    suggested = as_number(result[2], context, "the suggested learning rate")
    want = ref.lr_range_test(grad_fn, loss_fn, x0, span[0], span[1], n)

    def same(guess: Any) -> bool:
        return (
            close(lrs, guess[0], 1e-8)
            and close(losses, guess[1], 1e-6, 1e-300)
            and close(suggested, guess[2], 1e-8)
        )

    if same(want):
        return suggested
    fail_if_known_mistake(context, RANGE_MISTAKES, (grad_fn, loss_fn, x0, *span, n), same)
    for label, got, expected, hint in (
        ("lrs", lrs, want[0], "geometric steps from lr_start to lr_end, both included"),
        ("losses", losses, want[1], "one gradient step per rate, then the loss where it landed"),
        ("the suggested rate", suggested, want[2], "a tenth of the rate at the lowest loss"),
    ):
        if not close(got, expected, 1e-6, 1e-300):
            fail(
                f"{context}: {label} is wrong.\n  expected: {describe(expected)}\n"
                f"  got:      {describe(got)}",
                hint=hint,
            )
    return suggested


def check_range_values(fn: Callable[..., Any], seed: int = 41) -> None:
    """Random quadratics in 1, 3 and 8 dimensions: rates, losses and suggestion match."""
    rng = np.random.default_rng(seed)
    for dim in (1, 3, 8):
        curvatures = rng.uniform(0.5, 20.0, dim)
        x0 = rng.standard_normal(dim)
        _check_range_case(fn, curvatures, x0, (1e-4, 10.0), int(rng.integers(40, 90)))


def check_range_known_answer(fn: Callable[..., Any]) -> None:
    """Quadratics with a known stable limit 2 / curvature: the suggestion is 3 to 30x below it."""
    for curvature in (0.5, 4.0, 50.0):
        curvatures = np.full(2, curvature)
        suggested = _check_range_case(fn, curvatures, np.array([1.0, -2.0]), (1e-5, 100.0), 80)
        limit = 2.0 / curvature
        if not limit / 30 <= suggested <= limit * 0.3:
            fail(
                f"lr_range_test on f = {curvature:g} |x|^2 / 2 suggested {suggested:.4g}; the "
                f"stable limit is {limit:.4g}, so a suggestion about a decade below it was "
                "expected.",
                hint="suggest a tenth of the rate where the loss was lowest",
            )
