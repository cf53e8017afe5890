"""Where the tensors live: an NVIDIA GPU (CUDA), then an Apple GPU (MPS), then the CPU.

``choose_device()`` picks the first that works, prints which one and why, and returns a
``torch.device``. A GPU is used when there is one and is never required: everything in the course
runs on a CPU. Set the environment variable ``OPTIMLAB_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``,
``mps``) to override the choice, for example to compare a laptop's CPU with its GPU.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

__all__ = [
    "DEVICE_ENV",
    "THREADS_ENV",
    "adapt_cpu_threads",
    "choose_device",
    "configure_cpu_threads",
    "describe_device",
    "mps_available",
    "synchronize",
]

DEVICE_ENV = "OPTIMLAB_DEVICE"
THREADS_ENV = "OPTIMLAB_THREADS"
# Set in headless runs: nbgrader's autograde and validate, and the course's tests and CI.
HEADLESS_ENVS = ("NBGRADER_EXECUTION", "OPTIMLAB_STATIC")
# PyTorch's own thread count (one per physical core), read once before anything changes it.
TORCH_DEFAULT_THREADS = torch.get_num_threads()
# A thread count the user set for OpenMP (and so for PyTorch's CPU kernels) is respected.
OPENMP_ENVS = ("OMP_NUM_THREADS",)


def mps_available() -> bool:
    """True when PyTorch was built with Apple's Metal backend and it can run here."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _cgroup_cpu_limit() -> float | None:
    """The CPU time quota of this process's container in cores (Binder, Kubernetes), if any."""
    try:  # cgroup v2: "max 100000" (no limit) or "200000 100000" (two cores)
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max" and float(period) > 0:
            return float(quota) / float(period)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        quota = float(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = float(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def _usable_cores() -> int:
    """CPU cores this process may run on: its CPU affinity, capped by a container's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        cores = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        cores = min(cores, max(1, math.ceil(limit - 0.01)))
    return max(1, cores)


def _thread_choice(threads: int | None) -> tuple[int, str]:
    """The thread count configure_cpu_threads() would set, and why (empty when unremarkable).

    No timing measurement takes part: a measurement at start-up (a cold cache, another program's
    burst) can be fooled, and a wrong "one thread" halves every epoch on an idle machine.
    """
    if threads is not None:
        return max(1, int(threads)), ""
    override = os.environ.get(THREADS_ENV, "").strip()
    if override:
        return max(1, int(override)), f"{THREADS_ENV}={override}"
    most = _usable_cores()
    if most > 1 and any(os.environ.get(name) for name in HEADLESS_ENVS):
        return 1, (
            "one thread in a headless run (grading or tests), where several notebooks often share "
            "the cores"
        )
    for name in OPENMP_ENVS:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return min(int(value), most), f"{name}={value}"
    return most, ""


def configure_cpu_threads(threads: int | None = None) -> int:
    """Set how many threads PyTorch uses on the CPU and return that number.

    ``threads`` (or the environment variable ``OPTIMLAB_THREADS``) sets it. Otherwise PyTorch
    uses every core this process may use (its CPU affinity, capped by a container's CPU quota),
    or fewer when ``OMP_NUM_THREADS`` says so. Headless runs (nbgrader sets
    ``NBGRADER_EXECUTION``, the course's tests ``OPTIMLAB_STATIC``) use one thread: graders and
    test runners execute several notebooks side by side, and threads that wait for each other on
    busy cores can make every step many times slower. The choice is never measured: the same
    machine gives the same answer at every start.
    """
    chosen, _ = _thread_choice(threads)
    if torch.get_num_threads() != chosen:
        torch.set_num_threads(chosen)
    return chosen


def adapt_cpu_threads(device: torch.device | str) -> int:
    """Before a training run on the CPU: apply the thread choice again (see
    ``configure_cpu_threads``), in case something changed it since ``choose_device()``.

    Does nothing on a GPU, or when ``OPTIMLAB_THREADS`` fixes the count. Returns the number of CPU
    threads in use.
    """
    if torch.device(device).type == "cpu" and not os.environ.get(THREADS_ENV, "").strip():
        return configure_cpu_threads()
    return torch.get_num_threads()


def describe_device(device: torch.device | str) -> str:
    """A one-line, human description of a device, such as "the CUDA GPU 'NVIDIA A100' (cuda:0)"."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"the CUDA GPU {torch.cuda.get_device_name(index)!r} (cuda:{index})"
    if device.type == "mps":
        return "the Apple GPU (mps)"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return (
            f"the CPU ({threads} thread{'s' if threads != 1 else ''} on {_usable_cores()} usable "
            f"core{'s' if _usable_cores() != 1 else ''})"
        )
    return str(device)


def choose_device(
    preferred: str | torch.device | None = None, *, verbose: bool = True
) -> torch.device:
    """Return the device to compute on: CUDA if present, else Apple MPS, else the CPU.

    ``preferred`` (or the environment variable ``OPTIMLAB_DEVICE``) names a device to use instead;
    asking for one that is not there raises ``RuntimeError`` saying what is available. With
    ``verbose`` (the default) a line says which device was chosen and why. On the CPU the number
    of threads is set with ``configure_cpu_threads()``.
    """
    requested = preferred if preferred is not None else os.environ.get(DEVICE_ENV) or None
    if requested is not None:
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {str(device)!r} was asked for, but CUDA is not available")
        if device.type == "mps" and not mps_available():
            raise RuntimeError("device 'mps' was asked for, but Apple MPS is not available")
        reason = f"as asked ({DEVICE_ENV}={requested!r})" if preferred is None else "as asked"
    elif torch.cuda.is_available():
        device = torch.device("cuda", torch.cuda.current_device())
        reason = "CUDA is available, so the NVIDIA GPU does the work"
    elif mps_available():
        device = torch.device("mps")
        reason = "no CUDA GPU, but Apple's Metal (MPS) backend is available"
    else:
        device = torch.device("cpu")
        reason = (
            "no CUDA GPU and no Apple MPS device were found; everything still runs, only slower "
            "(the notebook's FAST setting keeps the runs short)"
        )
    if device.type == "cpu":
        threads, note = _thread_choice(None)
        torch.set_num_threads(threads)
        if note:
            reason += f"; {note}"
    if verbose:
        print(f"Using {describe_device(device)}: {reason}.")
    return device


def synchronize(device: torch.device | str) -> None:
    """Wait until the device has finished its queued work (GPUs run asynchronously).

    Call it before reading a clock, or a GPU timing measures only how long it took to *queue*
    the work. On the CPU it does nothing.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
