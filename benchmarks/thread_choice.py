"""Start fresh Python processes and report the CPU thread count the course chooses in each.

Each process imports torch and calls ``optimlab.device.choose_device()`` as a notebook does, then
times a few MLP-sized matrix products with the chosen count and with one thread. On an idle
machine every start must choose every usable core (no start may fall back to one thread and halve
the speed); with ``NBGRADER_EXECUTION`` set (grading) every start must choose one thread. The
load average is printed beside: the speed ratio means something only on an idle machine.

    python benchmarks/thread_choice.py            # 20 interactive starts, then 20 grading starts
    python benchmarks/thread_choice.py --starts 50
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROBE = """
import json, time, torch
from optimlab.device import _usable_cores, choose_device
choose_device(verbose=False)
chosen = torch.get_num_threads()
a, b = torch.rand(128, 784), torch.rand(784, 256)
def rate(threads):
    torch.set_num_threads(threads)
    a @ b
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(50):
            a @ b
        best = min(best, time.perf_counter() - start)
    return best
print(json.dumps({"chosen": chosen, "usable": _usable_cores(), "chosen_s": rate(chosen),
                  "one_s": rate(1)}))
"""
CLEARED = ("NBGRADER_EXECUTION", "OPTIMLAB_STATIC", "OPTIMLAB_THREADS", "OMP_NUM_THREADS")


def start(grading: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PYTHONPATH"] = str(REPO)
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args()
    affinity = sorted(os.sched_getaffinity(0))
    print(f"{args.starts} fresh process starts per setting; CPU affinity: {affinity}")
    for grading in (False, True):
        load = os.getloadavg()[0]
        runs = [start(grading) for _ in range(args.starts)]
        counts = collections.Counter(r["chosen"] for r in runs)
        speed = [r["one_s"] / r["chosen_s"] for r in runs]
        setting = "grading (NBGRADER_EXECUTION)" if grading else "interactive"
        print(
            f"{setting:<30} usable cores {runs[0]['usable']}; chosen thread counts "
            f"{dict(sorted(counts.items()))}; speed of the choice vs one thread: "
            f"min {min(speed):.2f}x, median {sorted(speed)[len(speed) // 2]:.2f}x "
            f"(load average {load:.1f} -> {os.getloadavg()[0]:.1f}: on a busy machine one thread "
            "can win, which no longer decides the choice)"
        )


if __name__ == "__main__":
    main()
