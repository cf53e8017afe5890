"""Time one training epoch of the course's MNIST MLP with each optimizer, on this machine's device.

The epoch is the one notebook 11 trains with: its reference ``train_epoch`` (read from
solutions/11_mnist_showdown), its optimizers (``optimlab.mnist_mlp.make_optimizer``: torch's fused
kernel where there is one, else foreach), MNIST kept on the device as tensors and shuffled there
(optimlab.mnist_mlp). ``--foreach`` builds every optimizer with foreach=True instead (the
notebook's earlier choice), to measure what the fused kernels save.

Each row is compared with the floor measured in the same run: the time
of only the matrix products one epoch of this MLP cannot avoid (forward, and backward for the
weights and the hidden activations) at the same batch size, on the same device and threads. The
ratio is what per-step overhead (optimizer step, loss, indexing, Python) costs on top.

The "no autograd" columns time the same epoch with the MLP's forward and backward written out by
hand (``handwritten_epoch``: no autograd graph, no nn.Module calls, gradients computed into
preallocated buffers, checked against autograd first) and then the same optimizer's ``step()``;
the last line times that hand-written forward and backward with no optimizer step at all. They
bound what cutting per-step overhead can reach while the epoch stays eager PyTorch: whatever the
training loop looks like, an epoch costs at least that last ratio times the floor.

The last rows compare the conventional pipeline, timed in the same run on the same device: a
per-sample Dataset that converts and normalises each image when it is read (what torchvision's
MNIST with ToTensor() and Normalize() does; written here without torchvision), batched by
torch.utils.data.DataLoader and copied to the device batch by batch.

    python benchmarks/mnist_epoch.py                 # the device choose_device() picks
    python benchmarks/mnist_epoch.py --device cpu --batch-size 256 --workers 2
    python benchmarks/mnist_epoch.py --repeats 3 --foreach --no-dataloader --train-size 10000
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from optimlab import registry  # noqa: E402
from optimlab.data import MNIST_MEAN, MNIST_STD, load_mnist  # noqa: E402
from optimlab.device import choose_device, describe_device, synchronize  # noqa: E402
from optimlab.mnist_mlp import (  # noqa: E402
    ARCHITECTURE,
    batch_indices,
    load_mnist_on_device,
    make_generator,
    make_mlp,
    make_optimizer,
)

# Notebook 11's table: the registry's optimizers with the seed's learning rates, built as the
# notebook builds them; FOREACH: the same with foreach=True everywhere, for comparison.
OPTIMIZERS: dict[str, Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer]] = {
    info.name: functools.partial(make_optimizer, info) for info in registry.OPTIMIZERS.values()
}
FOREACH: dict[str, Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer]] = {
    info.name: functools.partial(info.make_torch, foreach=True)
    for info in registry.OPTIMIZERS.values()
}
WARMUP_STEPS = 20


class PerSampleMNIST(torch.utils.data.Dataset):
    """The conventional MNIST Dataset: each read converts one uint8 image to a normalised tensor.

    Like torchvision's ``MNIST(transform=Compose([ToTensor(), Normalize((0.1307,), (0.3081,))]))``:
    a float32 tensor of shape (1, 28, 28) scaled to [0, 1], then standardized.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(np.array(self.images[index], dtype=np.uint8))  # (28, 28) uint8
        image = image.to(torch.float32).div_(255).unsqueeze(0)  # ToTensor: (1, 28, 28) in [0, 1]
        image = (image - MNIST_MEAN) / MNIST_STD  # Normalize
        return image, int(self.labels[index])


def notebook_train_epoch() -> Callable[..., torch.Tensor]:
    """Notebook 11's reference train_epoch, from its solution notebook (what the course runs)."""
    path = REPO / "solutions" / "11_mnist_showdown" / "11_mnist_showdown.ipynb"
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "train_epoch":
            namespace = {"torch": torch, "F": F, "batch_indices": batch_indices}
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the course's own solution
            return namespace["train_epoch"]
    raise LookupError(f"no train_epoch cell in {path}")


def gemm_floor(device: torch.device, n: int, batch_size: int, trials: int = 3) -> float:
    """Seconds of only the matrix products of one epoch: per batch and layer the forward product,
    the weight gradient and (except for the first layer) the input gradient. Best of ``trials``."""
    generator = torch.Generator().manual_seed(0)
    weights = [
        torch.rand(fan_out, fan_in, generator=generator).to(device)
        for fan_in, fan_out in zip(ARCHITECTURE[:-1], ARCHITECTURE[1:], strict=True)
    ]
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    acts = {
        rows: [torch.rand(rows, width, generator=generator).to(device) for width in ARCHITECTURE]
        for rows in set(sizes)
    }
    best = float("inf")
    for _ in range(trials):
        synchronize(device)
        start = time.perf_counter()
        for rows in sizes:
            a = acts[rows]
            for layer, w in enumerate(weights):
                torch.mm(a[layer], w.t())  # forward
                torch.mm(a[layer + 1].t(), a[layer])  # weight gradient
                if layer:
                    torch.mm(a[layer + 1], w)  # gradient of the layer's input
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def _linear_layers(model: torch.nn.Module) -> list[torch.nn.Linear]:
    return [layer for layer in model if isinstance(layer, torch.nn.Linear)]


def _handwritten_gradients(layers: list[torch.nn.Linear], x: torch.Tensor, y: torch.Tensor) -> None:
    """The mean cross-entropy's gradients for one batch, written into each parameter's ``.grad``
    buffer in place: the forward products and ReLUs, then the backward products, nothing else."""
    activations = [x]
    for index, layer in enumerate(layers):
        out = torch.addmm(layer.bias, activations[-1], layer.weight.t())
        activations.append(out.relu_() if index < len(layers) - 1 else out)
    delta = torch.softmax(activations[-1], dim=1)
    delta[torch.arange(len(y), device=y.device), y] -= 1.0
    delta /= len(y)
    for index in reversed(range(len(layers))):
        layer = layers[index]
        torch.mm(delta.t(), activations[index], out=layer.weight.grad)
        torch.sum(delta, dim=0, out=layer.bias.grad)
        if index:
            delta = torch.mm(delta, layer.weight).mul_(activations[index] > 0)


def handwritten_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
) -> int:
    """One epoch of the same batches with ``_handwritten_gradients`` and then ``optimizer.step()``
    (no step when ``optimizer`` is None); returns the steps taken."""
    layers = _linear_layers(model)
    for layer in layers:
        for param in (layer.weight, layer.bias):
            if param.grad is None:
                param.grad = torch.zeros_like(param)
    steps = 0
    with torch.no_grad():
        for idx in batch_indices(len(x), batch_size, generator):
            _handwritten_gradients(layers, x.index_select(0, idx), y.index_select(0, idx))
            if optimizer is not None:
                optimizer.step()
            steps += 1
    return steps


def check_handwritten_gradients(device: torch.device, x: torch.Tensor, y: torch.Tensor) -> float:
    """The largest difference between the hand-written gradients and autograd's on one batch
    (relative to the largest gradient): the bound rows time the same computation."""
    model = make_mlp(device=device)
    F.cross_entropy(model(x[:128]), y[:128]).backward()
    expected = [p.grad.clone() for p in model.parameters()]
    with torch.no_grad():
        _handwritten_gradients(_linear_layers(model), x[:128], y[:128])
    scale = max(float(g.abs().max()) for g in expected)
    pairs = zip(model.parameters(), expected, strict=True)
    return max(float((p.grad - g).abs().max()) for p, g in pairs) / scale


def dataloader_epoch(model, optimizer, loader, device) -> int:
    """One epoch through a DataLoader, each batch copied to the device; returns the steps taken."""
    steps = 0
    for images, labels in loader:
        images = images.to(device).reshape(len(images), -1)
        labels = labels.to(device)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps


def timed(device: torch.device, work: Callable[[], int]) -> tuple[float, int]:
    synchronize(device)
    start = time.perf_counter()
    steps = work()
    synchronize(device)
    return time.perf_counter() - start, steps


def best_epoch(device: torch.device, repeats: int, work: Callable[[], int]) -> float:
    """The shortest of ``repeats`` timed epochs, in seconds."""
    return min(timed(device, work)[0] for _ in range(repeats))


def warm_up(model, optimizer, x, y, batch_size, device, train_epoch) -> None:
    """A few untimed steps (the notebook's loop on a slice): the first steps pay for allocations
    and kernel selection."""
    rows = WARMUP_STEPS * batch_size
    train_epoch(model, optimizer, x[:rows], y[:rows], batch_size, make_generator(123, device))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or mps (default: auto)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument(
        "--optimizers", default=",".join(OPTIMIZERS), help="comma-separated subset to time"
    )
    parser.add_argument("--repeats", type=int, default=2, help="epochs timed per optimizer")
    parser.add_argument("--foreach", action="store_true", help="foreach=True, not fused kernels")
    parser.add_argument("--no-dataloader", action="store_true", help="skip the DataLoader rows")
    parser.add_argument(
        "--no-bound", action="store_true", help="skip the hand-written (no autograd) columns"
    )
    parser.add_argument("--train-size", type=int, default=None, help="images per epoch (50,000)")
    args = parser.parse_args()
    table = FOREACH if args.foreach else OPTIMIZERS

    device = choose_device(args.device)
    data = load_mnist_on_device(device, train_size=args.train_size)
    x, y = data.x_train, data.y_train
    n = len(x)
    print(
        f"PyTorch {torch.__version__}; MLP {'-'.join(map(str, ARCHITECTURE))}; "
        f"batch size {args.batch_size}; one epoch of {n:,} training images per row"
    )
    train_epoch = notebook_train_epoch()
    print(
        f"\nThe floor: only the forward and backward matrix products of one epoch (batch "
        f"{args.batch_size}), measured just before each row, on {describe_device(device)}."
    )
    print(
        f"\n{'optimizer':>15} {'epoch (s)':>10} {'samples/s':>12} {'floor (s)':>10} "
        f"{'x floor':>8}"
        + ("" if args.no_bound else f" {'no autograd':>10} {'x floor':>8}")
        + f"   (notebook 11's train_epoch; data on {device.type}; best of "
        f"{args.repeats}; {'foreach' if args.foreach else 'as the notebook: fused, else foreach'})"
    )
    rates: dict[str, float] = {}
    for name in args.optimizers.split(","):
        name = name.strip()
        model = make_mlp(device=device)
        optimizer = table[name](model.parameters())
        warm_up(model, optimizer, x, y, args.batch_size, device, train_epoch)
        generator = make_generator(0, device)
        floor = gemm_floor(device, n, args.batch_size, trials=args.repeats)
        seconds = best_epoch(
            device,
            args.repeats,
            lambda m=model, o=optimizer, g=generator: len(
                train_epoch(m, o, x, y, args.batch_size, g)
            ),
        )
        rates[name] = n / seconds
        line = (
            f"{name:>15} {seconds:>10.3f} {rates[name]:>12,.0f} {floor:>10.3f} "
            f"{seconds / floor:>7.2f}x"
        )
        if not args.no_bound:
            bound = best_epoch(
                device,
                args.repeats,
                lambda m=model, o=optimizer, g=generator: handwritten_epoch(
                    m, o, x, y, args.batch_size, g
                ),
            )
            line += f" {bound:>10.3f} {bound / floor:>7.2f}x"
        print(line)
    if not args.no_bound:
        model = make_mlp(device=device)
        generator = make_generator(0, device)
        floor = gemm_floor(device, n, args.batch_size, trials=args.repeats)
        bound = best_epoch(
            device,
            args.repeats,
            lambda: handwritten_epoch(model, None, x, y, args.batch_size, generator),
        )
        print(
            f"\nThe hand-written forward and backward alone, no optimizer step: {bound:.3f} s, "
            f"{bound / floor:.2f}x the floor of {floor:.3f} s (its gradients match autograd's to "
            f"{check_handwritten_gradients(device, x, y):.0e} of the largest): the overhead left "
            "once autograd, nn.Module calls and the optimizer step are gone."
        )
    if args.no_dataloader:
        return

    images, labels = load_mnist(split="train", normalize=False, flatten=False)
    loader = torch.utils.data.DataLoader(
        PerSampleMNIST(images, labels),
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
        generator=torch.Generator().manual_seed(0),
    )
    baseline = "Adam" if "Adam" in rates else next(iter(rates))
    model = make_mlp(device=device)
    optimizer = table[baseline](model.parameters())
    warm_up(model, optimizer, x, y, args.batch_size, device, train_epoch)
    seconds, _ = timed(device, lambda: dataloader_epoch(model, optimizer, loader, device))
    loader_rate = len(images) / seconds  # the loader reads the whole training file
    print(
        f"\nBaseline, {baseline} through a per-sample Dataset + DataLoader "
        f"(num_workers={args.workers}), batches copied to {device.type}:"
    )
    print(f"{baseline:>15} {seconds:>10.2f} {loader_rate:>12,.0f}")
    print(
        f"\nData on the device is {rates[baseline] / loader_rate:.1f}x faster per epoch than the "
        f"DataLoader pipeline ({baseline}, {describe_device(device)})."
    )


if __name__ == "__main__":
    main()
