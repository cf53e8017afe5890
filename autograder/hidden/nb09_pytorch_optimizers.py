"""Hidden tests for notebook 09: the student's ``torch.optim.Optimizer`` subclasses.

The notebook gives the ``torch.optim.Optimizer`` skeleton once (``CourseOptimizer``: groups,
closure, ``no_grad``, state created on a parameter's first update, the step counter
``state["t"]``), and the students write ``update(p, grad, state, group)`` of ``Momentum``,
``RMSprop``, ``Adam`` and ``Lion``; ``AdamW`` subclasses their Adam and adds the decay. The checks
here run the classes for many steps on several parameter tensors at once and compare every
parameter and every state tensor, after every step, with the NumPy references in
``autograder/references.py`` (which ``tests/test_references.py`` ties to ``torch.optim`` and
``lion-pytorch``). One ``check_*`` function is one graded property:

- ``check_trajectory``: 200 steps in float64 on three tensors of different shapes, gradients from
  1e-9 to 1e2 in size, exact zeros, non-default hyperparameters;
- ``check_float32``: float32 parameters (0-d to 3-D) stay float32, state included, and follow the
  reference within float32 rounding;
- ``check_contract``: what ``update()`` owns of the contract: each group's own hyperparameters,
  state kept per parameter (one that gets its first gradient late starts afresh; a resumed
  ``state_dict()`` continues exactly), in-place updates (the same tensor, the same memory) and state
  of p's dtype in its own memory; and that the given skeleton still works (defaults, parameters
  without a gradient, ``step(closure)``).

AdamW is graded with a correct Adam beneath it (``_correct_adam_beneath``), so a mistake in the
student's Adam is charged once, in Adam's cells.

When a run differs, the message names a known mistake when one reproduces the student's run (the
catalogue in ``autograder/kit/rule_mistakes.py`` plus the in-place, state and step-counter slips
that only exist in PyTorch code), else shows the first step that differs. Correct classes that the
tests of this module grade live in ``tests/torch_reference_optimizers.py``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from autograder import references as ref
from autograder.kit.borrowing import stand_ins_allowed
from autograder.kit.core import GradingFailure, Mistake, describe, fail, quiet, run_student
from autograder.kit.rule_mistakes import MISTAKES
from autograder.kit.torch_twins import DEFAULT_HPARAMS, make_gradients
from optimlab import registry

__all__ = [
    "SPECS",
    "OptimizerSpec",
    "check_contract",
    "check_float32",
    "check_trajectory",
]


# ------------------------------------------------------------------------------ what is graded


@dataclass(frozen=True)
class OptimizerSpec:
    """One graded class: its NumPy reference, constructor defaults and state names."""

    name: str  # the class students write, e.g. "Adam"
    step_name: str  # the reference function and mistake catalogue, e.g. "adam_step"
    defaults: dict[str, float]  # constructor defaults, in the order of the signature
    state: tuple[str, ...]  # tensors kept in self.state[p]
    counter: str | None  # the per-parameter step counter in self.state[p], if any
    test_hyper: dict[str, float]  # deliberately not the defaults

    @property
    def reference(self) -> Callable[..., Any]:
        return getattr(ref, self.step_name)


SPECS: dict[str, OptimizerSpec] = {
    info.name: OptimizerSpec(
        info.name,
        info.step_function,
        dict(info.defaults),
        info.state,
        "t" if info.takes_step_count else None,
        DEFAULT_HPARAMS[info.key],
    )
    for info in registry.OPTIMIZERS.values()
    if info.state  # plain SGD keeps no state: notebook 09 grades the five stateful optimizers
}

# Largest allowed max|student - reference| / max|reference| at any step, per dtype. float64:
# two correct implementations differ by rounding only (~1e-14 measured over 200 steps); float32:
# as tests/test_references.py explains, correct code lands within ~1.4e-5 of the reference.
RTOL = {torch.float64: 1e-9, torch.float32: 1e-4}


# --------------------------------------------------------------- mistakes only PyTorch code makes


def _stored(spec: OptimizerSpec, change: Callable[..., tuple[np.ndarray, ...]]) -> Callable:
    """A mistake model: the reference step, with the *stored* state replaced by ``change``."""

    def compute(*args: Any, **hyper: Any) -> tuple[np.ndarray, ...]:
        out = spec.reference(*args, **hyper)
        return change(out, *args, **hyper)

    return compute


def _torch_mistakes(spec: OptimizerSpec) -> list[Mistake]:
    """In-place slips: a state tensor overwritten while computing the step from it."""
    name = spec.name
    if name in ("Adam", "AdamW"):
        return [
            Mistake(
                "m overwritten by m_hat (an in-place m.div_(1 - beta1**t) on the state)",
                "compute m_hat as a new tensor (no in-place method on the state); the stored m "
                "must stay the plain running average",
                _stored(
                    spec,
                    lambda out, p, g, m, v, t, **h: (
                        out[0],
                        out[1] / (1 - h["beta1"] ** t),
                        out[2],
                    ),
                ),
            ),
            Mistake(
                "v overwritten by v_hat (an in-place v.div_(1 - beta2**t) on the state)",
                "compute v_hat as a new tensor (no in-place method on the state); the stored v "
                "must stay the plain running average",
                _stored(
                    spec,
                    lambda out, p, g, m, v, t, **h: (
                        out[0],
                        out[1],
                        out[2] / (1 - h["beta2"] ** t),
                    ),
                ),
            ),
            Mistake(
                "the denominator built in place on v (v.sqrt_().add_(eps) changes the state)",
                "build the denominator as a new tensor, never with in-place operations on "
                "state['v']",
                _stored(
                    spec,
                    lambda out, p, g, m, v, t, **h: (
                        out[0],
                        out[1],
                        np.sqrt(out[2] / (1 - h["beta2"] ** t)) + h["eps"],
                    ),
                ),
            ),
        ]
    if name == "RMSprop":
        return [
            Mistake(
                "the denominator built in place on the cache (cache.sqrt_() changes the state)",
                "build the denominator as a new tensor; the stored cache must stay the running "
                "average of squared gradients",
                _stored(spec, lambda out, p, g, c, **h: (out[0], np.sqrt(out[1]) + h["eps"])),
            ),
            Mistake(
                "the cache overwritten by its square root (cache.sqrt_() on the state)",
                "use cache.sqrt() (a new tensor), not cache.sqrt_()",
                _stored(spec, lambda out, p, g, c, **h: (out[0], np.sqrt(out[1]))),
            ),
            Mistake(
                "torch's default alpha = 0.99 used instead of the group's beta",
                "read the decay from group['beta'] (the course's default is 0.9)",
                lambda p, g, c, lr, beta, eps: ref.rmsprop_step(p, g, c, lr, 0.99, eps),
            ),
        ]
    if name == "Lion":

        def overwritten(sign_in_place: bool) -> Callable[..., Any]:
            def compute(p, g, m, lr, beta1, beta2, weight_decay):
                new_p, _ = ref.lion_step(p, g, m, lr, beta1, beta2, weight_decay)
                interp = beta1 * m + (1 - beta1) * g
                kept = np.sign(interp) if sign_in_place else interp
                return new_p, beta2 * kept + (1 - beta2) * g

            return compute

        return [
            Mistake(
                "the momentum overwritten by the interpolation (m.mul_(beta1).add_(...) on the "
                "state)",
                "compute the direction as a new tensor; only the momentum update after the step "
                "may change m",
                overwritten(sign_in_place=False),
            ),
            Mistake(
                "the momentum overwritten by the sign (m.mul_(beta1).add_(...).sign_() on the "
                "state)",
                "take the sign of a new tensor, so that state['m'] keeps the running average",
                overwritten(sign_in_place=True),
            ),
        ]
    return []


def _state_not_carried(spec: OptimizerSpec) -> Mistake:
    """The state rebuilt from zeros at every step: a local name rebound (``m = beta1 * m + ...``)
    instead of the stored tensor changed, or the state created again inside update()."""

    def compute(p: np.ndarray, g: np.ndarray, *state_and_t: Any, **hyper: Any) -> tuple:
        zeros = [np.zeros_like(p) for _ in spec.state]
        out = spec.reference(p, g, *zeros, *state_and_t[len(spec.state) :], **hyper)
        return (out[0], *zeros)

    return Mistake(
        "the state is not carried from one step to the next (it restarts from zeros)",
        "change the tensors in `state` in place (m.mul_(...).add_(...)) or store the new ones "
        "back in state; `m = ...` only rebinds a local name, and the base class already created "
        "the state",
        compute,
    )


def _ignored_hyperparameters(spec: OptimizerSpec, hyper: dict[str, float]) -> list[Mistake]:
    """A hyperparameter read from somewhere other than the group: the default used instead."""
    out = []
    for key, default in spec.defaults.items():
        if key in hyper and not math.isclose(hyper[key], default):

            def compute(*args: Any, _key: str = key, _default: float = default, **h: Any):
                return spec.reference(*args, **{**h, _key: _default})

            out.append(
                Mistake(
                    f"the group's {key} ignored (the default {key}={default:g} used instead of "
                    f"{hyper[key]:g})",
                    f"read every hyperparameter from the parameter group: group[{key!r}]",
                    compute,
                )
            )
    return out


# ---------------------------------------------------------------------- running the classes


def _fmt(hyper: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in hyper.items())


# Errors PyTorch code often raises, and what they usually mean here.
TORCH_HINTS = {
    "requires grad": "step() must run under @torch.no_grad() (keep the decorator), and update "
    "parameters with in-place operations on p itself",
    "NoneType": "skip parameters whose p.grad is None (they got no gradient this step)",
}


# The library optimizers the students' classes are compared with: their update may not be
# borrowed (the base class torch.optim.Optimizer, in optimizer.py, is what students build on).
LIBRARIES = ("torch.optim", "lion_pytorch")
BASE_CLASS_FILES = ("torch/optim/optimizer.py",)


def _call(name: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call student code quietly; NotImplementedError passes through, other errors are explained."""
    return run_student(
        fn,
        name,
        args,
        kwargs,
        what=what,
        hints=TORCH_HINTS,
        libraries=LIBRARIES,
        allowed_library_files=BASE_CLASS_FILES,
    )


def _construct(cls: Any, name: str, params: Any, hyper: dict[str, float]) -> Any:
    if not isinstance(cls, type) or not issubclass(cls, torch.optim.Optimizer):
        fail(
            f"`{name}` should be a subclass of torch.optim.Optimizer, but it is {describe(cls)}.",
            hint=f"define it as `class {name}(torch.optim.Optimizer):`",
        )
    return _call(name, f"{name}(params, {_fmt(hyper)})", cls, params, **hyper)


def _state_value(state: dict, key: str, name: str, where: str) -> Any:
    if key not in state:
        have = ", ".join(repr(k) for k in state) or "nothing"
        fail(
            f"{name}: {where}, self.state[p] holds {have}; expected a {key!r} entry.",
            hint="keep this parameter's optimizer state in self.state[p] under the names the "
            "exercise gives",
        )
    return state[key]


def _state_tensor(state: dict, key: str, p: torch.Tensor, name: str, where: str) -> np.ndarray:
    value = _state_value(state, key, name, where)
    if not isinstance(value, torch.Tensor):
        fail(f"{name}: {where}, self.state[p][{key!r}] is {describe(value)}, not a tensor.")
    if value.shape != p.shape:
        fail(
            f"{name}: {where}, self.state[p][{key!r}] has shape {tuple(value.shape)}, the "
            f"parameter {tuple(p.shape)}.",
            hint="create state with torch.zeros_like(p)",
        )
    if value.dtype != p.dtype or value.device != p.device:
        fail(
            f"{name}: {where}, self.state[p][{key!r}] is {value.dtype} on {value.device}, but the "
            f"parameter is {p.dtype} on {p.device}.",
            hint="create state with torch.zeros_like(p): same shape, dtype and device as p",
        )
    if value.requires_grad:
        fail(
            f"{name}: {where}, self.state[p][{key!r}] requires grad: autograd is recording the "
            "optimizer's arithmetic.",
            hint="keep the @torch.no_grad() decorator on step()",
        )
    return value.detach().cpu().numpy().copy()


def _counter_value(state: dict, key: str, name: str, where: str) -> int:
    value = _state_value(state, key, name, where)
    try:
        return int(value.item() if isinstance(value, torch.Tensor) else value)
    except (TypeError, ValueError):
        fail(f"{name}: {where}, self.state[p][{key!r}] is {describe(value)}, not a step count.")
    return 0


@dataclass
class _Run:
    """Per parameter j: params[j][k] and state[j][key][k] after step k + 1, and counters."""

    params: list[list[np.ndarray]]
    state: list[dict[str, list[np.ndarray]]]
    counters: list[list[int]]


def _run_student(
    cls: Any,
    spec: OptimizerSpec,
    starts: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    hyper: dict[str, float],
    label: str,
) -> _Run:
    """Run the student's class on Parameters made from ``starts``, one gradient array per step."""
    name = spec.name
    params = [torch.nn.Parameter(torch.from_numpy(np.array(s, copy=True))) for s in starts]
    optimizer = _construct(cls, name, params, hyper)
    pointers = [p.data_ptr() for p in params]
    run = _Run(
        [[] for _ in params], [{k: [] for k in spec.state} for _ in params], [[] for _ in params]
    )
    for k in range(len(grads[0])):
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.from_numpy(np.array(g[k], copy=True))
        _call(name, f"step() at step {k + 1} ({label})", optimizer.step)
        where = f"after step {k + 1} ({label})"
        for j, p in enumerate(params):
            if p.data_ptr() != pointers[j] or p is not optimizer.param_groups[0]["params"][j]:
                fail(
                    f"{name}: {where}, parameter {j} is stored in new memory: step() replaced "
                    "the tensor instead of updating it.",
                    hint="change p in place in update(): p.add_(...), p.mul_(...), "
                    "p.addcdiv_(...); never p.data = ... or a new tensor",
                )
            if p.grad_fn is not None or not p.requires_grad:
                fail(
                    f"{name}: {where}, parameter {j} is no longer a trainable leaf tensor.",
                    hint="keep @torch.no_grad() on step() and update p in place",
                )
            run.params[j].append(p.detach().numpy().copy())
            state = optimizer.state[p] if p in optimizer.state else {}
            for key in spec.state:
                run.state[j][key].append(_state_tensor(state, key, p, name, where))
            if spec.counter:
                run.counters[j].append(_counter_value(state, spec.counter, name, where))
    return run


def _numpy_run(
    step_fn: Callable[..., Any],
    spec: OptimizerSpec,
    start: np.ndarray,
    grads: np.ndarray,
    hyper: dict[str, float],
    t_of_step: Callable[[int], int] | None = None,
) -> tuple[list[np.ndarray], dict[str, list[np.ndarray]]]:
    """A NumPy rule (reference or mistake) over the gradients: params and state per step."""
    p = np.array(start, copy=True)
    state = [np.zeros_like(p) for _ in spec.state]
    params_out: list[np.ndarray] = []
    state_out: dict[str, list[np.ndarray]] = {k: [] for k in spec.state}
    for k, g in enumerate(grads):
        args: list[Any] = [p, g, *state]
        if spec.counter:
            args.append(t_of_step(k) if t_of_step else k + 1)
        out = step_fn(*args, **hyper)
        p, *state = (np.asarray(x).astype(start.dtype, copy=False) for x in out)
        params_out.append(np.array(p, copy=True))
        for key, value in zip(spec.state, state, strict=True):
            state_out[key].append(np.array(value, copy=True))
    return params_out, state_out


def _relative(got: np.ndarray, want: np.ndarray) -> float:
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    if got64.shape != want64.shape:
        return math.inf
    if not np.array_equal(np.isfinite(got64), np.isfinite(want64)):
        return math.inf
    finite = np.isfinite(want64)
    if not finite.any():
        return 0.0
    scale = max(float(np.abs(want64[finite]).max()), np.finfo(np.float64).tiny)
    return float(np.abs(got64[finite] - want64[finite]).max()) / scale


def _first_difference(
    got: Sequence[np.ndarray], want: Sequence[np.ndarray], rtol: float
) -> int | None:
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        if _relative(g, w) > rtol:
            return k
    return None


def _compare(
    student: _Run,
    spec: OptimizerSpec,
    starts: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    hyper: dict[str, float],
    rtol: float,
    label: str,
) -> None:
    """Fail with a clear message at the first parameter and step that differ from the reference."""
    name = spec.name
    count = len(starts)
    for j, (start, g) in enumerate(zip(starts, grads, strict=True)):
        want_p, want_s = _numpy_run(spec.reference, spec, start, g, hyper)
        bad_param = _first_difference(student.params[j], want_p, rtol)
        bad_state = {
            key: _first_difference(student.state[j][key], want_s[key], rtol) for key in spec.state
        }
        bad_counter = None
        if spec.counter:
            bad_counter = next((k for k, t in enumerate(student.counters[j]) if t != k + 1), None)
        if bad_param is None and all(v is None for v in bad_state.values()) and bad_counter is None:
            continue
        context = f"{label}, parameter {j} of {count} (shape {tuple(start.shape)}, {start.dtype})"
        # 1. A parameter that never moves: a rebinding instead of an in-place update.
        if all(np.array_equal(p, start) for p in student.params[j]) and not all(
            np.array_equal(p, start) for p in want_p
        ):
            fail(
                f"{name}: {context}: the parameter never changed in {len(g)} steps.",
                hint="`p = p - ...` only rebinds a local name: update the tensor itself in "
                "place with p.add_(...), p.sub_(...), p.mul_(...) or p.addcdiv_(...)",
            )
        # 2. A known mistake that reproduces the whole run of this parameter.
        candidates: list[tuple[Mistake, Callable[[int], int] | None]] = []
        if all(not np.any(student.state[j][key]) for key in spec.state):  # the state stayed 0
            candidates.append((_state_not_carried(spec), None))
        for mistake in MISTAKES.get(spec.step_name, []):
            candidates.append((mistake, None))
        for mistake in _torch_mistakes(spec) + _ignored_hyperparameters(spec, hyper):
            candidates.append((mistake, None))
        if spec.counter:
            candidates.append(
                (
                    Mistake(
                        "the step counter increased a second time (the base class already "
                        "counts each update)",
                        "read t = state['t'] and leave it: the base class adds 1 before update()",
                        spec.reference,
                    ),
                    lambda k: 2 * (k + 1),
                )
            )
        for mistake, t_of_step in candidates:
            try:
                with quiet():
                    guess_p, _ = _numpy_run(mistake.compute, spec, start, g, hyper, t_of_step)
            except Exception:  # noqa: BLE001, S112 - a mistake model that cannot run does not match
                continue
            if _first_difference(student.params[j], guess_p, rtol) is None:
                fail(
                    f"{name}: {context}, {_fmt(hyper)}: your updates match a known mistake, "
                    f"{mistake.name}.",
                    hint=mistake.advice,
                )
        # 3. No known mistake: show the first step where something differs.
        steps = [(bad_param, "the parameter", student.params[j], want_p)]
        steps += [
            (bad_state[key], f"self.state[p][{key!r}]", student.state[j][key], want_s[key])
            for key in spec.state
        ]
        found = [s for s in steps if s[0] is not None]
        if found:
            k, what, got, want = min(found, key=lambda s: s[0])
            fail(
                f"{name}: {context}, {_fmt(hyper)}: after step {k + 1} of {len(g)}, {what} is "
                f"wrong (largest error {_relative(got[k], want[k]):.2e} relative to its size)."
                f"\n  expected: {describe(want[k])}\n  got:      {describe(got[k])}",
                hint=f"compare {name}.update() line by line with the update rule above"
                + (
                    " (in float32, build every number from p's dtype)"
                    if start.dtype == np.float32
                    else ""
                ),
            )
        k = bad_counter or 0
        fail(
            f"{name}: {context}: after step {k + 1}, self.state[p][{spec.counter!r}] is "
            f"{student.counters[j][k]}, expected {k + 1}.",
            hint="the base class counts this parameter's steps in state['t']: read it, never "
            "change it",
        )


def _starts_and_grads(
    shapes: Sequence[tuple[int, ...]], steps: int, seed: int, dtype: Any
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    grads = [make_gradients(shape, steps, seed + 7 * i, dtype) for i, shape in enumerate(shapes)]
    return starts, grads


def _spec(name: str) -> OptimizerSpec:
    if name not in SPECS:
        raise ValueError(f"unknown optimizer class {name!r}; expected one of {sorted(SPECS)}")
    return SPECS[name]


# ------------------------------------------------------------- AdamW graded on a correct Adam


def _reference_adam_update(
    self: Any, p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict
):
    """A correct Adam.update() on the skeleton's state (t already counted, m and v created)."""
    beta1, beta2, t = group["beta1"], group["beta2"], state["t"]
    for key in ("m", "v"):
        state.setdefault(key, torch.zeros_like(p))
    m, v = state["m"], state["v"]
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denominator = (v / (1 - beta2**t)).sqrt_().add_(group["eps"])
    p.addcdiv_(m / (1 - beta1**t), denominator, value=-group["lr"])


@contextlib.contextmanager
def _correct_adam_beneath(cls: Any, name: str) -> Iterator[None]:
    """While AdamW is graded, the student's Adam (AdamW's base class) updates like the reference:
    a mistake in Adam costs points once, in Adam's cells. A restored class on the way out."""
    bases = cls.__mro__[1:] if name == "AdamW" and isinstance(cls, type) else ()
    adam = next((b for b in bases if b.__name__ == "Adam" and "update" in vars(b)), None)
    if adam is None:
        yield
        return
    own = vars(adam)["update"]
    adam.update = _reference_adam_update
    try:
        with stand_ins_allowed([_reference_adam_update]):  # handed over, not borrowed
            yield
    finally:
        adam.update = own


def _graded_alone(check: Callable[..., None]) -> Callable[..., None]:
    """A check that grades AdamW with a correct Adam beneath it."""

    @functools.wraps(check)
    def wrapped(cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        with _correct_adam_beneath(cls, name):
            check(cls, name, *args, **kwargs)

    return wrapped


# ------------------------------------------------------------------------------ public checks


@_graded_alone
def check_trajectory(cls: Any, name: str, steps: int = 200, seed: int = 909) -> None:
    """Many steps in float64 on three tensors at once, non-default hyperparameters."""
    spec = _spec(name)
    shapes = [(7,), (3, 4), (2, 3, 2)]
    starts, grads = _starts_and_grads(shapes, steps, seed, np.float64)
    label = f"{steps} float64 steps on {len(shapes)} tensors"
    run = _run_student(cls, spec, starts, grads, spec.test_hyper, label)
    _compare(run, spec, starts, grads, spec.test_hyper, RTOL[torch.float64], label)
    # The course's defaults too, on one tensor (a default that differs in the class shows here).
    starts, grads = _starts_and_grads([(5,)], 60, seed + 1, np.float64)
    hyper = dict(spec.defaults, lr=max(spec.defaults["lr"], 0.01))
    run = _run_student(cls, spec, starts, grads, hyper, "60 steps with the default betas/eps")
    _compare(
        run, spec, starts, grads, hyper, RTOL[torch.float64], "60 steps with the default betas/eps"
    )


@_graded_alone
def check_float32(cls: Any, name: str, steps: int = 120, seed: int = 3232) -> None:
    """float32 parameters of every shape (0-d to 3-D) stay float32 and follow the reference."""
    spec = _spec(name)
    shapes = [(), (1,), (4, 5), (2, 1, 3)]
    starts, grads = _starts_and_grads(shapes, steps, seed, np.float32)
    label = f"{steps} float32 steps on {len(shapes)} tensors"
    run = _run_student(cls, spec, starts, grads, spec.test_hyper, label)
    for j, start in enumerate(starts):
        for key in ("params", *spec.state):
            values = run.params[j] if key == "params" else run.state[j][key]
            if values[-1].dtype != np.float32:
                fail(f"{name}: float32 parameter {j}: {key} came back as {values[-1].dtype}.")
        del start
    _compare(run, spec, starts, grads, spec.test_hyper, RTOL[torch.float32], label)


@contextlib.contextmanager
def _context(what: str) -> Iterator[None]:
    try:
        yield
    except GradingFailure as failure:
        raise GradingFailure(f"[{what}] {failure}") from None


@_graded_alone
def check_contract(cls: Any, name: str, seed: int = 77) -> None:
    """The torch.optim.Optimizer contract: defaults, in place, state, groups, None grads, closure,
    state_dict."""
    spec = _spec(name)
    rng = np.random.default_rng(seed)
    rtol = RTOL[torch.float64]

    with _context("constructor defaults"):
        p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
        optimizer = _construct(cls, name, [p], {})
        group = optimizer.param_groups[0]
        for key, default in spec.defaults.items():
            if key not in group:
                fail(
                    f"{name}([p]).param_groups[0] has no {key!r}.",
                    hint="pass every hyperparameter to super().__init__(params, defaults)",
                )
            if not math.isclose(float(group[key]), default, rel_tol=1e-12):
                fail(f"{name}([p]) has {key}={group[key]!r}, the course's default is {default!r}.")

    with _context("several parameter groups with their own hyperparameters"):
        hyper_a = dict(spec.test_hyper)
        hyper_b = {k: v for k, v in spec.test_hyper.items()}
        hyper_b["lr"] = spec.test_hyper["lr"] * 0.3
        for key in ("beta", "beta1"):
            if key in hyper_b:
                hyper_b[key] = 0.5
        if "weight_decay" in hyper_b:
            hyper_b["weight_decay"] = 0.2
        shapes = [(4,), (2, 3)]
        starts, grads = _starts_and_grads(shapes, 30, seed, np.float64)
        pa, pb = (torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts)
        overrides = {k: v for k, v in hyper_b.items() if v != hyper_a[k]}
        optimizer = _construct(
            cls, name, [{"params": [pa]}, {"params": [pb], **overrides}], hyper_a
        )
        for k in range(30):
            pa.grad = torch.from_numpy(grads[0][k].copy())
            pb.grad = torch.from_numpy(grads[1][k].copy())
            _call(name, "step() with two parameter groups", optimizer.step)
        for param, start, g, hyper, which in (
            (pa, starts[0], grads[0], hyper_a, "first"),
            (pb, starts[1], grads[1], hyper_b, "second"),
        ):
            want, _ = _numpy_run(spec.reference, spec, start, g, hyper)
            got = param.detach().numpy()
            if _relative(got, want[-1]) > rtol:
                other = hyper_a if which == "second" else hyper_b
                swaps = [("all of", other)] + [
                    (f"{key} from", dict(hyper, **{key: other[key]}))
                    for key in hyper
                    if other[key] != hyper[key]
                ]
                for what, swapped in swaps:
                    as_other, _ = _numpy_run(spec.reference, spec, start, g, swapped)
                    if _relative(got, as_other[-1]) <= rtol:
                        fail(
                            f"{name}: the parameter in the {which} group ({_fmt(hyper)}) moved "
                            f"with {what} the other group's hyperparameters.",
                            hint="inside the loop over self.param_groups, read lr and the other "
                            "hyperparameters from `group`, not from self.defaults",
                        )
                fail(
                    f"{name}: after 30 steps, the parameter in the {which} group ({_fmt(hyper)}) "
                    f"is wrong.\n  expected: {describe(want[-1])}\n  got:      {describe(got)}",
                    hint="each group carries its own hyperparameters: group['lr'], ...",
                )

    with _context("parameters without a gradient"):
        starts, grads = _starts_and_grads([(3,), (5,)], 12, seed + 1, np.float64)
        p_always, p_late = (torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts)
        optimizer = _construct(cls, name, [p_always, p_late], spec.test_hyper)
        for k in range(12):
            p_always.grad = torch.from_numpy(grads[0][k].copy())
            p_late.grad = None if k < 5 else torch.from_numpy(grads[1][k].copy())
            _call(
                name, f"step() while one parameter has p.grad = None (step {k + 1})", optimizer.step
            )
            if k < 5:
                if not np.array_equal(p_late.detach().numpy(), starts[1]):
                    fail(
                        f"{name}: a parameter whose p.grad is None changed at step {k + 1}.",
                        hint="skip it: `if p.grad is None: continue`",
                    )
                if optimizer.state.get(p_late):
                    fail(
                        f"{name}: a parameter that never had a gradient got optimizer state.",
                        hint="create state on a parameter's first real update only",
                    )
        want, _ = _numpy_run(spec.reference, spec, starts[1], grads[1][5:], spec.test_hyper)
        got = p_late.detach().numpy()
        if _relative(got, want[-1]) > rtol:
            hint = "its state starts at zero on its first update"
            if spec.counter:
                hint += " and its step counter at t = 1 (keep t in self.state[p], per parameter)"
            fail(
                f"{name}: a parameter that got its first gradient at step 6 is wrong after "
                f"7 updates.\n  expected: {describe(want[-1])}\n  got:      {describe(got)}",
                hint=hint,
            )

    with _context("in-place updates and the state"):
        model = torch.nn.Linear(4, 3).double()
        params = list(model.parameters())
        pointers = [p.data_ptr() for p in params]
        optimizer = _construct(cls, name, model.parameters(), spec.test_hyper)
        x = torch.from_numpy(rng.standard_normal((6, 4)))
        for k in range(3):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            _call(name, "step() on an nn.Linear's parameters", optimizer.step)
            for p, pointer, got in zip(params, pointers, model.parameters(), strict=True):
                if got is not p or p.data_ptr() != pointer:
                    fail(
                        f"{name}: after step {k + 1}, the model's parameter lives in new memory.",
                        hint="update in place (p.add_(...)); never p.data = ... or a new tensor",
                    )
                state = optimizer.state[p]
                for key in spec.state:
                    _state_tensor(state, key, p, name, f"after step {k + 1}")
                    if state[key].data_ptr() in (p.data_ptr(), p.grad.data_ptr()):
                        fail(
                            f"{name}: self.state[p][{key!r}] shares memory with "
                            f"{'p' if state[key].data_ptr() == p.data_ptr() else 'p.grad'}.",
                            hint="start the state with torch.zeros_like(p), its own memory",
                        )
                if spec.counter and _counter_value(state, spec.counter, name, "") != k + 1:
                    fail(f"{name}: after step {k + 1}, self.state[p]['t'] is not {k + 1}.")

    with _context("step(closure)"):
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
        optimizer = _construct(cls, name, [w], spec.test_hyper)
        calls: list[bool] = []

        def closure() -> torch.Tensor:
            calls.append(torch.is_grad_enabled())
            optimizer.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        returned = _call(name, "step(closure)", optimizer.step, closure)
        if calls != [True]:
            fail(
                f"{name}: step(closure) called the closure {len(calls)} times"
                + (" with gradients disabled" if calls and not all(calls) else "")
                + "; expected once, with gradients enabled.",
                hint="call it once: `with torch.enable_grad(): loss = closure()`",
            )
        if not isinstance(returned, torch.Tensor) or float(returned.detach()) != 5.25:
            fail(
                f"{name}: step(closure) returned {describe(returned)}; expected the closure's "
                "loss (5.25 here).",
                hint="end step() with `return loss`",
            )
        w.grad = torch.ones_like(w)
        if _call(name, "step()", optimizer.step) is not None:
            fail(f"{name}: step() without a closure should return None.")

    with _context("state_dict() and load_state_dict()"):
        starts, grads = _starts_and_grads([(3,), (2, 2)], 10, seed + 2, np.float64)
        first = [torch.nn.Parameter(torch.from_numpy(s.copy())) for s in starts]
        optimizer = _construct(cls, name, first, spec.test_hyper)

        def steps(opt: Any, params: list[torch.Tensor], ks: range) -> None:
            for k in ks:
                for p, g in zip(params, grads, strict=True):
                    p.grad = torch.from_numpy(g[k].copy())
                _call(name, "step()", opt.step)

        steps(optimizer, first, range(5))
        saved = copy.deepcopy(optimizer.state_dict())
        resumed_params = [torch.nn.Parameter(p.detach().clone()) for p in first]
        resumed = _construct(cls, name, resumed_params, spec.test_hyper)
        _call(name, "load_state_dict()", resumed.load_state_dict, saved)
        steps(optimizer, first, range(5, 10))
        steps(resumed, resumed_params, range(5, 10))
        for a, b in zip(first, resumed_params, strict=True):
            if _relative(b.detach().numpy(), a.detach().numpy()) > rtol:
                fail(
                    f"{name}: an optimizer rebuilt from state_dict() after 5 steps does not "
                    "continue like the original.",
                    hint="keep all per-parameter state (including any step counter) in "
                    "self.state[p], not in attributes of self; state_dict() saves only that",
                )
