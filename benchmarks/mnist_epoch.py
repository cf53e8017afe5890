"""Time one training epoch of the course's MNIST MLP with each optimizer, on this machine's device.

The course keeps MNIST on the device as tensors and shuffles it there (optimlab.mnist_mlp): a
batch is one indexing operation, with no copy from host memory and no worker processes. The
baseline is the conventional pipeline, timed in the same run on the same device: a per-sample
Dataset that converts and normalises each image when it is read (what torchvision's MNIST with
ToTensor() and Normalize() does; written here without torchvision), batched by
torch.utils.data.DataLoader and copied to the device batch by batch. The last lines give the ratio.

    python benchmarks/mnist_epoch.py                 # the device choose_device() picks
    python benchmarks/mnist_epoch.py --device cpu --batch-size 256 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimlab.data import MNIST_MEAN, MNIST_STD, load_mnist  # noqa: E402
from optimlab.device import choose_device, describe_device, synchronize  # noqa: E402
from optimlab.mnist_mlp import (  # noqa: E402
    ARCHITECTURE,
    batch_indices,
    load_mnist_on_device,
    make_generator,
    make_mlp,
)

OPTIMIZERS: dict[str, Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer]] = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.01),
    "SGD + momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "RMSprop": lambda params: torch.optim.RMSprop(params, lr=1e-3, alpha=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=1e-3),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01),
}
WARMUP_STEPS = 20


def lion(params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
    from lion_pytorch import Lion

    return Lion(params, lr=1e-4)


OPTIMIZERS["Lion"] = lion


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


def device_resident_epoch(model, optimizer, x, y, batch_size, generator) -> int:
    """One epoch over tensors already on the device, shuffled there; returns the steps taken."""
    steps = 0
    for idx in batch_indices(len(x), batch_size, generator):
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps


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


def warm_up(model, optimizer, x, y, batch_size, device) -> None:
    """A few untimed steps: the first steps pay for allocations and kernel selection."""
    generator = make_generator(123, device)
    for idx in batch_indices(len(x), batch_size, generator)[:WARMUP_STEPS]:
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or mps (default: auto)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument(
        "--optimizers", default=",".join(OPTIMIZERS), help="comma-separated subset to time"
    )
    args = parser.parse_args()

    device = choose_device(args.device)
    print(
        f"PyTorch {torch.__version__}; MLP {'-'.join(map(str, ARCHITECTURE))}; "
        f"batch size {args.batch_size}; one epoch of 60,000 images per row"
    )
    data = load_mnist_on_device(device)
    x, y = data.x_train, data.y_train
    n = len(x)

    print(
        f"\n{'optimizer':>15} {'epoch (s)':>10} {'samples/s':>12}   (data on {device.type}, "
        "shuffled there)"
    )
    rates: dict[str, float] = {}
    for name in args.optimizers.split(","):
        name = name.strip()
        model = make_mlp(device=device)
        optimizer = OPTIMIZERS[name](model.parameters())
        warm_up(model, optimizer, x, y, args.batch_size, device)
        generator = make_generator(0, device)
        seconds, _ = timed(
            device,
            lambda model=model, optimizer=optimizer, generator=generator: device_resident_epoch(
                model, optimizer, x, y, args.batch_size, generator
            ),
        )
        rates[name] = n / seconds
        print(f"{name:>15} {seconds:>10.2f} {rates[name]:>12,.0f}")

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
    optimizer = OPTIMIZERS[baseline](model.parameters())
    warm_up(model, optimizer, x, y, args.batch_size, device)
    seconds, _ = timed(device, lambda: dataloader_epoch(model, optimizer, loader, device))
    loader_rate = n / seconds
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
