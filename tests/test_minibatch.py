"""Notebook 02's hidden tests: right answers pass, known mistakes are named, bad ones explained."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from autograder.hidden import nb02_minibatch_sgd as mb
from autograder.kit.core import GradingFailure

INDEX_CHECKS = [
    mb.check_indices_partition,
    mb.check_indices_shuffled,
    mb.check_indices_reshuffled,
    mb.check_indices_reproducible,
]
GRADIENT_CHECKS = [
    mb.check_gradient_random,
    mb.check_gradient_edge_cases,
    mb.check_gradient_inputs_unchanged,
]
EPOCH_CHECKS = [
    mb.check_epoch_random,
    mb.check_epoch_rng,
    mb.check_epoch_edge_cases,
    mb.check_epoch_inputs_unchanged,
]


# --- the references pass, and so do other right answers ------------------------------------------


@pytest.mark.parametrize("check", INDEX_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "fn",
    [
        mb.minibatch_indices,
        # other correct ways: shuffle in place, choice without replacement, lists of ints
        lambda n, bs, rng: np.split(_shuffled(n, rng), range(bs, n, bs)),
        lambda n, bs, rng: [
            p[i : i + bs] for p in [rng.choice(n, size=n, replace=False)] for i in range(0, n, bs)
        ],
        lambda n, bs, rng: [list(b) for b in mb.minibatch_indices(n, bs, rng)],
    ],
    ids=["reference", "shuffle+split", "choice", "lists"],
)
def test_right_answers_pass_index_checks(check, fn) -> None:
    check(fn)


def _shuffled(n: int, rng: np.random.Generator) -> np.ndarray:
    order = np.arange(n)
    rng.shuffle(order)
    return order


@pytest.mark.parametrize("check", GRADIENT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "fn",
    [
        mb.linear_gradient,
        lambda w, b, X, y: (
            ((X @ w + b - y)[:, None] * X).mean(axis=0),
            float(np.mean(X @ w + b - y)),
        ),
    ],
    ids=["reference", "broadcast-mean"],
)
def test_right_answers_pass_gradient_checks(check, fn) -> None:
    check(fn)


@pytest.mark.parametrize("check", EPOCH_CHECKS, ids=lambda c: c.__name__)
def test_reference_passes_epoch_checks(check) -> None:
    check(mb.train_epoch)


# --- minibatch_indices: each known mistake is caught and named ------------------------------------


def _in_order(n, bs, rng):
    return [np.arange(s, min(s + bs, n)) for s in range(0, n, bs)]


def _drop_last(n, bs, rng):
    order = rng.permutation(n)
    return [order[s : s + bs] for s in range(0, n - bs + 1, bs)]


def _with_replacement(n, bs, rng):
    order = rng.integers(0, n, size=n)
    return [order[s : s + bs] for s in range(0, n, bs)]


def _empty_last(n, bs, rng):
    order = rng.permutation(n)
    return [order[k * bs : (k + 1) * bs] for k in range(n // bs + 1)]


def _array_split(n, bs, rng):
    return np.array_split(rng.permutation(n), -(-n // bs))


def _fixed_seed(n, bs, rng):
    return mb.minibatch_indices(n, bs, np.random.default_rng(0))


def _global_state(n, bs, rng):
    order = np.random.permutation(n)
    return [order[s : s + bs] for s in range(0, n, bs)]


def _global_reseeded(n, bs, rng):
    np.random.seed(0)
    return _global_state(n, bs, rng)


def _unseeded(n, bs, rng):
    return mb.minibatch_indices(n, bs, np.random.default_rng())


_CACHE: dict = {}


def _shuffled_once(n, bs, rng):
    if (n, bs) not in _CACHE:
        _CACHE[(n, bs)] = mb.minibatch_indices(n, bs, rng)
    return _CACHE[(n, bs)]


def _blocks_shuffled(n, bs, rng):
    blocks = _in_order(n, bs, rng)
    return [blocks[k] for k in rng.permutation(len(blocks))]


def _inside_batches(n, bs, rng):
    return [rng.permutation(b) for b in _in_order(n, bs, rng)]


def _rolled(n, bs, rng):
    order = np.roll(np.arange(n), int(rng.integers(n)))
    return [order[s : s + bs] for s in range(0, n, bs)]


def _few_swaps(n, bs, rng):
    order = np.arange(n)
    for _ in range(3):
        i, j = rng.integers(n, size=2)
        order[[i, j]] = order[[j, i]]
    return [order[s : s + bs] for s in range(0, n, bs)]


def _extra_global_draw(n, bs, rng):
    np.random.shuffle(np.arange(3))  # a stray draw from the global state
    return mb.minibatch_indices(n, bs, rng)


INDEX_MISTAKES = [
    (_in_order, mb.check_indices_shuffled, "no shuffle"),
    (_drop_last, mb.check_indices_partition, "last partial batch dropped"),
    (_with_replacement, mb.check_indices_partition, "sampling with replacement"),
    (_empty_last, mb.check_indices_partition, "an empty batch"),
    (_array_split, mb.check_indices_partition, "np.array_split"),
    (_fixed_seed, mb.check_indices_reshuffled, "a new generator with a fixed seed made inside"),
    (_fixed_seed, mb.check_indices_reproducible, "ignores rng"),
    (_global_state, mb.check_indices_reproducible, "global random state"),
    (_global_reseeded, mb.check_indices_reshuffled, "reseeding NumPy's global random state"),
    (_unseeded, mb.check_indices_reproducible, "randomness from outside rng"),
    (_shuffled_once, mb.check_indices_reshuffled, "the same order every epoch"),
    (_blocks_shuffled, mb.check_indices_shuffled, "only the batches"),
    (_inside_batches, mb.check_indices_shuffled, "only the batches"),
    (_rolled, mb.check_indices_shuffled, "only the batches|not a uniformly random order"),
    (_few_swaps, mb.check_indices_shuffled, "not a uniformly random order"),
    (_extra_global_draw, mb.check_indices_reproducible, "global random state"),
]


@pytest.mark.parametrize(
    "fn, check, name",
    INDEX_MISTAKES,
    ids=[f"{f.__name__}-{c.__name__}" for f, c, _ in INDEX_MISTAKES],
)
def test_index_mistakes_are_named(fn, check, name: str) -> None:
    _CACHE.clear()
    with pytest.raises(GradingFailure, match=name) as failure:
        check(fn)
    assert "Hint:" in str(failure.value)


def test_index_checks_leave_the_global_random_state_alone() -> None:
    np.random.seed(7)
    state = np.random.get_state()
    for check in INDEX_CHECKS:
        with contextlib.suppress(GradingFailure):
            check(_global_reseeded)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2]


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda n, bs, rng: rng.permutation(n).reshape(-1, 1), "list of 1-D integer arrays"),
        (lambda n, bs, rng: (b for b in mb.minibatch_indices(n, bs, rng)), "list of 1-D"),
        (lambda n, bs, rng: [rng.random(bs)], "integers"),
        (lambda n, bs, rng: [rng.permutation(n) + 1], "indices must lie in 0"),
        (lambda n, bs, rng: [rng.permutation(n)[:, None]], "1-D array"),
        (lambda n, bs, rng: 1 / 0, "raised ZeroDivisionError"),
        ("not a function", "should be a function"),
    ],
    ids=["2-D array", "generator", "floats", "one-based", "column", "raises", "not-callable"],
)
def test_bad_index_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        mb.check_indices_partition(bad)


# --- linear_gradient ------------------------------------------------------------------------------


@pytest.mark.parametrize("mistake", mb.GRADIENT_MISTAKES, ids=lambda m: m.name[:40])
def test_gradient_mistakes_are_named(mistake) -> None:
    with pytest.raises(GradingFailure) as failure:
        mb.check_gradient_random(mistake.compute)
    text = str(failure.value)
    # X @ r only runs on square batches; elsewhere it raises, and the hint says why.
    if "X not transposed" in mistake.name:
        assert "one weight gradient per feature" in text, text
    else:
        assert f"known mistake, {mistake.name}" in text, text
    assert "Hint:" in text


def test_transposed_x_is_named_on_a_square_batch() -> None:
    def transposed(w, b, X, y):
        r = X @ w + b - y
        return (X @ r) / len(y), r.mean()

    rng = np.random.default_rng(0)
    w, b, X, y = mb._problem(rng, 5, 5)
    with pytest.raises(GradingFailure, match="X not transposed"):
        mb._gradient_case(transposed, w, b, X, y, "a square batch")
    with pytest.raises(GradingFailure, match=r"raised ValueError(.|\n)*Hint: X has shape \(B, d\)"):
        mb.check_gradient_random(transposed)


def test_float32_gradient_upcast_is_reported() -> None:
    with pytest.raises(GradingFailure, match="grad_w came back as float64"):
        mb.check_gradient_edge_cases(
            lambda w, b, X, y: tuple(np.float64(1.0) * g for g in mb.linear_gradient(w, b, X, y))
        )


def test_gradient_in_place_is_caught() -> None:
    def in_place(w, b, X, y):
        y -= X @ w + b
        return -(X.T @ y) / len(y), -y.mean()

    with pytest.raises(GradingFailure, match="changed its input `y` in place"):
        mb.check_gradient_inputs_unchanged(in_place)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda w, b, X, y: mb.linear_gradient(w, b, X, y)[0], "expected a tuple"),
        (lambda w, b, X, y: (list(mb.linear_gradient(w, b, X, y)[0]), 0.0), "NumPy array"),
        (lambda w, b, X, y: (mb.linear_gradient(w, b, X, y)[0], X @ w + b - y), "single number"),
        (lambda w, b, X, y: (w * np.nan, 0.0), "NaN"),
        (lambda w, b, X, y: (w[:, None], 0.0), "shape"),
        (lambda w, b, X, y: (w * 0 + 1, 1.0), "grad_w is wrong"),
    ],
    ids=["one-array", "list", "vector-bias", "nan", "column", "wrong"],
)
def test_bad_gradient_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        mb.check_gradient_random(bad)


# --- train_epoch ----------------------------------------------------------------------------------


def _as_student(source: str, **helpers) -> object:
    """Define a function in its own namespace, as a notebook does, with the given helpers."""
    namespace = {"np": np, **helpers}
    exec(source, namespace)  # noqa: S102 - test fixture
    return namespace["train_epoch"]


STUDENT_EPOCH = """
def train_epoch(w, b, X, y, lr, batch_size, rng):
    losses = []
    for batch in minibatch_indices(len(y), batch_size, rng):
        losses.append(linear_loss(w, b, X[batch], y[batch]))
        grad_w, grad_b = linear_gradient(w, b, X[batch], y[batch])
        w = w - lr * grad_w
        b = b - lr * grad_b
    return w, b, np.array(losses)
"""


@pytest.mark.parametrize("mistake", mb.EPOCH_MISTAKES, ids=lambda m: m.name[:40])
def test_epoch_mistakes_are_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        mb.check_epoch_random(mistake.compute)
    assert mistake.name in str(failure.value), str(failure.value)
    assert "Hint:" in str(failure.value)


def test_epoch_is_graded_with_the_reference_helpers() -> None:
    wrong = {
        "minibatch_indices": lambda n, bs, rng: [np.arange(n)],  # one unshuffled batch
        "linear_gradient": lambda w, b, X, y: (w * 0, 0.0),  # no gradient at all
        "linear_loss": lambda w, b, X, y: 42.0,
    }
    fn = _as_student(STUDENT_EPOCH, **wrong)
    for check in EPOCH_CHECKS:
        check(fn)
    assert fn.__globals__["linear_loss"](None, None, None, None) == 42.0  # restored afterwards


def test_helpers_are_restored_when_the_epoch_raises() -> None:
    fn = _as_student(
        "def train_epoch(w, b, X, y, lr, batch_size, rng):\n    raise RuntimeError('boom')\n",
        minibatch_indices="student's",
    )
    with pytest.raises(GradingFailure, match="RuntimeError: boom"):
        mb.check_epoch_random(fn)
    assert fn.__globals__["minibatch_indices"] == "student's"


def test_epoch_rng_mistakes_are_caught() -> None:
    own_generator = _as_student(
        STUDENT_EPOCH.replace(
            "batch_size, rng):\n", "batch_size, rng):\n    rng = np.random.default_rng(0)\n", 1
        ),
        minibatch_indices=mb.minibatch_indices,
        linear_loss=mb.linear_loss,
        linear_gradient=mb.linear_gradient,
    )
    with pytest.raises(GradingFailure, match="never drew from rng"):
        mb.check_epoch_rng(own_generator)
    twice = _as_student(
        STUDENT_EPOCH.replace(
            "    losses = []", "    losses = []\n    minibatch_indices(len(y), batch_size, rng)"
        ),
        minibatch_indices=mb.minibatch_indices,
        linear_loss=mb.linear_loss,
        linear_gradient=mb.linear_gradient,
    )
    with pytest.raises(GradingFailure, match="more \\(or less\\)"):
        mb.check_epoch_rng(twice)


def test_epoch_in_place_update_is_caught() -> None:
    in_place = _as_student(
        STUDENT_EPOCH.replace("w = w - lr * grad_w", "w -= lr * grad_w"),
        minibatch_indices=mb.minibatch_indices,
        linear_loss=mb.linear_loss,
        linear_gradient=mb.linear_gradient,
    )
    mb.check_epoch_random(in_place)  # right values: the caller's copies are what changed
    with pytest.raises(GradingFailure, match="changed its input `w` in place"):
        mb.check_epoch_inputs_unchanged(in_place)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda *a: mb.train_epoch(*a)[:2], "expected a tuple"),
        (
            lambda *a: (*mb.train_epoch(*a)[:2], float(np.mean(mb.train_epoch(*a)[2]))),
            "one loss per",
        ),
        (lambda *a: (list(mb.train_epoch(*a)[0]), *mb.train_epoch(*a)[1:]), "new_w"),
        (lambda *a: (mb.train_epoch(*a)[0], np.ones(1), mb.train_epoch(*a)[2]), "new_b"),
    ],
    ids=["two-outputs", "mean-loss", "list-w", "array-b"],
)
def test_bad_epoch_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        mb.check_epoch_random(bad)


def test_noisy_right_answers_write_nothing_to_stderr(capfd) -> None:
    import warnings

    def chatty(*args):
        print("debug" * 50)
        warnings.warn("student warning", stacklevel=1)
        return mb.minibatch_indices(*args)

    for check in INDEX_CHECKS:
        check(chatty)
    assert capfd.readouterr().err == ""


def test_stub_errors_pass_through_unchanged() -> None:
    def stub(*args):
        raise NotImplementedError()

    for check in INDEX_CHECKS + GRADIENT_CHECKS + EPOCH_CHECKS:
        with pytest.raises(NotImplementedError):
            check(stub)


# --- minibatch_gradient_noise: right derivations pass, each known mistake is named ---------------
NOISE_CHECKS = [mb.check_noise_values, mb.check_noise_edge_cases]


def _spread(grads) -> float:
    grads = np.asarray(grads, dtype=float).reshape(len(grads), -1)
    return float(np.sum(np.var(grads, axis=0)))


@pytest.mark.parametrize("check", NOISE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "fn",
    [
        lambda g, bs: _spread(g) / bs * (len(g) - bs) / (len(g) - 1),
        # the sample variance with the factor 1 - B/N: the same number
        lambda g, bs: (
            float(np.sum(np.var(np.asarray(g, float), axis=0, ddof=1))) / bs * (1 - bs / len(g))
        ),
    ],
    ids=["population", "sample-variance"],
)
def test_right_answers_pass_noise_checks(check, fn) -> None:
    check(fn)


@pytest.mark.parametrize(
    ("wrong", "mistake"),
    [
        (lambda g, bs: _spread(g) / bs, "with replacement"),
        (lambda g, bs: _spread(g) / bs * (len(g) - bs) / len(g), r"\(N - B\) / N"),
        (
            lambda g, bs: np.mean(np.sum(np.square(g), axis=1)) / bs * (len(g) - bs) / (len(g) - 1),
            "around zero",
        ),
        (lambda g, bs: np.sqrt(_spread(g) / bs * (len(g) - bs) / (len(g) - 1)), "root"),
        (
            lambda g, bs: float(np.mean(np.var(g, axis=0))) / bs * (len(g) - bs) / (len(g) - 1),
            "averaged over the coordinates",
        ),
    ],
    ids=["with-replacement", "N", "around-zero", "root", "coordinate-mean"],
)
def test_noise_mistakes_are_named(wrong, mistake: str) -> None:
    with pytest.raises(GradingFailure, match=f"known mistake.*{mistake}"):
        mb.check_noise_values(wrong)
