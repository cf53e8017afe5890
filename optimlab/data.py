"""Load the MNIST copy shipped in the course's data/ folder, offline, checksum-verified."""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

if TYPE_CHECKING:
    import torch

__all__ = [
    "MNIST_FILES",
    "MNIST_MEAN",
    "MNIST_STD",
    "MNISTDataError",
    "MNISTFile",
    "default_data_dir",
    "load_mnist",
]

DATA_DIR_ENV = "OPTIMLAB_DATA_DIR"

# Mean and standard deviation of the training pixels after scaling to [0, 1] (the usual
# values; tests/test_data.py recomputes them). Standardize with (x - MNIST_MEAN) / MNIST_STD.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


class MNISTFile(NamedTuple):
    """One shipped file: its name in data/, the SHA-256 of its *decompressed* bytes, its shape."""

    filename: str
    sha256: str
    shape: tuple[int, ...]


# The single source of truth for the checksums in code; data/README.md and data/SHA256SUMS
# must agree with it (tests/test_data.py checks both).
MNIST_FILES: Mapping[str, MNISTFile] = MappingProxyType(
    {
        "train_images": MNISTFile(
            "train-images-idx3-ubyte.gz",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            (60000, 28, 28),
        ),
        "train_labels": MNISTFile(
            "train-labels-idx1-ubyte.gz",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            (60000,),
        ),
        "test_images": MNISTFile(
            "t10k-images-idx3-ubyte.gz",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            (10000, 28, 28),
        ),
        "test_labels": MNISTFile(
            "t10k-labels-idx1-ubyte.gz",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            (10000,),
        ),
    }
)

_IDX_UINT8 = 0x08


class MNISTDataError(RuntimeError):
    """A shipped MNIST file is missing or damaged; the message names it and says how to fix it."""


def default_data_dir() -> Path:
    """The course's data/ folder (next to this package), or $OPTIMLAB_DATA_DIR when set."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "data"


def _fail(path: Path, filename: str, problem: str, note: str = "") -> MNISTDataError:
    lines = [
        f"MNIST file {path.absolute()}: {problem}",
        f"To fix it, restore it with `git checkout -- data/{filename}` in your clone of the "
        "course, or copy it from a fresh clone.",
    ]
    if note:
        lines.append(note)
    return MNISTDataError("\n".join(lines))


class _Problem(Exception):
    """What is wrong with a file; load_mnist turns it into an MNISTDataError naming the file."""


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(str(n) for n in shape)


def _decode(raw: bytes, spec: MNISTFile) -> NDArray[np.uint8]:
    """Decompress, check the IDX header and the SHA-256; a read-only uint8 array of spec.shape."""
    if raw[:2] != b"\x1f\x8b":
        what = f"starts with {raw[:8]!r}" if raw else "is empty"
        if raw[:3] == b"\x00\x00\x08":
            what += ", which looks like an already decompressed IDX file"
        raise _Problem(f"not a gzip file (it {what}).")
    try:
        data = gzip.decompress(raw)
    except EOFError as exc:
        raise _Problem(
            f"truncated gzip file: the compressed data ends too early ({exc})."
        ) from None
    except (OSError, zlib.error) as exc:
        raise _Problem(f"damaged gzip file ({exc}).") from None

    ndim = len(spec.shape)
    header = 4 + 4 * ndim
    expected = f"expected {_dims(spec.shape)} uint8"
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise _Problem(f"bad IDX header: wrong magic number {data[:4].hex()!r}; {expected}.")
    if data[2] != _IDX_UINT8:
        raise _Problem(f"bad IDX header: data type 0x{data[2]:02x}, not 0x08 (uint8); {expected}.")
    if data[3] != ndim or len(data) < header:
        raise _Problem(f"bad IDX header: {data[3]} dimensions; {expected}.")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if shape != spec.shape:
        raise _Problem(f"bad IDX header: sizes {_dims(shape)}; {expected}.")
    if len(data) != header + math.prod(shape):
        raise _Problem(
            f"bad IDX file: {len(data) - header} data bytes after the header; "
            f"{expected} = {math.prod(shape)} bytes."
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise _Problem(
            "checksum mismatch: the SHA-256 of the decompressed bytes is "
            f"{digest}, expected {spec.sha256}."
        )
    # A view of the immutable bytes object, hence read-only.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


class _Entry:
    """One verified file in the cache, with the derived arrays load_mnist hands out (read-only)."""

    def __init__(self, raw: NDArray[np.uint8]) -> None:
        self.raw = raw

    @functools.cached_property
    def scaled(self) -> NDArray[np.float32]:
        out = self.raw.astype(np.float32)
        out /= np.float32(255)
        return _readonly(out)

    @functools.cached_property
    def int64(self) -> NDArray[np.int64]:
        return _readonly(self.raw.astype(np.int64))


@functools.lru_cache(maxsize=4)
def _read_cached(resolved: str, mtime_ns: int, size: int, name: str) -> _Entry:
    # Keyed by the resolved path, mtime and size, so a replaced or restored file is re-read.
    # Errors are not cached: the next call reads the file again.
    del mtime_ns, size
    try:
        raw = Path(resolved).read_bytes()
    except OSError as exc:
        raise _Problem(f"cannot be read ({exc}).") from None
    return _Entry(_decode(raw, MNIST_FILES[name]))


def _load_file(data_dir: Path, name: str, note: str) -> _Entry:
    spec = MNIST_FILES[name]
    path = data_dir / spec.filename
    try:
        try:
            stat = path.stat()
            resolved = path.resolve(strict=True)
        except FileNotFoundError:
            missing = (
                "" if data_dir.is_dir() else f" (the folder {data_dir.absolute()} does not exist)"
            )
            raise _Problem(f"the file is missing{missing}.") from None
        except OSError as exc:
            raise _Problem(f"cannot be read ({exc}).") from None
        return _read_cached(str(resolved), stat.st_mtime_ns, stat.st_size, name)
    except _Problem as problem:
        raise _fail(path, spec.filename, str(problem), note) from None


def _readonly(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


@overload
def load_mnist(
    data_dir: str | os.PathLike[str] | None = ...,
    *,
    split: Literal["train", "test"] = ...,
    normalize: bool = ...,
    flatten: bool = ...,
    as_tensors: Literal[False] = ...,
    device: None = ...,
    dtype: DTypeLike | None = ...,
) -> tuple[NDArray[Any], NDArray[np.int64]]: ...


@overload
def load_mnist(
    data_dir: str | os.PathLike[str] | None = ...,
    *,
    split: Literal["train", "test"] = ...,
    normalize: bool = ...,
    flatten: bool = ...,
    as_tensors: Literal[True],
    device: torch.device | str | None = ...,
    dtype: torch.dtype | None = ...,
) -> tuple[torch.Tensor, torch.Tensor]: ...


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    split: Literal["train", "test"] = "train",
    normalize: bool = True,
    flatten: bool = True,
    as_tensors: bool = False,
    device: torch.device | str | None = None,
    dtype: Any = None,
) -> tuple[Any, Any]:
    """Load one split of MNIST from ``data_dir`` (default: ``default_data_dir()``).

    Returns ``(images, labels)``: images of shape (N, 784), or (N, 28, 28) with
    ``flatten=False``, as float32 in [0, 1] (``normalize=True``) or the raw uint8 0-255
    (``normalize=False``); labels int64 of shape (N,). N is 60000 for "train", 10000 for "test".
    To standardize, compute ``(images - MNIST_MEAN) / MNIST_STD``.

    Every file read is checked (gzip, IDX header, SHA-256 of the decompressed bytes); a
    missing or damaged file raises ``MNISTDataError`` saying which file and how to restore it.

    The parsed arrays are cached in this process (keyed by the file's resolved path, mtime and
    size), so a second call costs almost nothing. NumPy results are therefore **read-only**:
    writing into them raises ``ValueError``; build new arrays (``x = x - x.mean()``) or call
    ``.copy()`` first. ``dtype`` (a NumPy dtype here) converts the images, and the converted
    array is read-only too.

    With ``as_tensors=True`` the result is a pair of fresh ``torch.Tensor`` that the caller
    owns, on ``device`` if given; ``dtype`` is then a torch dtype for the images (default
    float32 when normalized, uint8 when not). Labels stay int64. Images are moved as uint8
    and converted on the device, which is 4x less to copy to a GPU.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    if device is not None and not as_tensors:
        raise ValueError("device= is only used with as_tensors=True")
    if data_dir is not None:
        directory = Path(data_dir).expanduser()
        note = f"(The data folder was given as data_dir={os.fspath(data_dir)!r}.)"
    else:
        directory = default_data_dir()
        override = os.environ.get(DATA_DIR_ENV)
        note = f"(The data folder comes from {DATA_DIR_ENV}={override!r}.)" if override else ""
    image_entry = _load_file(directory, f"{split}_images", note)
    label_entry = _load_file(directory, f"{split}_labels", note)
    raw_images = image_entry.raw
    n = raw_images.shape[0]
    if as_tensors:
        return _to_tensors(raw_images, label_entry.raw, normalize, flatten, device, dtype)

    if dtype is not None:
        target = np.dtype(dtype)
        if normalize and not np.issubdtype(target, np.floating):
            raise ValueError(f"normalize=True needs a floating dtype, not {target}")
        images = raw_images.astype(target)
        if normalize:
            images /= target.type(255)
        images = _readonly(images)
    elif normalize:
        images = image_entry.scaled
    else:
        images = raw_images
    # Hand out views: read-only like the cached arrays, and unlike them, their WRITEABLE flag
    # cannot be switched back on.
    images = images.reshape(n, -1) if flatten else images.view()
    return images, label_entry.int64.view()


def _to_tensors(
    raw_images: NDArray[np.uint8],
    raw_labels: NDArray[np.uint8],
    normalize: bool,
    flatten: bool,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    n = raw_images.shape[0]
    images = torch.from_numpy(raw_images.copy())  # a copy: never share the cache's memory
    labels = torch.from_numpy(raw_labels.astype(np.int64))
    if device is not None:
        images = images.to(device)
        labels = labels.to(device)
    if dtype is None:
        dtype = torch.float32 if normalize else torch.uint8
    if normalize:
        if not dtype.is_floating_point:
            raise ValueError(f"normalize=True needs a floating dtype, not {dtype}")
        images = images.to(dtype).div_(255)
    else:
        images = images.to(dtype)
    if flatten:
        images = images.reshape(n, -1)
    return images, labels
