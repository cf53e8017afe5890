"""Tests of optimlab.data: the shipped MNIST files, the loader, and its error messages."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optimlab.data import (
    MNIST_FILES,
    MNIST_MEAN,
    MNIST_STD,
    MNISTDataError,
    default_data_dir,
    load_mnist,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
FIX_HINT = "in your clone of the course, or copy it from a fresh clone"
TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTIMLAB_DATA_DIR", raising=False)


@pytest.mark.parametrize(("split", "n"), [("train", 60000), ("test", 10000)])
def test_load_shapes_dtypes_ranges(split: str, n: int) -> None:
    x, y = load_mnist(split=split)
    assert x.shape == (n, 784) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))

    raw, y2 = load_mnist(split=split, normalize=False, flatten=False)
    assert raw.shape == (n, 28, 28) and raw.dtype == np.uint8
    assert raw.max() == 255
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(x, raw.reshape(n, -1).astype(np.float32) / np.float32(255))


def test_train_label_counts() -> None:
    _, y = load_mnist(split="train")
    assert np.bincount(y, minlength=10).tolist() == TRAIN_LABEL_COUNTS


def test_mean_and_std_constants() -> None:
    x, _ = load_mnist(split="train")
    assert abs(x.mean(dtype=np.float64) - MNIST_MEAN) < 5e-4
    assert abs(x.std(dtype=np.float64) - MNIST_STD) < 5e-4


def test_numpy_results_are_read_only_views_of_the_cache() -> None:
    x1, y1 = load_mnist(split="test")
    x2, y2 = load_mnist(split="test", flatten=False)
    assert np.shares_memory(x1, x2) and np.shares_memory(y1, y2)  # cached, not re-read
    for arr in (x1, y1, x2, y2):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr.flags.writeable = True
    with pytest.raises(ValueError, match="read-only"):
        x1[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        y1 += 1
    x3, y3 = load_mnist(split="test", dtype=np.float64)
    assert x3.dtype == np.float64 and not x3.flags.writeable
    np.testing.assert_allclose(x3, x1, rtol=1e-6)


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    x, y = load_mnist(split="test", as_tensors=True, device="cpu")
    assert isinstance(x, torch.Tensor) and x.shape == (10000, 784) and x.dtype == torch.float32
    assert y.shape == (10000,) and y.dtype == torch.int64 and x.device.type == "cpu"
    xn, yn = load_mnist(split="test")
    np.testing.assert_array_equal(x.numpy(), xn)
    np.testing.assert_array_equal(y.numpy(), yn)
    x.zero_()  # the caller owns the tensors: writing must not reach the cache
    y.zero_()
    assert load_mnist(split="test")[0].max() == 1.0
    assert load_mnist(split="test")[1].max() == 9

    raw, _ = load_mnist(split="test", as_tensors=True, normalize=False, flatten=False)
    assert raw.shape == (10000, 28, 28) and raw.dtype == torch.uint8
    x64, _ = load_mnist(split="test", as_tensors=True, dtype=torch.float64)
    assert x64.dtype == torch.float64 and float(x64.max()) == 1.0


def test_importing_does_not_import_torch() -> None:
    code = "import sys, optimlab.data; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="split"):
        load_mnist(split="validation")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="as_tensors"):
        load_mnist(split="test", device="cpu")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="floating"):
        load_mnist(split="test", dtype=np.int32)


def _table(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\|\s*(\S+\.gz)\s*\|.*\|\s*([0-9a-f]{64})\s*\|", text, re.M))


def test_readme_and_sha256sums_agree_with_mnist_files() -> None:
    expected = {spec.filename: spec.sha256 for spec in MNIST_FILES.values()}
    assert len(expected) == 4
    assert _table((DATA / "README.md").read_text(encoding="utf-8")) == expected
    sums = (DATA / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    assert sorted(sums) == sorted(
        f"{h}  {name.removesuffix('.gz')}" for name, h in expected.items()
    )


def test_default_data_dir_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_data_dir() == DATA
    monkeypatch.setenv("OPTIMLAB_DATA_DIR", "")
    assert default_data_dir() == DATA
    other = _copy_data(tmp_path)
    monkeypatch.setenv("OPTIMLAB_DATA_DIR", str(other))
    assert default_data_dir() == other
    x, y = load_mnist(split="test")
    assert x.shape == (10000, 784) and y.shape == (10000,)
    (other / MNIST_FILES["test_labels"].filename).unlink()
    with pytest.raises(MNISTDataError) as info:
        load_mnist(split="test")
    assert str(other / MNIST_FILES["test_labels"].filename) in str(info.value)
    assert "OPTIMLAB_DATA_DIR" in str(info.value)


# --- damaged files, in a temporary copy of data/ -------------------------------------------


def _copy_data(tmp_path: Path) -> Path:
    """data/ as symlinks (the loader's cache then covers them), or copies where not allowed."""
    copy = tmp_path / "data"
    copy.mkdir()
    for spec in MNIST_FILES.values():
        try:
            os.symlink(DATA / spec.filename, copy / spec.filename)
        except OSError:
            shutil.copy(DATA / spec.filename, copy / spec.filename)
    return copy


def _damage(kind: str, original: bytes) -> bytes | None:
    if kind == "missing":
        return None
    if kind == "truncated":
        return original[: len(original) // 2]
    if kind == "corrupt":
        data = bytearray(gzip.decompress(original))
        data[-100] ^= 0xFF  # one byte of the data, after the header
        return gzip.compress(bytes(data), compresslevel=1)
    if kind == "not_gzip":
        return b"<html><body>404 Not Found</body></html>\n"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("missing", "missing"),
        ("truncated", "truncated gzip"),
        ("corrupt", "checksum mismatch"),
        ("not_gzip", "not a gzip file"),
    ],
)
@pytest.mark.parametrize("name", ["train_images", "test_labels"])
def test_damaged_file(tmp_path: Path, name: str, kind: str, words: str) -> None:
    data_dir = _copy_data(tmp_path)
    spec = MNIST_FILES[name]
    target = data_dir / spec.filename
    damaged = _damage(kind, (DATA / spec.filename).read_bytes())
    target.unlink()
    if damaged is not None:
        target.write_bytes(damaged)
    with pytest.raises(MNISTDataError) as info:
        load_mnist(data_dir, split=name.split("_")[0])
    message = str(info.value)
    assert str(target.absolute()) in message
    assert words in message
    assert f"git checkout -- data/{spec.filename}" in message and FIX_HINT in message
    if kind == "corrupt":
        assert spec.sha256 in message


def test_swapped_file_gives_header_error(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    target = data_dir / MNIST_FILES["train_images"].filename
    target.unlink()
    shutil.copy(DATA / MNIST_FILES["test_images"].filename, target)
    with pytest.raises(MNISTDataError, match="expected 60000 x 28 x 28") as info:
        load_mnist(data_dir)
    assert str(target) in str(info.value) and FIX_HINT in str(info.value)


def test_restored_file_is_read_again(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    target = data_dir / MNIST_FILES["test_labels"].filename
    target.unlink()
    shutil.copy(DATA / MNIST_FILES["test_labels"].filename, target)
    assert load_mnist(data_dir, split="test")[1].shape == (10000,)
    target.write_bytes(_damage("truncated", target.read_bytes()) or b"")
    with pytest.raises(MNISTDataError, match="truncated"):  # not served from the cache
        load_mnist(data_dir, split="test")
