"""The student-side MNIST helpers (optimlab.mnist_mlp, optimlab.device): none of it is graded,
all of it is relied on by notebooks 09 and 11 and by the hidden tests."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from optimlab import device as dev
from optimlab import mnist_mlp as mm


def test_mlp_is_the_stated_architecture_with_seeded_weights() -> None:
    model = mm.make_mlp()
    assert mm.ARCHITECTURE == (784, 256, 128, 10)
    assert mm.count_parameters(model) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    again = mm.make_mlp(seed=0)
    other = mm.make_mlp(seed=1)
    for a, b, c in zip(model.parameters(), again.parameters(), other.parameters(), strict=True):
        assert torch.equal(a, b)
        assert not torch.equal(a, c)
        bound = 1 / np.sqrt(a.shape[-1] if a.dim() == 2 else 0) if a.dim() == 2 else None
        if bound is not None:
            assert a.abs().max() <= bound
    assert model(torch.zeros(3, 784)).shape == (3, 10)


def test_make_mlp_leaves_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    mm.make_mlp((784, 32, 10), seed=5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(("n", "batch_size"), [(10, 4), (12, 4), (5, 10), (1, 1)])
def test_batch_indices_cover_every_index_once(n: int, batch_size: int) -> None:
    generator = mm.make_generator(0)
    first = mm.batch_indices(n, batch_size, generator)
    second = mm.batch_indices(n, batch_size, generator)
    for batches in (first, second):
        assert sorted(torch.cat(batches).tolist()) == list(range(n))
        assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        assert 1 <= len(batches[-1]) <= batch_size
    again = mm.batch_indices(n, batch_size, mm.make_generator(0))
    assert [b.tolist() for b in again] == [b.tolist() for b in first]
    if n > 3:
        assert torch.cat(first).tolist() != torch.cat(second).tolist()


def test_batch_indices_rejects_a_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        mm.batch_indices(10, 0, mm.make_generator(0))


@pytest.mark.parametrize(
    ("value", "device", "default", "expected"),
    [
        ("1", "cuda", None, True),
        ("0", "cpu", None, False),
        ("false", "cpu", True, False),
        ("", "cpu", None, True),
        ("", "cuda", None, False),
        ("", "cpu", False, False),
    ],
)
def test_fast_mode(monkeypatch, value: str, device: str, default, expected: bool) -> None:
    monkeypatch.setenv(mm.FAST_ENV, value)
    assert mm.fast_mode(torch.device(device), default=default) is expected


def test_data_on_device_is_standardized() -> None:
    data = mm.load_mnist_on_device("cpu", train_size=2000, val_size=400, test_size=500)
    assert data.x_train.shape == (2000, 784) and data.x_test.shape == (500, 784)
    assert data.x_val.shape == (400, 784) and data.y_val.shape == (400,)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert abs(float(data.x_train.mean())) < 0.1
    assert 0.8 < float(data.x_train.std()) < 1.2
    assert "2000" in repr(data) or "(2000, 784)" in repr(data)


def test_validation_is_the_last_10000_training_images_and_never_trains() -> None:
    """The split is fixed: the training file's last 10,000 images, whatever train_size is."""
    from optimlab.data import load_mnist

    images, labels = load_mnist(split="train", as_tensors=True, device="cpu")
    full = mm.load_mnist_on_device("cpu")
    assert len(full.x_train) == 50_000 and len(full.x_val) == mm.VALIDATION_SIZE == 10_000
    assert torch.equal(full.y_val, labels[50_000:]) and torch.equal(full.y_train, labels[:50_000])
    expected = (images[50_000:50_005] - mm.MNIST_MEAN) / mm.MNIST_STD
    torch.testing.assert_close(full.x_val[:5], expected)
    small = mm.load_mnist_on_device("cpu", train_size=1000, val_size=100)
    assert torch.equal(small.x_val, full.x_val[:100]) and torch.equal(
        small.x_train, full.x_train[:1000]
    )
    with pytest.raises(ValueError, match="train_size"):
        mm.load_mnist_on_device("cpu", train_size=50_001)


def test_run_training_never_reads_the_test_set() -> None:
    """run_training evaluates on validation only; final_test_accuracy is the one reader of test."""
    seen: list[int] = []
    val, test = torch.randn(30, 784), torch.randn(20, 784)
    data = mm.MNISTOnDevice(
        torch.randn(40, 784),
        torch.randint(0, 10, (40,)),
        val,
        torch.randint(0, 10, (30,)),
        test,
        torch.randint(0, 10, (20,)),
    )

    def epoch(model, optimizer, x, y, batch_size, generator):
        return torch.zeros(2)

    def evaluate(model, x, y, batch_size):
        seen.append(len(x))
        assert x is val or x is test
        return 0.5 if x is val else 0.25

    model = mm.make_mlp((784, 4, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    # a scheduler changes the group's "lr" at once; the run records the base rate it started from
    torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.5, total_iters=2)
    result = mm.run_training(
        model,
        optimizer,
        data,
        train_epoch=epoch,
        evaluate=evaluate,
        epochs=3,
        batch_size=20,
        show_progress=False,
    )
    assert seen == [30, 30, 30] and list(result.val_accuracy) == [0.5, 0.5, 0.5]
    assert result.lr == 0.1
    assert mm.final_test_accuracy(model, data, evaluate) == 0.25 and seen[-1] == 20


def test_smooth_is_causal_and_unbiased() -> None:
    values = np.array([2.0, 2.0, 2.0, 10.0, 2.0])
    out = mm.smooth(values, span=3)
    assert out[0] == 2.0 and out[2] == 2.0
    assert out[3] > 2.0
    geometric = mm.smooth(np.array([1.0, 1.0, 1e6, 1.0]), span=3, geometric=True)
    arithmetic = mm.smooth(np.array([1.0, 1.0, 1e6, 1.0]), span=3)
    assert geometric[2] < 1e4 < 1e5 < arithmetic[2]


def test_losses_to_numpy_accepts_the_usual_forms() -> None:
    expected = np.array([1.0, 0.5])
    for form in (torch.tensor([1.0, 0.5]), [torch.tensor(1.0), torch.tensor(0.5)], [1.0, 0.5]):
        np.testing.assert_allclose(mm.losses_to_numpy(form), expected)
    with pytest.raises(TypeError, match="return"):
        mm.losses_to_numpy(None)


def test_run_training_records_a_run() -> None:
    from autograder.hidden.nb11_mnist_showdown import evaluate_accuracy, train_epoch

    data = mm.load_mnist_on_device("cpu", train_size=600, val_size=300, test_size=10)
    model = mm.make_mlp((784, 16, 10))
    result = mm.run_training(
        model,
        torch.optim.Adam(model.parameters(), lr=3e-3),
        data,
        train_epoch=train_epoch,
        evaluate=evaluate_accuracy,
        epochs=2,
        batch_size=100,
        show_progress=False,
    )
    assert len(result.losses) == 12 and len(result.val_accuracy) == 2
    assert result.lr == 3e-3
    assert np.all(np.diff(result.step_seconds) >= 0) and result.seconds[-1] > 0
    np.testing.assert_allclose(result.step_epochs[[5, 11]], [1.0, 2.0])
    assert result.best_accuracy > 0.5 and not result.diverged
    assert mm.time_to_accuracy(result, 0.0) == result.seconds[0]
    assert mm.time_to_accuracy(result, 1.01) is None


def test_choose_device_says_which(capsys, monkeypatch) -> None:
    monkeypatch.delenv(dev.DEVICE_ENV, raising=False)
    monkeypatch.setenv(dev.THREADS_ENV, "1")
    chosen = dev.choose_device()
    line = capsys.readouterr().out
    assert line.startswith("Using ")
    if torch.cuda.is_available():
        assert chosen.type == "cuda" and "CUDA" in line
    elif dev.mps_available():
        assert chosen.type == "mps"
    else:
        assert chosen.type == "cpu" and "no CUDA GPU and no Apple MPS" in line
        assert torch.get_num_threads() == 1


def test_choose_device_refuses_a_missing_gpu(monkeypatch) -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        dev.choose_device("cuda", verbose=False)


def test_configure_cpu_threads_respects_an_explicit_count(monkeypatch) -> None:
    before = torch.get_num_threads()
    try:
        assert dev.configure_cpu_threads(1) == 1 == torch.get_num_threads()
        monkeypatch.setenv(dev.THREADS_ENV, "2")
        assert dev.configure_cpu_threads() == 2
        assert dev.adapt_cpu_threads("cpu") == 2
    finally:
        torch.set_num_threads(before)


def test_headless_runs_use_one_thread(monkeypatch) -> None:
    if min(dev.TORCH_DEFAULT_THREADS, os.cpu_count() or 1) < 2:
        pytest.skip("a single core: one thread anyway")
    before = torch.get_num_threads()
    monkeypatch.delenv(dev.THREADS_ENV, raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    try:
        assert dev.configure_cpu_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_first_epochs_is_the_shorter_run() -> None:
    """A run's first epochs equal a run of that many epochs (what notebook 11 shares)."""
    data = mm.MNISTOnDevice(
        torch.randn(64, 784),
        torch.randint(0, 10, (64,)),
        torch.randn(32, 784),
        torch.randint(0, 10, (32,)),
        torch.randn(8, 784),
        torch.randint(0, 10, (8,)),
    )

    def epoch(model, optimizer, x, y, batch_size, generator):
        losses = []
        for idx in mm.batch_indices(len(x), batch_size, generator):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses)

    def evaluate(model, x, y, batch_size):
        with torch.no_grad():
            return float((model(x).argmax(1) == y).float().mean())

    def train(epochs):
        model = mm.make_mlp((784, 16, 10), seed=0)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, foreach=True)
        return mm.run_training(
            model,
            optimizer,
            data,
            train_epoch=epoch,
            evaluate=evaluate,
            epochs=epochs,
            batch_size=20,
            show_progress=False,
        )

    long, short = train(3), train(2)
    shared = long.first_epochs(2, label="shared")
    assert shared.label == "shared" and shared.samples_seen == short.samples_seen == 128
    np.testing.assert_array_equal(shared.losses, short.losses)
    np.testing.assert_array_equal(shared.step_epochs, short.step_epochs)
    np.testing.assert_array_equal(shared.val_accuracy, short.val_accuracy)
    assert len(shared.seconds) == len(shared.val_accuracy) == 2


@pytest.mark.parametrize("key", ["sgd", "momentum", "rmsprop", "adam", "adamw", "lion"])
def test_make_optimizer_is_the_registry_optimizer_in_a_faster_form(key: str) -> None:
    """Fused where torch has a kernel for it (SGD, Adam, AdamW), the registry's hyperparameters
    kept, and the same trajectory as the plain per-tensor loop (foreach=False)."""
    from optimlab import registry

    info = registry.OPTIMIZERS[key]
    fast_model, plain_model = mm.make_mlp((784, 16, 10), seed=4), mm.make_mlp((784, 16, 10), seed=4)
    fast = mm.make_optimizer(info, fast_model.parameters(), lr=0.01)
    plain = info.make_torch(plain_model.parameters(), foreach=False, lr=0.01)
    assert type(fast) is type(plain)
    fused = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
    assert fast.defaults.get("fused", False) is isinstance(fast, fused)
    shared = {k for k in plain.defaults if k not in ("foreach", "fused")}
    assert {k: fast.defaults[k] for k in shared} == {k: plain.defaults[k] for k in shared}
    x = torch.randn(64, 784, generator=torch.Generator().manual_seed(1))
    y = torch.arange(64) % 10
    for model, optimizer in ((fast_model, fast), (plain_model, plain)):
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    for a, b in zip(fast_model.parameters(), plain_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert not torch.equal(
        next(fast_model.parameters()), next(mm.make_mlp((784, 16, 10), seed=4).parameters())
    )
