"""How far the NumPy references drift from torch.optim / lion-pytorch over long trajectories.

For each optimizer, runs the reference and its torch twin for 500 steps on the seeded gradient
sequences of autograder.kit.torch_twins (scales 1e-9 to 1e2, exact zeros) for several parameter
shapes, and prints the largest per-step relative deviation max|ref - torch| / max|torch| over
params and every state array, in float64 and in float32, with the array where it occurred.

Run from the repository root:  python benchmarks/reference_deviation.py [--steps N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from autograder.kit import torch_twins as tt  # noqa: E402

SHAPES: list[tuple[int, ...]] = [(7,), (3, 4), (2, 3, 2), (64,)]


def worst_deviation(name: str, dtype: type, steps: int) -> tuple[float, str]:
    """The largest relative deviation over SHAPES, and 'array@shape' where it occurred."""
    worst, where = 0.0, "-"
    hp = tt.DEFAULT_HPARAMS[name]
    for seed, shape in enumerate(SHAPES):
        p0 = np.random.default_rng(seed + 500).standard_normal(shape).astype(dtype)
        grads = tt.make_gradients(shape, steps, seed, dtype)
        devs = tt.max_relative_deviations(
            tt.run_reference(name, p0, grads, hp), tt.run_torch(name, p0, grads, hp)
        )
        for array, dev in devs.items():
            if dev > worst or where == "-":
                worst, where = dev, f"{array}@{'x'.join(map(str, shape))}"
    return worst, where


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="trajectory length (500)")
    args = parser.parse_args(argv)

    print(f"max relative deviation, references vs torch, {args.steps} steps, shapes {SHAPES}")
    header = f"{'optimizer':<10} {'float64':>10} {'(where)':<14} {'float32':>10} {'(where)':<14}"
    print(header)
    print("-" * len(header))
    for name in tt.OPTIMIZERS:
        d64, w64 = worst_deviation(name, np.float64, args.steps)
        d32, w32 = worst_deviation(name, np.float32, args.steps)
        print(f"{name:<10} {d64:>10.2e} {w64:<14} {d32:>10.2e} {w32:<14}")


if __name__ == "__main__":
    main()
