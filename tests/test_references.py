"""The NumPy references in autograder/references.py against torch.optim and lion-pytorch.

Two kinds of check:
- trajectories: 200 steps on fixed, seeded random gradients (scales from 1e-9 to 1e2, exact
  zeros), params and every state array compared with the torch twin after every step;
- properties the module docstring promises: purity, dtype, any shape, t >= 1, and the
  special cases that reduce one rule to another.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import references as ref
from autograder.kit import torch_twins as tt
from optimlab import registry

STEPS = 200
SHAPES = [(7,), (3, 4), (2, 3, 2)]
DTYPES = [np.float64, np.float32]

# Largest allowed max|ref - torch| / max|torch| at any step, for params and every state array.
# float64: the two sides order their roundings differently (torch divides by sqrt(1 - beta2**t)
# separately, AdamW scales p by (1 - lr*wd) first); measured at most 1.3e-14 here (200 steps)
# and 3.2e-14 over 500 steps, so 1e-10 leaves a wide margin and still catches any real slip.
FLOAT64_RTOL = 1e-10
# float32: measured at most 1.4e-5 (AdamW's v with beta2 = 0.999 here; AdamW's params over 500
# steps in benchmarks/reference_deviation.py). Not a few ulp because the two sides round
# different numbers: the references form (1 - beta) from the float32-rounded beta, torch rounds
# the double (1 - beta), which for beta2 = 0.999 differs by 1.3e-5 relative and shows in v;
# torch also rounds AdamW's factor (1 - lr*wd) to float32, a bias of up to ~3e-8 per step that
# adds up along the trajectory. 1e-4 (~800 float32 eps) keeps a 7x margin; every real mistake
# (eps inside the sqrt, no bias correction, a swapped beta) is off by 1e-3 or far more, and
# float64 is the strict check anyway.
FLOAT32_RTOL = 1e-4
TOLERANCE = {np.float64: FLOAT64_RTOL, np.float32: FLOAT32_RTOL}

# Test cases: id -> (optimizer, hyperparameters). Most values differ from the library defaults,
# so a hyperparameter that is ignored, swapped or silently defaulted shows up as a deviation;
# adamw-large-decay keeps Adam's usual betas and eps and stresses a large lr*wd = 0.05.
CASES: dict[str, tuple[str, dict[str, float]]] = {
    "sgd": ("sgd", tt.DEFAULT_HPARAMS["sgd"]),
    "momentum": ("momentum", tt.DEFAULT_HPARAMS["momentum"]),
    "rmsprop": ("rmsprop", tt.DEFAULT_HPARAMS["rmsprop"]),
    "adam": ("adam", tt.DEFAULT_HPARAMS["adam"]),
    "adamw": ("adamw", tt.DEFAULT_HPARAMS["adamw"]),
    "adamw-large-decay": (
        "adamw",
        {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.5},
    ),
    "lion": ("lion", tt.DEFAULT_HPARAMS["lion"]),
    "lion-no-decay": ("lion", {"lr": 0.01, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.0}),
}


def _shape_id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


def _inputs(case: str, shape: tuple[int, ...], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Seeded initial params and gradient sequence; the float32 data is the float64 data cast."""
    seed = 1000 * list(CASES).index(case) + SHAPES.index(shape)
    p0 = np.random.default_rng(seed + 500).standard_normal(shape)
    return p0.astype(dtype), tt.make_gradients(shape, STEPS, seed, dtype)


def _deviation_report(devs: dict[str, float]) -> str:
    return ", ".join(f"{k}: {v:.3g}" for k, v in devs.items())


# --------------------------------------------------------------------------- trajectories

TRAJECTORY_PARAMS = [
    pytest.param(case, shape, dtype, id=f"{case}-{_shape_id(shape)}-{dtype.__name__}")
    for case in CASES
    for dtype in DTYPES
    for shape in SHAPES
    # Lion in float32 has its own test below (sign flips near zero).
    if not (CASES[case][0] == "lion" and dtype is np.float32)
]


@pytest.mark.parametrize(("case", "shape", "dtype"), TRAJECTORY_PARAMS)
def test_trajectory_matches_torch(case: str, shape: tuple[int, ...], dtype: type) -> None:
    name, hp = CASES[case]
    p0, grads = _inputs(case, shape, dtype)
    ours = tt.run_reference(name, p0, grads, hp)
    theirs = tt.run_torch(name, p0, grads, hp)

    assert ours.params.dtype == dtype
    assert set(ours.state) == set(registry.get(name).state) == set(theirs.state)
    devs = tt.max_relative_deviations(ours, theirs)
    tol = TOLERANCE[dtype]
    assert max(devs.values()) <= tol, f"deviation from torch over tolerance {tol:g}: " + (
        _deviation_report(devs)
    )


def test_gradients_exercise_the_edge_cases() -> None:
    """The gradient sequence really has what the trajectories claim to test."""
    g = tt.make_gradients((3, 4), STEPS, seed=0)
    scales = np.abs(g).reshape(STEPS, -1).max(axis=1)
    assert np.any((scales > 0) & (scales < 1e-8)), "no tiny-gradient steps"
    assert scales.max() > 1.0, "no large-gradient steps"
    assert np.any(g == 0.0) and np.any(scales == 0.0), "no exact zeros / all-zero step"
    assert np.any(np.all(g[:20] == 0.0, axis=0)), "no coordinate with a zero start (m = 0)"


# Lion takes sign(beta1*m + (1-beta1)*g). In float32 that sign may legitimately differ between
# two correct implementations where the interpolation is within rounding of 0; such a flip
# moves that coordinate by up to 2*lr (which then persists; m does not depend on params).
# A step is "ambiguous" on a coordinate when the float64 interpolation (float32 inputs, float64
# arithmetic) is smaller than the float32 rounding error it can carry: the error in m is at most
# ~(3 / (1 - beta2)) * eps32 * a, with a the EMA of |g| (which bounds every term summed into
# m), plus a few eps32 for the interpolation itself.
def _lion_ambiguous_steps(
    grads32: np.ndarray, m64_after: np.ndarray, beta1: float, beta2: float
) -> np.ndarray:
    g = grads32.astype(np.float64)
    m_before = np.concatenate([np.zeros_like(m64_after[:1]), m64_after[:-1]])
    a_before = np.zeros_like(g)
    a = np.zeros(g.shape[1:])
    for k in range(len(g)):
        a_before[k] = a
        a = beta2 * a + (1 - beta2) * np.abs(g[k])
    slack = 4.0 / (1.0 - beta2) + 4.0
    bound = slack * np.finfo(np.float32).eps * (beta1 * a_before + (1 - beta1) * np.abs(g))
    interp = beta1 * m_before + (1 - beta1) * g
    # Strict: an exactly zero interpolation from exactly zero m and g is exact in any precision.
    return np.abs(interp) < bound


LION_FLOAT32_PARAMS = [
    pytest.param(case, shape, id=f"{case}-{_shape_id(shape)}-float32")
    for case in CASES
    if CASES[case][0] == "lion"
    for shape in SHAPES
]


@pytest.mark.parametrize(("case", "shape"), LION_FLOAT32_PARAMS)
def test_lion_float32_trajectory_matches_up_to_ambiguous_signs(
    case: str, shape: tuple[int, ...]
) -> None:
    _, hp = CASES[case]
    p0, grads = _inputs(case, shape, np.float32)
    ours = tt.run_reference("lion", p0, grads, hp)
    theirs = tt.run_torch("lion", p0, grads, hp)
    assert ours.params.dtype == np.float32

    # The momentum never sees params, so no allowance for it.
    m_dev = tt.relative_deviation_per_step(ours.state["m"], theirs.state["m"]).max()
    assert m_dev <= FLOAT32_RTOL, f"Lion m deviates from torch by {m_dev:.3g}"

    mirror = tt.run_reference("lion", p0.astype(np.float64), grads.astype(np.float64), hp)
    ambiguous = _lion_ambiguous_steps(grads, mirror.state["m"], hp["beta1"], hp["beta2"])
    # The allowance must stay an exception, or this test would check nothing.
    assert ambiguous.mean() < 0.01, f"{ambiguous.mean():.1%} of the signs are ambiguous"

    flips_allowed = np.cumsum(ambiguous, axis=0)
    p_ours = ours.params.astype(np.float64)
    p_theirs = theirs.params.astype(np.float64)
    scale = np.abs(p_theirs).reshape(STEPS, -1).max(axis=1).reshape((STEPS,) + (1,) * len(shape))
    bound = FLOAT32_RTOL * scale + 2.0 * hp["lr"] * flips_allowed
    excess = np.abs(p_ours - p_theirs) - bound
    assert np.all(excess <= 0), (
        f"params deviate beyond tolerance at {np.count_nonzero(excess > 0)} coordinate-steps "
        f"(first at step {np.argwhere(excess > 0)[0][0] + 1}); "
        f"{int(ambiguous.sum())} ambiguous signs allowed"
    )


# ----------------------------------------------------------------------------- properties

# name -> (function, names of its array arguments in order, scalar keyword arguments)
STEP_FUNCTIONS = {
    "gd": (ref.gd_step, ("params", "grad"), {"lr": 0.1}),
    "momentum": (ref.momentum_step, ("params", "grad", "velocity"), {"lr": 0.1, "beta": 0.9}),
    "rmsprop": (
        ref.rmsprop_step,
        ("params", "grad", "cache"),
        {"lr": 0.01, "beta": 0.9, "eps": 1e-8},
    ),
    "adam": (
        ref.adam_step,
        ("params", "grad", "m", "v"),
        {"t": 3, "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    ),
    "adamw": (
        ref.adamw_step,
        ("params", "grad", "m", "v"),
        {"t": 3, "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1},
    ),
    "lion": (
        ref.lion_step,
        ("params", "grad", "m"),
        {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.1},
    ),
}
NONNEGATIVE_STATE = {"cache", "v"}


def _arrays(
    name: str, shape: tuple[int, ...], dtype: type, seed: int = 0, state_dtype: type | None = None
) -> list[np.ndarray]:
    """Random inputs for STEP_FUNCTIONS[name]; second-moment state is nonnegative."""
    rng = np.random.default_rng(seed)
    out = []
    for i, arg in enumerate(STEP_FUNCTIONS[name][1]):
        x = rng.standard_normal(shape)
        if arg in NONNEGATIVE_STATE:
            x = x * x
        out.append(x.astype(dtype if i == 0 else (state_dtype or dtype)))
    return out


def _call(name: str, arrays: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    fn, _, kwargs = STEP_FUNCTIONS[name]
    out = fn(*arrays, **kwargs)
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_momentum_with_zero_beta_is_gd(dtype: type) -> None:
    rng = np.random.default_rng(1)
    p, g, v = (rng.standard_normal((4, 5)).astype(dtype) for _ in range(3))
    new_p, new_v = ref.momentum_step(p, g, v, lr=0.1, beta=0.0)
    np.testing.assert_array_equal(new_p, ref.gd_step(p, g, lr=0.1))
    np.testing.assert_array_equal(new_v, g)
    assert not np.shares_memory(new_v, g), "velocity must be a new array, not grad itself"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_adamw_without_weight_decay_is_adam(dtype: type) -> None:
    rng = np.random.default_rng(2)
    p_a = p_w = rng.standard_normal((4, 5)).astype(dtype)
    m_a = m_w = v_a = v_w = np.zeros_like(p_a)
    for t in range(1, 6):
        g = rng.standard_normal(p_a.shape).astype(dtype)
        p_a, m_a, v_a = ref.adam_step(p_a, g, m_a, v_a, t, lr=0.05, beta1=0.8, beta2=0.95)
        p_w, m_w, v_w = ref.adamw_step(
            p_w, g, m_w, v_w, t, lr=0.05, beta1=0.8, beta2=0.95, weight_decay=0.0
        )
        for a, w in ((p_a, p_w), (m_a, m_w), (v_a, v_w)):
            np.testing.assert_array_equal(a, w, err_msg=f"step t={t}")


@pytest.mark.parametrize("beta1", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_lion_step_moves_each_coordinate_by_exactly_lr_or_zero(dtype: type, beta1: float) -> None:
    rng = np.random.default_rng(3)
    n = 40
    sign = rng.choice([-1.0, 1.0], size=n)
    # m and g share each coordinate's sign, so sign(beta1*m + (1-beta1)*g) is known without the
    # formula; the four blocks are: both zero, only g zero, only m zero, neither zero.
    g = sign * rng.uniform(0.1, 2.0, size=n)
    m = sign * rng.uniform(0.1, 2.0, size=n)
    g[:10] = 0.0
    m[:10] = 0.0
    g[10:20] = 0.0
    m[20:30] = 0.0
    expected = sign.copy()
    expected[:10] = 0.0
    # Dyadic params and lr, so p - lr and p + lr are exact and the move can be read off exactly.
    lr = 2.0**-5
    p = rng.integers(-64, 64, size=n) / 8.0
    new_p, _ = ref.lion_step(
        p.astype(dtype), g.astype(dtype), m.astype(dtype), lr=lr, beta1=beta1, weight_decay=0.0
    )
    move = new_p.astype(np.float64) - p
    assert set(np.unique(np.abs(move))) <= {0.0, lr}
    np.testing.assert_array_equal(move, -lr * expected)


@pytest.mark.parametrize("readonly", [False, True], ids=["copies", "readonly"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(STEP_FUNCTIONS))
def test_inputs_are_never_modified(name: str, dtype: type, readonly: bool) -> None:
    arrays = _arrays(name, (3, 4), dtype, seed=4)
    copies = [a.copy() for a in arrays]
    if readonly:
        for a in arrays:
            a.flags.writeable = False
    current = list(arrays)
    for _ in range(3):  # also feed outputs back in, as a training loop does
        out = _call(name, current)
        for arg, a, c in zip(STEP_FUNCTIONS[name][1], arrays, copies, strict=True):
            np.testing.assert_array_equal(a, c, err_msg=f"{name} modified its {arg}")
        for o in out:
            assert not any(np.shares_memory(o, a) for a in current), "output aliases an input"
        current = [out[0], current[1], *out[1:]]


@pytest.mark.parametrize(
    ("dtype", "other"),
    [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)]
    + [(np.float64, np.float32)],
    ids=["float64", "float32", "float32-params-float64-rest", "float64-params-float32-rest"],
)
@pytest.mark.parametrize("name", list(STEP_FUNCTIONS))
def test_results_have_the_dtype_of_params(name: str, dtype: type, other: type) -> None:
    out = _call(name, _arrays(name, (5,), dtype, seed=5, state_dtype=other))
    assert len(out) == len(STEP_FUNCTIONS[name][1]) - 1
    assert [np.asarray(o).dtype for o in out] == [np.dtype(dtype)] * len(out)


@pytest.mark.parametrize("shape", [(), (2, 1, 3, 1, 2, 2)], ids=["0d", "6d"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(STEP_FUNCTIONS))
def test_any_shape_is_elementwise(name: str, dtype: type, shape: tuple[int, ...]) -> None:
    """A 0-d or 6-d input gives the same numbers as the same values laid out flat."""
    arrays = _arrays(name, shape, dtype, seed=6)
    out = _call(name, arrays)
    flat = _call(name, [a.reshape(-1) for a in arrays])
    for o, f in zip(out, flat, strict=True):
        assert np.shape(o) == shape
        assert np.asarray(o).dtype == dtype
        np.testing.assert_array_equal(np.reshape(o, -1), f)


@pytest.mark.parametrize("t", [0, -1])
@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_rejects_step_counter_below_one(name: str, t: int) -> None:
    fn, _, kwargs = STEP_FUNCTIONS[name]
    with pytest.raises(ValueError, match=r"\bt\b"):
        fn(*_arrays(name, (3,), np.float64), **{**kwargs, "t": t})
