"""Hidden tests for notebook 11: one training epoch, the accuracy, a torch optimizer's memory.

The references below are instructor-only (optimlab must not hold them). ``train_epoch`` shuffles
with ``optimlab.mnist_mlp.batch_indices`` and returns each batch's mean cross-entropy, taken
before that batch's step and detached; ``evaluate_accuracy`` counts correct argmax predictions
batch by batch under ``torch.no_grad()`` and divides by N once; ``torch_state_bytes`` adds
``numel() * element_size()`` over every tensor in ``optimizer.state`` (other values count 0).
The checks run on small CPU problems (a few hundred MNIST images, a small MLP), so each graded
cell takes well under a second; each ``check_*`` is one graded property and fails with a
``GradingFailure`` that names a known mistake when one reproduces the student's answer.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.kit.core import Mistake, call, close, describe, fail, fail_if_known_mistake, quiet
from optimlab.data import MNIST_MEAN, MNIST_STD, load_mnist
from optimlab.mnist_mlp import batch_indices, make_generator, make_mlp

# ------------------------------------------------------------------------------- references


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """Reference: one pass over (X, y) in shuffled batches; each batch's loss, before its step."""
    return _loop(model, optimizer, X, y, batch_size, generator)  # _loop's defaults: no mistake


def evaluate_accuracy(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 1000
) -> float:
    """Reference: the fraction of rows whose largest logit is at the true label."""
    correct = torch.zeros((), dtype=torch.int64, device=X.device)
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            logits = model(X[start : start + batch_size])
            correct += (logits.argmax(dim=1) == y[start : start + batch_size]).sum()
    return correct.item() / len(X)


def _bytes(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _tensors(states: Iterable[dict]) -> list[torch.Tensor]:
    """The tensors among the values of some per-parameter state dicts, in order."""
    return [v for state in states for v in state.values() if isinstance(v, torch.Tensor)]


def torch_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Reference: bytes held by the tensors in the optimizer's per-parameter state."""
    return _bytes(_tensors(optimizer.state.values()))


# ---------------------------------------------------------------------------- known mistakes


def _loop(*args, zero_grad=True, shuffle=True, drop_last=False, labels_in_order=False, **loss):
    """The reference epoch with one detail changed (the defaults give the reference)."""
    model, optimizer, X, y, batch_size, generator = args
    loss_fn = loss.get("loss_fn", F.cross_entropy)
    n = len(X)
    batches = (
        batch_indices(n, batch_size, generator) if shuffle else torch.arange(n).split(batch_size)
    )
    batches = list(batches)[: -1 if drop_last and n % batch_size else None]
    losses = []
    for number, idx in enumerate(batches):
        labels = y[number * batch_size :][: len(idx)] if labels_in_order else y[idx]
        loss = loss_fn(model(X[idx]), labels)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return torch.stack(losses)


def _mistake(name: str, advice: str, **changes: Any) -> Mistake:
    return Mistake(name, advice, lambda *args: _loop(*args, **changes))


TRAIN_MISTAKES = [
    _mistake(
        "no optimizer.zero_grad() (the gradients of every batch pile up)",
        "call optimizer.zero_grad() once per batch, before loss.backward(): PyTorch adds new "
        "gradients to the old ones",
        zero_grad=False,
    ),
    _mistake(
        "no shuffling (the batches in the data's order)",
        "take the batches from batch_indices(len(X), batch_size, generator): a new shuffled "
        "order every epoch",
        shuffle=False,
    ),
    _mistake(
        "images shuffled but labels taken in the original order",
        "index both with the same batch: X[idx] and y[idx]",
        labels_in_order=True,
    ),
    _mistake(
        "the loss summed over the batch instead of averaged (reduction='sum')",
        "use the mean loss over the batch (F.cross_entropy's default), so the step size does not "
        "grow with the batch size",
        loss_fn=lambda logits, labels: F.cross_entropy(logits, labels, reduction="sum"),
    ),
    _mistake(
        "softmax applied before cross_entropy",
        "F.cross_entropy takes the raw scores (logits) and applies log-softmax itself",
        loss_fn=lambda logits, labels: F.cross_entropy(logits.softmax(dim=1), labels),
    ),
    _mistake(
        "nll_loss on raw logits (no log_softmax)",
        "use F.cross_entropy(logits, labels), or F.nll_loss(F.log_softmax(logits, dim=1), labels)",
        loss_fn=lambda logits, labels: F.nll_loss(logits, labels),
    ),
    _mistake(
        "the last, smaller batch dropped",
        "keep every batch batch_indices gives, the last one too: every example is used once",
        drop_last=True,
    ),
]


def _evaluate_mistake(name: str, advice: str, combine: Callable[[list, int], float]) -> Mistake:
    """A wrong accuracy computed from the (correct, size) counts of each evaluation batch."""

    def compute(model, X, y, batch_size=1000):  # noqa: ANN001, ANN202
        with torch.no_grad():
            counts = [
                (int((model(xs).argmax(dim=1) == ys).sum()), len(xs))
                for xs, ys in zip(X.split(batch_size), y.split(batch_size), strict=True)
            ]
        return combine(counts, len(X))

    return Mistake(name, advice, compute)


EVALUATE_MISTAKES = [
    _evaluate_mistake(
        "a percentage (0-100) instead of a fraction",
        "the accuracy is a fraction between 0 and 1, not a percentage",
        lambda counts, n: 100.0 * sum(c for c, _ in counts) / n,
    ),
    _evaluate_mistake(
        "the error rate (wrong predictions) instead of the accuracy",
        "count the rows where argmax(logits) == label",
        lambda counts, n: 1.0 - sum(c for c, _ in counts) / n,
    ),
    _evaluate_mistake(
        "the mean of the per-batch accuracies (wrong when the last batch is smaller)",
        "add up the correct predictions over all batches and divide by N once at the end",
        lambda counts, n: sum(c / size for c, size in counts) / len(counts),
    ),
    _evaluate_mistake(
        "the number of correct predictions, not divided by N",
        "a count is not yet a fraction: relate it to the number of examples",
        lambda counts, n: float(sum(c for c, _ in counts)),
    ),
    _evaluate_mistake(
        "only the first batch evaluated",
        "loop over all batches: range(0, len(X), batch_size)",
        lambda counts, n: counts[0][0] / counts[0][1],
    ),
    _evaluate_mistake(
        "the last, smaller batch left out",
        "range(0, len(X), batch_size) also yields the start of the last, smaller batch",
        lambda counts, n: (
            sum(c for c, s in counts[:-1]) / max(1, sum(s for _, s in counts[:-1]))
            if counts[-1][1] != counts[0][1]
            else math.nan
        ),
    ),
]

STATE_BYTES_MISTAKES = [
    Mistake(
        "the number of elements, not bytes",
        "a tensor's size in bytes depends on its dtype as well as on its number of elements "
        "(element_size())",
        lambda opt: sum(v.numel() for v in _tensors(opt.state.values())),
    ),
    Mistake(
        "4 bytes assumed for every element",
        "use element_size(): float64 takes 8 bytes, float16 2, int64 8",
        lambda opt: sum(4 * v.numel() for v in _tensors(opt.state.values())),
    ),
    Mistake(
        "the parameters counted as well",
        "count only optimizer.state, the optimizer's own memory; the parameters belong to the "
        "model",
        lambda opt: (
            torch_state_bytes(opt) + _bytes(p for g in opt.param_groups for p in g["params"])
        ),
    ),
    Mistake(
        "0-d tensors (such as Adam's step counter) left out",
        "every tensor in the state counts, a 0-d one too (numel() is 1)",
        lambda opt: _bytes(v for v in _tensors(opt.state.values()) if v.dim() > 0),
    ),
    Mistake(
        "only the first parameter's state counted",
        "loop over every entry of optimizer.state (one per parameter)",
        lambda opt: _bytes(_tensors(list(opt.state.values())[:1])),
    ),
    Mistake(
        "only the first tensor of each parameter's state counted",
        "loop over every value in each parameter's state dict (Adam keeps several)",
        lambda opt: sum(_bytes(_tensors([s])[:1]) for s in opt.state.values()),
    ),
    Mistake(
        "only the parameters of the first group counted",
        "optimizer.state covers every group; loop over it rather than param_groups[0]",
        lambda opt: _bytes(_tensors(opt.state.get(p, {}) for p in opt.param_groups[0]["params"])),
    ),
]

# ---------------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=16)
def _subset(start: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = load_mnist(split="train")
    x = torch.tensor(images[start : start + size])
    return (x - MNIST_MEAN) / MNIST_STD, torch.tensor(labels[start : start + size])


def mnist_subset(start: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``size`` standardized MNIST training images from row ``start`` (fresh CPU tensors)."""
    # Cached in a function, not in module data: the grading kernel compares that data per test.
    x, y = _subset(start, size)
    return x.clone(), y.clone()


def _losses_array(result: Any, name: str, context: str, expected_batches: int) -> np.ndarray:
    """The student's per-batch losses as floats, after checking their structure."""
    if result is None:
        fail(
            f"{context}: `{name}` returned None.",
            hint="collect each batch's loss in a list and return torch.stack(losses) (or the list)",
        )
    if isinstance(result, (int, float)) or (isinstance(result, torch.Tensor) and result.dim() == 0):
        fail(
            f"{context}: `{name}` returned one number, {describe(result)}; expected one loss per "
            f"batch ({expected_batches} batches).",
            hint="append every batch's loss inside the loop and return them all",
        )
    if isinstance(result, torch.Tensor) and result.dim() != 1:
        fail(
            f"{context}: `{name}` returned a tensor of shape {tuple(result.shape)}; "
            "expected a 1-D tensor, one loss per batch."
        )
    if isinstance(result, np.ndarray):
        items = list(result.reshape(-1)) if result.ndim == 1 else [result]
    elif isinstance(result, (torch.Tensor, list, tuple)):
        items = list(result)
    else:
        fail(f"{context}: `{name}` returned {describe(result)}; expected a 1-D tensor of losses.")
    if any(isinstance(item, torch.Tensor) and item.requires_grad for item in items):
        fail(
            f"{context}: the losses `{name}` returned are still attached to autograd's graph "
            "(requires_grad=True), which keeps every batch's graph in memory.",
            hint="store loss.detach() (or loss.item()) for each batch",
        )
    try:
        return np.array(
            [float(i.item() if isinstance(i, torch.Tensor) else i) for i in items], dtype=float
        )
    except (TypeError, ValueError, RuntimeError):
        fail(f"{context}: `{name}` returned {describe(result)}; expected numbers (losses).")


def _params(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


LOSS_RTOL = 1e-4


def _all_close(got: Sequence[np.ndarray], want: Sequence[np.ndarray]) -> bool:
    """Every pair of arrays equal within LOSS_RTOL of the larger expected value."""
    return all(close(g, w, LOSS_RTOL, LOSS_RTOL * 1e-12) for g, w in zip(got, want, strict=True))


# ------------------------------------------------------------------------ checks: train_epoch


@dataclass
class _TrainCase:
    label: str
    n: int
    batch_size: int
    seed: int
    make_optimizer: Callable[[Any], torch.optim.Optimizer]
    epochs: int = 1
    sizes: tuple[int, ...] = (784, 32, 10)

    def __str__(self) -> str:
        return (
            f"train_epoch on {self.n} MNIST images, batch_size={self.batch_size}, "
            f"{self.label}, MLP {'-'.join(map(str, self.sizes))}"
            + (f", {self.epochs} epochs" if self.epochs > 1 else "")
        )


def _run_train(fn: Callable[..., Any], case: _TrainCase, student: bool) -> tuple[list, list]:
    """Each epoch's returned losses and the parameters after ``case.epochs`` epochs of ``fn``."""
    X, y = mnist_subset(2000, case.n)
    model = make_mlp(case.sizes, seed=case.seed)
    args = (model, case.make_optimizer(model.parameters()), X, y, case.batch_size)
    generator = make_generator(case.seed)
    results = []
    for _ in range(case.epochs):
        if student:
            results.append(call(fn, "train_epoch", *args, generator))
        else:
            with quiet():
                results.append(fn(*args, generator))
    return results, _params(model)


def _reproduced_by(mistake: Mistake) -> Mistake:
    """The mistake as a function of a case: its losses and final parameters."""

    def compute(case: _TrainCase) -> tuple[list, list]:
        losses, params = _run_train(mistake.compute, case, student=False)
        return [t.numpy().astype(float) for t in losses], params

    return Mistake(mistake.name, mistake.advice, compute)


def _check_train_case(fn: Callable[..., Any], case: _TrainCase, compare_params: bool) -> None:
    context = str(case)
    want, want_params = _run_train(train_epoch, case, student=False)
    got_raw, got_params = _run_train(fn, case, student=True)
    batches = math.ceil(case.n / case.batch_size)
    got = [_losses_array(r, "train_epoch", context, batches) for r in got_raw]
    want_np = [w.numpy().astype(float) for w in want]
    wrong_length = any(len(g) != batches for g in got)
    wrong_losses = not _all_close(got, want_np)
    if not (
        wrong_length or wrong_losses or (compare_params and not _all_close(got_params, want_params))
    ):
        return
    initial = _params(make_mlp(case.sizes, seed=case.seed))
    if all(np.array_equal(a, b) for a, b in zip(got_params, initial, strict=True)):
        fail(
            f"{context}: the model's parameters never changed.",
            hint="for each batch: optimizer.zero_grad(), loss.backward(), then optimizer.step() "
            "(clearing the gradients between backward() and step() leaves step() nothing to do)",
        )
    fail_if_known_mistake(
        context,
        [_reproduced_by(m) for m in TRAIN_MISTAKES],
        (case,),
        lambda guess: _all_close(got, guess[0]) and _all_close(got_params, guess[1]),
    )
    if wrong_length:
        g = next(g for g in got if len(g) != batches)
        fail(
            f"{context}: returned {len(g)} losses; expected {batches}, one per batch "
            f"(ceil({case.n} / {case.batch_size})).",
            hint="one loss per batch of batch_indices(len(X), batch_size, generator), the last, "
            "smaller batch included",
        )
    for epoch, (g, w) in enumerate(zip(got, want_np, strict=True)):
        if not _all_close([g], [w]):
            k = int(np.argmax(np.abs(g - w) > LOSS_RTOL * np.maximum(np.abs(w), 1e-12)))
            fail(
                f"{context}: the loss of batch {k + 1}"
                + (f" in epoch {epoch + 1}" if case.epochs > 1 else "")
                + f" is {g[k]:.6g}, expected {w[k]:.6g}.\n  expected losses: {describe(w)}"
                f"\n  got:             {describe(g)}",
                hint="record F.cross_entropy(model(X[idx]), y[idx]) for each batch, before "
                "that batch's optimizer.step()",
            )
    fail(
        f"{context}: the losses are right but the parameters after training are not.",
        hint="call optimizer.step() exactly once per batch, after loss.backward()",
    )


OPTIMIZERS = {
    "SGD(lr=0.1, momentum=0.9)": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam(lr=0.003)": lambda p: torch.optim.Adam(p, lr=0.003),
}


def check_train_epoch_losses(fn: Callable[..., Any]) -> None:
    """One loss per batch, each equal to the reference's (SGD with momentum and Adam)."""
    for label, make in OPTIMIZERS.items():
        _check_train_case(fn, _TrainCase(label, 300, 64, 11, make), compare_params=False)
    sgd = _TrainCase("SGD(lr=0.05)", 60, 7, 12, lambda p: torch.optim.SGD(p, lr=0.05))
    _check_train_case(fn, sgd, compare_params=False)


def check_train_epoch_updates(fn: Callable[..., Any]) -> None:
    """After two epochs the parameters equal the reference's; every batch updated them once."""
    for label, make in OPTIMIZERS.items():
        _check_train_case(fn, _TrainCase(label, 250, 50, 21, make, epochs=2), compare_params=True)
    adamw = _TrainCase("AdamW(lr=0.01)", 100, 100, 22, lambda p: torch.optim.AdamW(p, lr=0.01))
    _check_train_case(fn, adamw, compare_params=True)


class _Spy(nn.Module):
    """Wraps a model; records which rows of X each forward call saw and whether grad was on."""

    def __init__(self, inner: nn.Module, X: torch.Tensor) -> None:
        super().__init__()
        self.inner = inner
        self.rows = {X[i].numpy().tobytes(): i for i in range(len(X))}
        self.batches: list[list[int]] = []
        self.grad_enabled: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append([self.rows.get(r.detach().numpy().tobytes(), -1) for r in x])
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.inner(x)


ONE_CALL_PER_BATCH = (
    "loop over batch_indices(len(X), batch_size, generator) and call the model once per batch"
)


def check_train_epoch_contract(fn: Callable[..., Any]) -> None:
    """Batches from the given generator: each example once, reshuffled per epoch; X, y unchanged."""
    n, batch_size, seed = 90, 16, 31
    X, y = mnist_subset(4000, n)
    X_before, y_before = X.clone(), y.clone()
    per_epoch = math.ceil(n / batch_size)

    def run(global_seed: int) -> tuple[_Spy, list[np.ndarray]]:
        torch.manual_seed(global_seed)
        spy = _Spy(make_mlp((784, 16, 10), seed=seed), X)
        optimizer = torch.optim.SGD(spy.parameters(), lr=0.05)
        generator = make_generator(seed)
        out = [
            call(fn, "train_epoch", spy, optimizer, X, y, batch_size, generator) for _ in range(2)
        ]
        return spy, [_losses_array(o, "train_epoch", "train_epoch", per_epoch) for o in out]

    spy, losses = run(global_seed=1)
    context = f"train_epoch on {n} images, batch_size={batch_size}, two epochs"
    if not torch.equal(X, X_before) or not torch.equal(y, y_before):
        fail(
            f"{context}: X or y was changed.",
            hint="take batches with X[idx], y[idx]; never shuffle or modify the data in place",
        )
    batches = [b for b, grad in zip(spy.batches, spy.grad_enabled, strict=True) if grad]
    generator = make_generator(seed)
    expected = [idx.tolist() for _ in range(2) for idx in batch_indices(n, batch_size, generator)]
    if len(batches) != 2 * per_epoch:
        fail(
            f"{context}: the model was called on {len(batches)} batches in two epochs; expected "
            f"{2 * per_epoch} ({per_epoch} per epoch: ceil({n} / {batch_size}), the last, "
            "smaller batch included).",
            hint=ONE_CALL_PER_BATCH,
        )
    for epoch in range(2):
        seen = sorted(i for b in batches[epoch * per_epoch : (epoch + 1) * per_epoch] for i in b)
        if seen != list(range(n)):
            fail(
                f"{context}: in epoch {epoch + 1} the model saw {len(seen)} rows "
                f"({len(set(seen))} different); expected each of the {n} examples exactly once.",
                hint=ONE_CALL_PER_BATCH,
            )
    if batches == [list(range(s, min(s + batch_size, n))) for s in range(0, n, batch_size)] * 2:
        fail(
            f"{context}: the batches came in the data's order, not shuffled.",
            hint="use batch_indices(len(X), batch_size, generator)",
        )
    if batches[:per_epoch] == batches[per_epoch:]:
        fail(
            f"{context}: both epochs used the same batch order.",
            hint="shuffle inside train_epoch on every call (batch_indices draws a new order from "
            "the generator each time)",
        )
    spy_again, losses_again = run(global_seed=2)
    if spy_again.batches != spy.batches or not all(
        np.array_equal(a, b) for a, b in zip(losses, losses_again, strict=True)
    ):
        fail(
            f"{context}: two runs with generators of the same seed gave different batches or "
            "losses (the global random seed differed).",
            hint="draw the order from the generator passed in, batch_indices(len(X), batch_size, "
            "generator), not from torch.randperm(n) without it",
        )
    if batches != expected:
        fail(
            f"{context}: the batches are not those of batch_indices(len(X), batch_size, "
            "generator).",
            hint="call batch_indices once per epoch and use its index tensors in order",
        )


# ----------------------------------------------------------------------- checks: evaluation


_ACC_TOL = 1e-9


def _trained_model(seed: int) -> nn.Module:
    """A small MLP trained briefly, so that its accuracy is well away from 0, 1 and 0.1."""
    X, y = mnist_subset(0, 600)
    model = make_mlp((784, 24, 10), seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    train_epoch(model, optimizer, X, y, 100, make_generator(seed))
    return model


def _as_float(result: Any, context: str) -> float:
    if isinstance(result, torch.Tensor):
        fail(
            f"{context} returned a tensor, {describe(result)}; expected a Python float.",
            hint="turn the count into a number with .item() (once, at the end), then divide",
        )
    if isinstance(result, bool) or not isinstance(result, (int, float, np.integer, np.floating)):
        fail(f"{context} returned {describe(result)}; expected a float between 0 and 1.")
    return float(result)


def _check_evaluate_case(fn, model, X, y, batch_size, context) -> float:  # noqa: ANN001
    """The student's accuracy on one case (data and parameters untouched, the value right)."""
    want = evaluate_accuracy(model, X, y, batch_size)
    if isinstance(model, _Spy):
        model.batches.clear()
        model.grad_enabled.clear()
    X_before, y_before = X.clone(), y.clone()
    params_before = _params(model)
    got = _as_float(call(fn, "evaluate_accuracy", model, X, y, batch_size), context)
    if not torch.equal(X, X_before) or not torch.equal(y, y_before):
        fail(f"{context} changed X or y.", hint="only read the data")
    if not all(np.array_equal(a, b) for a, b in zip(params_before, _params(model), strict=True)):
        fail(f"{context} changed the model's parameters.", hint="evaluation only runs the model")
    if abs(got - want) <= _ACC_TOL:
        return got
    shown = f"{context} returned {got:.6g}, expected {want:.6g}"
    fail_if_known_mistake(
        shown,
        EVALUATE_MISTAKES,
        (model, X, y, batch_size),
        lambda guess: not math.isnan(guess) and abs(got - guess) <= _ACC_TOL,
    )
    fail(
        f"{shown}.",
        hint="accuracy = (number of rows with argmax(logits, dim=1) == y) / len(X)",
    )
    return got


def check_evaluate_values(fn: Callable[..., Any]) -> None:
    """The reference's accuracy on trained models, for batch sizes that do and do not divide N."""
    X, y = mnist_subset(10000, 700)
    for seed, batch_size in ((41, 128), (42, 700), (43, 100), (44, 1000), (45, 3)):
        context = (
            f"evaluate_accuracy(model, X, y, batch_size={batch_size}) on {len(X)} MNIST images"
        )
        _check_evaluate_case(fn, _trained_model(seed), X, y, batch_size, context)


def check_evaluate_batches(fn: Callable[..., Any]) -> None:
    """Runs under torch.no_grad(), in batches of at most batch_size rows, each row once."""
    X, y = mnist_subset(12000, 130)
    model = _Spy(_trained_model(46), X)
    context = f"evaluate_accuracy(model, X, y, batch_size=32) on {len(X)} images"
    _check_evaluate_case(fn, model, X, y, 32, context)
    if any(model.grad_enabled):
        fail(
            f"{context}: the model ran with gradients enabled, so autograd recorded a graph it "
            "never needed.",
            hint="wrap the loop in `with torch.no_grad():`",
        )
    sizes = [len(b) for b in model.batches]
    if max(sizes) > 32:
        fail(
            f"{context}: the model was called on {max(sizes)} rows at once.",
            hint="evaluate in slices of batch_size rows: X[start:start + batch_size]",
        )
    seen = sorted(i for b in model.batches for i in b)
    if seen != list(range(len(X))):
        fail(f"{context}: the model did not see every row exactly once ({len(seen)} rows seen).")


class _FixedScores(nn.Module):
    """Returns fixed logits for the rows it is given (X holds row numbers in column 0)."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[x[:, 0].long()] + 0 * self.dummy


def check_evaluate_edge_cases(fn: Callable[..., Any]) -> None:
    """All right gives 1.0, all wrong 0.0, one example, batch_size larger than N and of 1."""
    rng = np.random.default_rng(5)
    n = 37
    labels = torch.from_numpy(rng.integers(0, 10, n))
    X = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 3)
    perfect = F.one_hot(labels, 10).float() * 5 + torch.from_numpy(rng.random((n, 10))).float()
    cases = [
        ("every prediction right", perfect, labels, 8, 1.0),
        ("every prediction wrong", -perfect, labels, 8, 0.0),
        ("batch_size larger than N", perfect, labels, 1000, 1.0),
        ("batch_size=1", perfect, (labels + (torch.arange(n) % 3 == 0)) % 10, 1, None),
        ("a single example", perfect[:1], labels[:1], 10, 1.0),
    ]
    for what, logits, target, batch_size, expected in cases:
        model, x = _FixedScores(logits), X[: len(target)]
        context = (
            f"evaluate_accuracy on fixed scores ({what}, N={len(target)}, batch_size={batch_size})"
        )
        got = _check_evaluate_case(fn, model, x, target, batch_size, context)
        if expected is not None and got != expected:
            fail(f"{context} returned {got}, expected {expected}.")


# ------------------------------------------------------------------ checks: state in bytes


def _check_bytes_case(fn: Callable[..., Any], optimizer: Any, context: str) -> None:
    want = torch_state_bytes(optimizer)
    got = call(fn, "torch_state_bytes", optimizer)
    if isinstance(got, torch.Tensor) and got.dim() == 0 and not got.is_floating_point():
        got = int(got.item())
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        if isinstance(got, float) and got.is_integer():
            fail(
                f"{context}: returned the float {got!r}; expected an int.",
                hint="numel() and element_size() are ints: add them up with sum(...)",
            )
        fail(f"{context}: returned {describe(got)}; expected an int (a number of bytes).")
    got = int(got)
    if got == want:
        return
    shown = f"{context}: returned {got}, expected {want}"
    fail_if_known_mistake(shown, STATE_BYTES_MISTAKES, (optimizer,), lambda g: got == int(g))
    fail(
        f"{shown} bytes.",
        hint="add numel() * element_size() over every tensor in every entry of optimizer.state",
    )


def _zero_parameters(*specs: Any) -> list[nn.Parameter]:
    """Zero parameters, one per spec: a shape tuple, or (shape, dtype) for another dtype."""
    return [
        nn.Parameter(
            torch.zeros(s[0], dtype=s[1]) if isinstance(s[-1], torch.dtype) else torch.zeros(s)
        )
        for s in specs
    ]


def _stepped(params: Sequence[torch.Tensor], optimizer: Any, steps: int = 2, skip: int = 0) -> Any:
    for _ in range(steps):
        for i, p in enumerate(params):
            p.grad = None if i < skip else torch.ones_like(p)
        with quiet():
            optimizer.step()
    return optimizer


def check_state_bytes_library(fn: Callable[..., Any]) -> None:
    """torch.optim's and lion-pytorch's optimizers on float32 and float64 parameters."""
    from lion_pytorch import Lion

    factories = {
        "SGD without momentum": lambda ps: torch.optim.SGD(ps, lr=0.1),
        "SGD with momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=0.01),
        "Adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
        "AdamW": lambda ps: torch.optim.AdamW(ps, lr=0.01),
        "Adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.01),
        "Lion (lion-pytorch)": lambda ps: Lion(ps, lr=0.001),
    }
    for label, make in factories.items():
        params = _zero_parameters((5, 3), (7, torch.float64), ((), torch.float64))
        optimizer = make(params)
        _check_bytes_case(fn, optimizer, f"torch_state_bytes({label}) before any step")
        _stepped(params, optimizer)
        after = "after 2 steps on float32[5, 3], float64[7], float64[] parameters"
        _check_bytes_case(fn, optimizer, f"torch_state_bytes({label}) {after}")


def check_state_bytes_custom(fn: Callable[..., Any]) -> None:
    """Tensors of every dtype (float16, bool, int64, 0-d) count; ints, floats and None do not."""
    params = _zero_parameters((4, 2), (3, torch.float64), (6,))
    optimizer = torch.optim.SGD(params, lr=0.1)
    _check_bytes_case(fn, optimizer, "torch_state_bytes(a custom optimizer) before any step")
    for p in params[1:]:  # the state a custom optimizer keeps; the first parameter has none
        optimizer.state[p] = {
            "count": 2,
            "note": None,
            "scale": 1.5,
            "half": torch.zeros(p.shape, dtype=torch.float16),
            "mask": torch.zeros(p.shape, dtype=torch.bool),
            "index": torch.zeros(3, dtype=torch.int64),
            "step": torch.full((), 2.0),
        }
    _check_bytes_case(
        fn,
        optimizer,
        "torch_state_bytes(a custom optimizer whose state holds float16, bool, int64 and 0-d "
        "tensors besides an int, a float and None; one parameter never had a gradient)",
    )


def check_state_bytes_groups(fn: Callable[..., Any]) -> None:
    """Several parameter groups, a parameter without gradients, the course's MLP with Adam."""
    model = make_mlp((784, 64, 10), seed=3)
    params = list(model.parameters())
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.1}]
    optimizer = torch.optim.Adam(groups, lr=0.01)
    x, y = mnist_subset(0, 64)
    for _ in range(2):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    _check_bytes_case(fn, optimizer, "torch_state_bytes(Adam with two parameter groups)")
    params = _zero_parameters((10,), (20,), (30, torch.float64))
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.5}]
    optimizer = torch.optim.RMSprop(groups, lr=0.01)
    _stepped(params, optimizer, skip=1)
    _check_bytes_case(
        fn,
        optimizer,
        "torch_state_bytes(RMSprop with two groups; one parameter never had a gradient)",
    )
