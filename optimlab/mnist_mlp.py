"""The MNIST experiments' shared parts: the MLP, the data on the device, and the run harness.

What is here (none of it is graded; the notebooks grade what you write around it):

- ``ARCHITECTURE``, ``make_mlp()``: the course's MLP, 784-256-128-10 with ReLU, whose initial
  weights come from a seed only, identical on every device and in every run;
- ``load_mnist_on_device()``: MNIST standardized and moved to the device once, as tensors, so
  training never copies a batch from host memory or waits for a DataLoader worker; the training
  file is split once, the same way everywhere, into 50,000 training and 10,000 validation images
  (``VALIDATION_SIZE``), and MNIST's own 10,000 test images are kept apart;
- ``make_optimizer()``: a registry optimizer in torch's fastest exact implementation (fused or
  foreach), the one the showdown and its benchmark train with;
- ``make_generator()``, ``batch_indices()``: shuffling *on the device* from a seeded
  ``torch.Generator``, reproducible and independent of the global random state;
- ``fast_mode()``: the ``FAST`` switch (environment variable ``OPTIMLAB_FAST``) that shortens runs;
- ``run_training()``: calls *your* epoch and evaluation functions for a number of epochs, with a
  progress bar, and records losses, **validation** accuracy and honest timings (GPU work is waited
  for); it never reads the test set. ``final_test_accuracy()`` is the one, separate way to read it;
- ``smooth()``, ``time_to_accuracy()``, ``progress()``: small helpers for plots and tables.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .data import MNIST_MEAN, MNIST_STD, load_mnist
from .device import adapt_cpu_threads, synchronize

__all__ = [
    "ARCHITECTURE",
    "FAST_ENV",
    "MNISTOnDevice",
    "announce_work",
    "RunResult",
    "batch_indices",
    "VALIDATION_SIZE",
    "count_parameters",
    "fast_mode",
    "final_test_accuracy",
    "load_mnist_on_device",
    "losses_to_numpy",
    "plot_runs",
    "make_generator",
    "make_mlp",
    "make_optimizer",
    "progress",
    "run_training",
    "smooth",
    "time_to_accuracy",
]

# The course's MLP: 784 pixels in, two hidden ReLU layers of 256 and 128 units, 10 class scores out.
ARCHITECTURE: tuple[int, ...] = (784, 256, 128, 10)
FAST_ENV = "OPTIMLAB_FAST"
# The validation split: the LAST 10,000 images of MNIST's 60,000-image training file. It is a fixed
# block, not a random draw, so that every notebook, every seed and every run tunes on the same
# images, and no choice of split can itself be tuned. Training uses the first 50,000 (or fewer).
VALIDATION_SIZE = 10_000
STATIC_ENV = "OPTIMLAB_STATIC"


# ------------------------------------------------------------------------------ the FAST switch


def fast_mode(device: torch.device | str | None = None, default: bool | None = None) -> bool:
    """Whether to run the short ("fast") versions of the experiments.

    The environment variable ``OPTIMLAB_FAST`` decides when it is set (``1`` fast, ``0`` full):
    grading and the course's tests set it to 1. Otherwise ``default`` decides; without one, runs
    are short on a CPU and full on a GPU (``device``).
    """
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value:
        return value not in ("0", "false", "no", "off")
    if default is not None:
        return bool(default)
    return device is None or torch.device(device).type == "cpu"


# ------------------------------------------------------------------------------------ the model


def make_mlp(
    sizes: Sequence[int] = ARCHITECTURE,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> nn.Sequential:
    """A fully connected ReLU network with the given layer sizes and seeded initial weights.

    Every weight and bias is drawn uniformly from [-1/sqrt(fan_in), 1/sqrt(fan_in)], the same
    distribution as ``nn.Linear``'s default, but from a private ``torch.Generator`` seeded with
    ``seed``: the same seed gives the same network on every device, and the global random state
    is left alone. The input is a batch of flattened images, shape (batch, sizes[0]).
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=dtype)
        bound = 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            for tensor in (linear.weight, linear.bias):
                draw = torch.rand(tensor.shape, generator=generator, dtype=torch.float64)
                tensor.copy_(draw.mul_(2 * bound).sub_(bound))
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    return model.to(device) if device is not None else model


def make_optimizer(info: Any, params: Iterable[torch.Tensor], **hyper: float) -> Any:
    """The registry's library optimizer (``info.make_torch``) in torch's fastest implementation.

    Where torch has a fused kernel for it (SGD, Adam, AdamW; on the CPU too) it is rebuilt with
    the same hyperparameters and ``fused=True``: one kernel updates every parameter tensor in one
    pass. Otherwise it keeps ``foreach=True`` (one call per operation for all tensors) where it has
    that switch. The update formulas are the same: only the Python calls and the passes over memory
    per step shrink. ``hyper`` uses the course's names (``lr``, ``beta``, ...).
    """
    params = list(params)
    optimizer = info.make_torch(params, foreach=True, **hyper)
    accepts = inspect.signature(type(optimizer)).parameters
    if "fused" in accepts and not optimizer.defaults.get("differentiable"):
        # the same hyperparameters (those the constructor takes: AdamW's defaults hold more)
        settings = {k: v for k, v in optimizer.defaults.items() if k in accepts}
        try:
            return type(optimizer)(params, **{**settings, "foreach": None, "fused": True})
        except (RuntimeError, TypeError, ValueError):  # no fused kernel for this device or dtype
            pass
    return optimizer


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ------------------------------------------------------------------------------ data on device


@dataclass(frozen=True)
class MNISTOnDevice:
    """MNIST as standardized float32 tensors on one device: images (N, 784), labels (N,) int64.

    ``x_train``/``y_train`` train; ``x_val``/``y_val`` (images the training never sees) choose
    learning rates, schedules, batch sizes and epochs; ``x_test``/``y_test`` are read once, at the
    end, through ``final_test_accuracy()``.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self._tensors())

    def _tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test)

    def __repr__(self) -> str:
        return (
            f"MNISTOnDevice(train={tuple(self.x_train.shape)}, val={tuple(self.x_val.shape)}, "
            f"test={tuple(self.x_test.shape)}, device={self.device}, "
            f"{self.nbytes / 2**20:.0f} MiB)"
        )


def load_mnist_on_device(
    device: torch.device | str,
    *,
    train_size: int | None = None,
    val_size: int | None = None,
    test_size: int | None = None,
) -> MNISTOnDevice:
    """Load MNIST once, standardize it ((x - mean) / std) and keep it on ``device``.

    The training file's first 50,000 images train and its last ``VALIDATION_SIZE`` (10,000)
    validate; the test file is the test set. ``train_size``, ``val_size`` and ``test_size`` keep
    only the first images of each part (the FAST runs train on fewer images); the parts never
    overlap, whatever the sizes. The images travel to the device as bytes and are converted there.
    """

    def part(
        images: torch.Tensor, labels: torch.Tensor, size: int | None, name: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if size is not None:
            if not 0 < size <= len(images):
                raise ValueError(f"{name}_size must be between 1 and {len(images)}, got {size}")
            images, labels = images[:size], labels[:size]
        images = images.clone().sub_(MNIST_MEAN).div_(MNIST_STD)
        return images, labels.clone()

    images, labels = load_mnist(split="train", as_tensors=True, device=device)
    cut = len(images) - VALIDATION_SIZE
    x_train, y_train = part(images[:cut], labels[:cut], train_size, "train")
    x_val, y_val = part(images[cut:], labels[cut:], val_size, "val")
    images, labels = load_mnist(split="test", as_tensors=True, device=device)
    x_test, y_test = part(images, labels, test_size, "test")
    return MNISTOnDevice(x_train, y_train, x_val, y_val, x_test, y_test)


# ----------------------------------------------------------------------- shuffling on the device


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device``, seeded: the source of every shuffle in a run.

    Random numbers for a GPU tensor must come from a generator on that GPU, so shuffling happens
    where the data is, with no copy to or from the host.
    """
    device = torch.device(device)
    generator = torch.Generator(device=device) if device.type != "cpu" else torch.Generator()
    return generator.manual_seed(seed)


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """Shuffle 0..n-1 with ``generator`` and cut the order into batches of ``batch_size``.

    Every index appears exactly once; the last batch is smaller when ``batch_size`` does not
    divide ``n``. The index tensors live on the generator's device, so ``X[idx]`` gathers a batch
    without leaving the device. Each call draws a new order from the generator.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = torch.randperm(n, generator=generator, device=generator.device)
    return list(order.split(batch_size))


# ------------------------------------------------------------------------------- run harness


def progress(iterable: Iterable[Any], **kwargs: Any) -> Iterable[Any]:
    """A tqdm progress bar: a widget in JupyterLab, a plain text bar in headless runs."""
    if os.environ.get(STATIC_ENV) or os.environ.get("NBGRADER_EXECUTION"):
        from tqdm import tqdm

        kwargs.setdefault("mininterval", 2.0)
        kwargs.setdefault("file", sys.stderr)
        return tqdm(iterable, **kwargs)
    from tqdm.auto import tqdm as auto_tqdm

    return auto_tqdm(iterable, **kwargs)


def losses_to_numpy(losses: Any) -> np.ndarray:
    """Per-batch losses (a tensor, a list of tensors or of floats) as a 1-D float64 array."""
    if losses is None:
        raise TypeError(
            "expected the per-batch losses (a 1-D tensor or a list of numbers), got None: "
            "does the epoch function end with a return statement?"
        )
    if isinstance(losses, torch.Tensor):
        return losses.detach().to("cpu", torch.float64).numpy().reshape(-1)
    if isinstance(losses, (list, tuple)) and losses and isinstance(losses[0], torch.Tensor):
        return torch.stack([t.detach().reshape(()) for t in losses]).cpu().double().numpy()
    return np.asarray(losses, dtype=np.float64).reshape(-1)


@dataclass
class RunResult:
    """What one training run recorded.

    ``losses[k]`` is the loss of batch k (all epochs in a row); ``step_epochs[k]`` and
    ``step_seconds[k]`` place that batch on an epoch axis and a training-time axis.
    ``val_accuracy[e]`` (on the validation images) and ``seconds[e]`` are measured after epoch
    e + 1; ``seconds`` counts training time only (evaluation excluded), with GPU work waited for.
    A run never sees the test set: ``final_test_accuracy()`` reads it, once, at the end.
    ``lr`` is the learning rate the run started from (a schedule's base rate).
    """

    label: str
    batch_size: int
    lr: float = float("nan")
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step_epochs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step_seconds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    samples_seen: int = 0
    diverged: bool = False
    state_bytes: int | None = None

    @property
    def epochs(self) -> np.ndarray:
        return np.arange(1, len(self.val_accuracy) + 1)

    @property
    def best_accuracy(self) -> float:
        """The highest validation accuracy after any epoch."""
        return float(np.max(self.val_accuracy)) if len(self.val_accuracy) else float("nan")

    @property
    def final_accuracy(self) -> float:
        """The validation accuracy after the last epoch."""
        return float(self.val_accuracy[-1]) if len(self.val_accuracy) else float("nan")

    @property
    def samples_per_second(self) -> float:
        total = float(self.seconds[-1]) if len(self.seconds) else 0.0
        return self.samples_seen / total if total > 0 else float("nan")

    def first_epochs(self, epochs: int, label: str | None = None) -> RunResult:
        """This run as it stood after its first ``epochs`` epochs.

        A run with the same model, optimizer, data, batch size and seed for fewer epochs does
        exactly these steps, so an experiment that needs it can share this one instead of
        training again.
        """
        epochs = min(int(epochs), len(self.val_accuracy))
        steps = int(np.searchsorted(self.step_epochs, epochs, side="right"))
        per_epoch = self.samples_seen // max(len(self.val_accuracy), 1)
        return dataclasses.replace(
            self,
            label=self.label if label is None else label,
            losses=self.losses[:steps].copy(),
            step_epochs=self.step_epochs[:steps].copy(),
            step_seconds=self.step_seconds[:steps].copy(),
            val_accuracy=self.val_accuracy[:epochs].copy(),
            seconds=self.seconds[:epochs].copy(),
            samples_seen=per_epoch * epochs,
            diverged=self.diverged and epochs >= len(self.val_accuracy),
        )


def run_training(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: MNISTOnDevice,
    *,
    train_epoch: Callable[..., Any],
    evaluate: Callable[..., Any],
    epochs: int,
    batch_size: int,
    seed: int = 0,
    label: str = "",
    eval_batch_size: int = 2000,
    show_progress: bool = True,
) -> RunResult:
    """Train for ``epochs`` epochs with ``train_epoch`` and evaluate after each with ``evaluate``.

    ``train_epoch(model, optimizer, X, y, batch_size, generator)`` and
    ``evaluate(model, X, y, batch_size)`` are the functions you write in notebook 11. After each
    epoch ``evaluate`` measures the accuracy on the **validation** images (``data.x_val``); the
    test images are never read here (see ``final_test_accuracy()``). The batches
    are shuffled by one generator seeded with ``seed``, so two runs with the same seed see the
    same batches in the same order. A run whose loss becomes NaN or infinite stops early and is
    marked ``diverged``. On the CPU the thread count is measured again first
    (``optimlab.device.adapt_cpu_threads``).
    """
    device = data.device
    adapt_cpu_threads(device)
    generator = make_generator(seed, device)
    group = optimizer.param_groups[0]
    # a torch.optim.lr_scheduler keeps the base rate in "initial_lr" and may have changed "lr"
    start_lr = float(group.get("initial_lr", group["lr"]))
    result = RunResult(label=label, batch_size=batch_size, lr=start_lr)
    losses: list[np.ndarray] = []
    step_epochs: list[np.ndarray] = []
    step_seconds: list[np.ndarray] = []
    accuracy: list[float] = []
    seconds: list[float] = []
    elapsed = 0.0
    n = len(data.x_train)
    bar = progress(
        range(epochs),
        desc=label or "training",
        unit="epoch",
        leave=False,
        disable=not show_progress,
    )
    for epoch in bar:
        synchronize(device)
        start = time.perf_counter()
        epoch_losses = train_epoch(
            model, optimizer, data.x_train, data.y_train, batch_size, generator
        )
        synchronize(device)
        took = time.perf_counter() - start
        values = losses_to_numpy(epoch_losses)
        steps = max(len(values), 1)
        fraction = np.arange(1, len(values) + 1) / steps
        losses.append(values)
        step_epochs.append(epoch + fraction)
        step_seconds.append(elapsed + took * fraction)
        elapsed += took
        seconds.append(elapsed)
        result.samples_seen += n
        accuracy.append(float(evaluate(model, data.x_val, data.y_val, eval_batch_size)))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(
                loss=f"{values[-1]:.3f}" if len(values) else "-", val_acc=f"{accuracy[-1]:.4f}"
            )
        if not np.all(np.isfinite(values)):
            result.diverged = True
            break
    if hasattr(bar, "close"):
        bar.close()
    result.losses = np.concatenate(losses) if losses else np.zeros(0)
    result.step_epochs = np.concatenate(step_epochs) if step_epochs else np.zeros(0)
    result.step_seconds = np.concatenate(step_seconds) if step_seconds else np.zeros(0)
    result.val_accuracy = np.asarray(accuracy)
    result.seconds = np.asarray(seconds)
    return result


def final_test_accuracy(
    model: nn.Module,
    data: MNISTOnDevice,
    evaluate: Callable[..., Any],
    eval_batch_size: int = 2000,
) -> float:
    """The test accuracy of a trained model: call it once per model, after every choice is made.

    This is the only helper that reads ``data.x_test``. Learning rates, schedules, batch sizes and
    the number of epochs are chosen on the validation accuracy that ``run_training`` records; a
    number read here and then used to choose would no longer estimate accuracy on new images.
    """
    return float(evaluate(model, data.x_test, data.y_test, eval_batch_size))


def announce_work(runs: int, epochs: int, images: int, rate: float | None = None) -> str:
    """Say, before a long cell trains, how much it trains and (given a measured ``rate`` in
    images per second) about how long that takes. Prints the line and returns it."""
    total = runs * epochs * images
    line = (
        f"This cell trains {runs} run{'s' if runs != 1 else ''} of {epochs} "
        f"epoch{'s' if epochs != 1 else ''} on {images:,} images: {total:,} images in all"
    )
    if rate is not None and math.isfinite(rate) and rate > 0:
        minutes = total / rate / 60
        took = f"{minutes:.1f} minutes" if minutes >= 1 else f"{total / rate:.0f} seconds"
        line += f", about {took} at the {rate:,.0f} images/s measured above"
    print(line + ".")
    return line


# ------------------------------------------------------------------------- plots and tables


def smooth(
    values: Sequence[float] | np.ndarray, span: int = 50, *, geometric: bool = False
) -> np.ndarray:
    """An exponential moving average over about ``span`` values, corrected for its zero start.

    Per-batch losses are noisy; the smoothed curve shows the trend. Entry k averages the values
    up to k only (no look-ahead), so a sudden rise shows at the step where it happened. With
    ``geometric=True`` the logarithms are averaged (for positive values on a log axis): one huge
    spike then shifts the curve by its factor, not by its size.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if geometric:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.exp(smooth(np.log(x), span=span))
    alpha = 2.0 / (span + 1.0)
    out = np.empty_like(x)
    average = weight = 0.0
    for index, value in enumerate(x):
        average = (1.0 - alpha) * average + alpha * value
        weight = (1.0 - alpha) * weight + alpha
        out[index] = average / weight
    return out


def time_to_accuracy(result: RunResult, target: float = 0.97) -> float | None:
    """Training seconds until the validation accuracy first reached ``target`` (None if never)."""
    reached = np.flatnonzero(result.val_accuracy >= target)
    return float(result.seconds[reached[0]]) if reached.size else None


def plot_runs(
    runs: dict[str, RunResult],
    title: str,
    *,
    span: int = 50,
    accuracy_floor: float = 80.0,
) -> Any:
    """Four panels for a set of runs: smoothed training loss and validation accuracy, each against
    epochs and against training seconds. Returns the figure.

    Accuracies below ``accuracy_floor`` percent are drawn at the bottom edge (marked in the axis
    label), so that one poor run does not squash the others.
    """
    import matplotlib.pyplot as plt

    from .plotting import line_style

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.4))
    (loss_epoch, loss_time), (acc_epoch, acc_time) = axes
    for index, (label, run) in enumerate(runs.items()):
        style = line_style(index)
        finite = np.isfinite(run.losses)
        smoothed = smooth(np.where(finite, run.losses, np.nan), span=span, geometric=True)
        every = max(1, len(smoothed) // 10)
        for ax, x in ((loss_epoch, run.step_epochs), (loss_time, run.step_seconds)):
            ax.plot(x, smoothed, label=label, markevery=every, markersize=5, linewidth=1.5, **style)
        accuracy = np.maximum(100 * run.val_accuracy, accuracy_floor)
        for ax, x in ((acc_epoch, run.epochs), (acc_time, run.seconds)):
            ax.plot(x, accuracy, label=label, markersize=6, linewidth=1.5, **style)
    for ax in (loss_epoch, loss_time):
        ax.set_yscale("log")
        ax.set_ylabel(f"training loss (geometric mean, ~{span} batches)")
    for ax in (acc_epoch, acc_time):
        ax.set_ylabel(
            f"validation accuracy (%; below {accuracy_floor:g} drawn at {accuracy_floor:g})"
        )
    for ax in (loss_epoch, acc_epoch):
        ax.set_xlabel("epoch")
    for ax in (loss_time, acc_time):
        ax.set_xlabel("training time (seconds)")
    loss_epoch.set_title("Loss per batch, against epochs")
    loss_time.set_title("Loss per batch, against seconds")
    acc_epoch.set_title("Validation accuracy after each epoch, against epochs")
    acc_time.set_title("Validation accuracy after each epoch, against seconds")
    for ax in axes.flat:
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
