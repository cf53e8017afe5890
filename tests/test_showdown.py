"""Notebook 08's harness: hidden checks, the showdown helpers, the animation and multi-select."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from autograder.hidden import nb08_landscape_showdown as graded  # noqa: E402
from autograder.kit import torch_twins  # noqa: E402
from autograder.kit.core import GradingFailure  # noqa: E402
from optimlab import animation, landscapes, registry, showdown, widgets  # noqa: E402

RUN_CHECKS = [
    graded.check_run_sgd,
    graded.check_run_stateful,
    graded.check_run_edge_cases,
    graded.check_run_inputs_unchanged,
]
STEPS_CHECKS = [
    graded.check_steps_decreasing,
    graded.check_steps_oscillating,
    graded.check_steps_edge_cases,
]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


# --- the references ------------------------------------------------------------------------------
@pytest.mark.parametrize("check", RUN_CHECKS, ids=lambda c: c.__name__)
def test_reference_run_passes(check) -> None:
    check(graded.run_optimizer)


@pytest.mark.parametrize("check", STEPS_CHECKS, ids=lambda c: c.__name__)
def test_reference_steps_passes(check) -> None:
    check(graded.steps_to_tolerance)


def test_reference_run_follows_the_course_formulas() -> None:
    """The harness with torch's SGD momentum is the course's momentum rule, point by point."""
    valley = landscapes.quadratic(a=1.0, b=20.0)
    path = graded.run_optimizer(
        showdown.optimizer_factory("Momentum", 0.01), valley, np.array(valley.start), 30
    )
    p, v = np.array(valley.start), np.zeros(2)
    expected = [p]
    for _ in range(30):
        v = 0.9 * v + valley.grad(p)
        p = p - 0.01 * v
        expected.append(p)
    assert path.dtype == np.float64 and path.shape == (31, 2)
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "losses, min_value, tol, expected",
    [
        ([10.0, 5.0, 2.0, 0.5, 0.1, 0.05], 0.0, 0.2, 4),
        ([4.0, 0.1, 2.0, 0.05, 0.01, 0.02], 0.0, 0.5, 3),
        ([3.0, 2.0, 1.0], 0.0, 0.5, -1),
        ([0.1, 0.2], 0.0, 0.5, 0),
        ([1.0, 0.1, float("nan")], 0.0, 0.5, -1),
        ([1.0, float("nan"), 0.1], 0.0, 0.5, 2),
        ([0.75, 0.75], 0.5, 0.25, 0),
        ([1.0, -0.2, -0.25], -0.25, 0.01, 2),
    ],
)
def test_reference_steps_convention(losses, min_value, tol, expected) -> None:
    got = graded.steps_to_tolerance(losses, min_value, tol)
    assert type(got) is int and got == expected


# --- run_optimizer: mistakes and bad answers -----------------------------------------------------
@pytest.mark.parametrize("mistake", graded.RUN_MISTAKES, ids=lambda m: m.name[:40])
def test_each_run_mistake_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        graded.check_run_stateful(mistake.compute)
    assert mistake.name in str(failure.value) and "Hint:" in str(failure.value)


@pytest.mark.parametrize(
    "mistake",
    [m for m in graded.RUN_MISTAKES if "new optimizer" not in m.name],
    ids=lambda m: m.name[:40],
)
def test_run_mistakes_are_named_with_plain_sgd_too(mistake) -> None:
    with pytest.raises(GradingFailure, match=re.escape(mistake.name)):
        graded.check_run_sgd(mistake.compute)


def _views_not_copies(make_optimizer, landscape, start, num_steps):
    params = torch.tensor(np.asarray(start, dtype=float), requires_grad=True)
    optimizer = make_optimizer([params])
    points = [np.array(start, dtype=float)]
    for _ in range(num_steps):
        optimizer.zero_grad()
        params.grad = torch.tensor(landscape.grad(params.detach().numpy()))
        optimizer.step()
        points.append(params.detach().numpy())
    return np.array(points)


def _shares_start(make_optimizer, landscape, start, num_steps):
    params = torch.from_numpy(start)
    optimizer = make_optimizer([params])
    points = [params.numpy().copy()]
    for _ in range(num_steps):
        params.grad = torch.from_numpy(landscape.grad(params.numpy()))
        optimizer.step()
        points.append(params.numpy().copy())
    return np.array(points)


def _returns_tensor(make_optimizer, landscape, start, num_steps):
    return torch.from_numpy(graded.run_optimizer(make_optimizer, landscape, start, num_steps))


def _returns_list(make_optimizer, landscape, start, num_steps):
    return list(graded.run_optimizer(make_optimizer, landscape, start, num_steps))


def _returns_float32(make_optimizer, landscape, start, num_steps):
    return graded.run_optimizer(make_optimizer, landscape, start, num_steps).astype(np.float32)


def _two_gradients_per_step(make_optimizer, landscape, start, num_steps):
    for _ in range(num_steps + 1):
        landscape.grad(np.asarray(start, dtype=float))
    return graded.run_optimizer(make_optimizer, landscape, start, num_steps)


def _raises(make_optimizer, landscape, start, num_steps):
    raise KeyError("oops")


@pytest.mark.parametrize(
    "bad, check, message",
    [
        (_views_not_copies, graded.check_run_sgd, "share memory with the parameter tensor"),
        (_shares_start, graded.check_run_inputs_unchanged, "changed `start` in place"),
        (_returns_tensor, graded.check_run_sgd, "returned a torch.Tensor"),
        (_returns_list, graded.check_run_sgd, "returned a list"),
        (_returns_float32, graded.check_run_sgd, "known mistake, the parameters kept in float32"),
        (_two_gradients_per_step, graded.check_run_sgd, "called landscape.grad"),
        (_raises, graded.check_run_sgd, "raised KeyError"),
        ("not a function", graded.check_run_sgd, "should be a function"),
    ],
    ids=["views", "from_numpy", "tensor", "list", "float32", "extra-grads", "raises", "not-fn"],
)
def test_bad_runs_get_clear_messages(bad, check, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        check(bad)


def test_untouched_stub_raises_not_implemented() -> None:
    def stub(*args):
        raise NotImplementedError()

    for check in (*RUN_CHECKS, *STEPS_CHECKS):
        with pytest.raises(NotImplementedError):
            check(stub)


def test_chatty_correct_run_passes_without_stderr(capfd) -> None:
    def chatty(*args):
        print("debug" * 50)
        warnings.warn("student warning", stacklevel=1)
        return graded.run_optimizer(*args)

    graded.check_run_stateful(chatty)
    assert capfd.readouterr().err == ""


# --- steps_to_tolerance: mistakes and bad answers ------------------------------------------------
STEPS_MISTAKE_CHECK = {
    "the first step that reaches": graded.check_steps_oscillating,
    "a strict inequality": graded.check_steps_edge_cases,
    "a NaN loss counted": graded.check_steps_edge_cases,
}


@pytest.mark.parametrize("mistake", graded.STEPS_MISTAKES, ids=lambda m: m.name[:40])
def test_each_steps_mistake_is_named(mistake) -> None:
    name, advice, compute = mistake.name, mistake.advice, mistake.compute
    check = next(
        (c for prefix, c in STEPS_MISTAKE_CHECK.items() if name.startswith(prefix)),
        graded.check_steps_decreasing,
    )
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        check(compute)
    assert name in str(failure.value) and advice in str(failure.value)


def _none_for_never(losses, min_value, tol):
    k = graded.steps_to_tolerance(losses, min_value, tol)
    return None if k == -1 else k


def _length_for_never(losses, min_value, tol):
    k = graded.steps_to_tolerance(losses, min_value, tol)
    return len(losses) if k == -1 else k


def _float_answer(losses, min_value, tol):
    return float(graded.steps_to_tolerance(losses, min_value, tol))


def _in_place(losses, min_value, tol):
    if isinstance(losses, np.ndarray):
        losses -= min_value
        return graded.steps_to_tolerance(losses, 0.0, tol)
    return graded.steps_to_tolerance(losses, min_value, tol)


@pytest.mark.parametrize(
    "bad, message",
    [
        (_none_for_never, "returned None"),
        (_length_for_never, r"returned len\(losses\)"),
        (_float_answer, "expected a step number"),
        (_in_place, "changed `losses` in place|write into `losses`"),
    ],
    ids=["none", "len", "float", "in-place"],
)
def test_bad_steps_answers_get_clear_messages(bad, message) -> None:
    with pytest.raises(GradingFailure, match=message):
        for check in STEPS_CHECKS:
            check(bad)


def test_numpy_integer_answer_is_accepted() -> None:
    graded.check_steps_edge_cases(lambda *a: np.int64(graded.steps_to_tolerance(*a)))


# --- optimlab.showdown ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", showdown.OPTIMIZERS)
def test_factories_follow_the_course_references(name: str) -> None:
    """Each factory's optimizer takes the course reference's steps, with the seed's defaults."""
    course = registry.by_name(name).key
    hyper = dict(showdown.HYPERPARAMETERS[name], lr=0.01)
    grads = torch_twins.make_gradients((2,), 60, seed=3)
    ours = torch_twins.run_reference(course, np.array([0.5, -1.0]), grads, hyper)
    param = torch.nn.Parameter(torch.tensor([0.5, -1.0], dtype=torch.float64))
    optimizer = showdown.optimizer_factory(name, 0.01)([param])
    points = []
    for grad in grads:
        param.grad = torch.from_numpy(grad.copy())
        optimizer.step()
        points.append(param.detach().numpy().copy())
    np.testing.assert_allclose(np.array(points), ours.params, rtol=1e-9, atol=1e-12)


def test_factory_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown optimizer"):
        showdown.optimizer_factory("Adagrad", 0.1)
    with pytest.raises(ValueError, match="no hyperparameter"):
        showdown.optimizer_factory("SGD", 0.1, beta=0.9)


def test_seed_learning_rates_are_the_seeds() -> None:
    assert showdown.SEED_LEARNING_RATES == {
        "SGD": 0.01,
        "Momentum": 0.01,
        "RMSprop": 0.001,
        "Adam": 0.001,
        "AdamW": 0.001,
        "Lion": 0.0001,
    }
    assert set(showdown.OPTIMIZERS) == set(showdown.HYPERPARAMETERS)


def test_gallery_has_the_five_landscapes_with_minima() -> None:
    assert list(showdown.GALLERY) == [
        "narrow valley",
        "Rosenbrock",
        "saddle",
        "plateau",
        "noisy valley",
    ]
    for name in showdown.GALLERY:
        land = showdown.make_landscape(name)
        assert land.minimum is not None and np.isfinite(land.min_value)


def test_run_all_gives_every_optimizer_the_same_start_and_noise() -> None:
    paths = showdown.run_all(
        graded.run_optimizer, "noisy valley", {"SGD": 0.01, "Momentum": 0.01}, num_steps=20
    )
    again = showdown.run_all(graded.run_optimizer, "noisy valley", {"SGD": 0.01}, num_steps=20)
    start = showdown.make_landscape("noisy valley").start
    assert all(np.array_equal(p[0], start) for p in paths.values())
    assert np.array_equal(paths["SGD"], again["SGD"])
    assert paths["SGD"].shape == (21, 2)


def test_loss_gaps_and_diverged_runs() -> None:
    valley = showdown.make_landscape("narrow valley")
    paths = showdown.run_all(graded.run_optimizer, "narrow valley", {"SGD": 0.5}, num_steps=400)
    gap = showdown.loss_gaps(valley, paths)["SGD"]
    assert np.isnan(gap[-1]) and gap[0] == pytest.approx(0.5 * (4.5**2 + 20 * 1.6**2))
    assert np.isnan(showdown.final_gap(gap))
    assert np.isnan(showdown.final_gap(np.array([1.0, 1e12])))
    assert showdown.final_gap(np.array([4.0, 1.0, 3.0]), window=2) == 2.0
    assert showdown.final_gap(np.r_[np.full(180, 5.0), np.ones(20)]) == 1.0
    assert showdown.final_gap(np.r_[np.full(1400, 5.0), np.ones(100)]) == pytest.approx(
        (100 + 50 * 5.0) / 150
    )
    values, blew_up = showdown.for_log_plot(np.array([1.0, 0.0, 1e11, 2.0]), floor=1e-9)
    assert blew_up and values[1] == 1e-9 and np.isnan(values[2:]).all()
    shown = showdown.drawable(paths["SGD"], valley)
    assert np.isfinite(shown).all() and len(shown) < len(paths["SGD"])


def test_sweep_scores_with_the_given_functions_and_picks_the_best() -> None:
    result = showdown.sweep(
        graded.run_optimizer,
        graded.steps_to_tolerance,
        "narrow valley",
        learning_rates=(0.001, 0.03, 0.5),
        optimizers=("SGD",),
    )
    steps, final = result.steps["SGD"], result.final["SGD"]
    assert steps[0] == -1 and steps[1] > 0 and steps[2] == -1
    assert np.isnan(final[2])
    assert result.best("SGD") == (0.03, steps[1], final[1])
    assert showdown.best_learning_rates({"narrow valley": result}) == {
        "narrow valley": {"SGD": 0.03}
    }


def test_tables_and_formatting() -> None:
    table = showdown.markdown_table(["a", "b"], [[1, "x"], [2, "y"]])
    assert table.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | x |", "| 2 | y |"]
    assert showdown.format_steps(-1) == "never" and showdown.format_steps(12) == "12"
    assert showdown.format_gap(float("nan")) == "diverged"
    assert showdown.format_gap(0.00123) == "1.2e-03"
    assert [showdown.format_lr(x) for x in (10**-1.5, 1e-4, 1.0, 3.0)] == ["3e-2", "1e-4", "1", "3"]


def test_plots_draw_labelled_axes() -> None:
    valley = showdown.make_landscape("narrow valley")
    paths = showdown.run_all(graded.run_optimizer, "narrow valley", {"SGD": 0.03}, num_steps=10)
    paths["too fast"] = showdown.run_all(
        graded.run_optimizer, "narrow valley", {"SGD": 0.5}, num_steps=400
    )["SGD"]
    ax_map, ax_loss = showdown.plot_race(valley, paths, name="valley")
    assert ax_map.get_xlabel() and ax_loss.get_ylabel() and ax_loss.get_yscale() == "log"
    assert ax_loss.get_title() == "valley: loss gap per step"
    labels = [line.get_label() for line in ax_loss.get_lines()]
    assert "too fast, blew up" in labels and "SGD" in labels
    assert ax_loss.get_ylim()[1] < 1e12
    gaps = {"narrow valley": showdown.loss_gaps(valley, paths)}
    fig = showdown.plot_gap_panels(gaps, {"narrow valley": 1e-3}, suptitle="t")
    assert fig.axes[0].get_title() == "narrow valley"
    result = showdown.sweep(
        graded.run_optimizer,
        graded.steps_to_tolerance,
        "saddle",
        learning_rates=(0.01, 0.1),
        optimizers=("SGD", "Adam"),
    )
    fig = showdown.plot_sweep({"saddle": result})
    assert fig.axes[0].get_xlabel() == "learning rate"
    plt.close("all")


# --- optimlab.animation --------------------------------------------------------------------------
def test_frame_steps() -> None:
    assert animation.frame_steps(10, 3).tolist() == [0, 5, 10]
    assert animation.frame_steps(2, 10).tolist() == [0, 1, 2]
    log = animation.frame_steps(1000, 10, spacing="log")
    assert log[0] == 0 and log[-1] == 1000 and log[1] == 1
    with pytest.raises(ValueError):
        animation.frame_steps(10, 3, spacing="cubic")


def test_animation_is_self_contained_html(monkeypatch) -> None:
    monkeypatch.setenv("OPTIMLAB_STATIC", "1")
    valley = showdown.make_landscape("narrow valley")
    paths = showdown.run_all(
        graded.run_optimizer, "narrow valley", {"SGD": 0.03, "Adam": 0.2}, num_steps=30
    )
    paths["diverged"] = np.vstack([paths["SGD"][:5], np.full((26, 2), np.nan)])
    html = animation.paths_to_jshtml(valley, paths, frames=6, dpi=40)
    assert "<script" in html and html.count("data:image/jpeg;base64") == 6
    assert "font-awesome" not in html and 'class="fa' not in html and "&#9654;" in html
    assert plt.get_fignums() == []
    png = animation.paths_to_jshtml(valley, paths, frames=3, dpi=30, frame_format="png")
    assert png.count("data:image/png;base64") == 3
    assert "<script" in animation.animate_paths(valley, paths, frames=3, dpi=30).data


# --- optimlab.widgets: multi_select --------------------------------------------------------------
def test_multi_select_control_and_static_fallback(monkeypatch) -> None:
    control = widgets.multi_select(["a", "b", "c"], ["a", "c"], "pick")
    assert control.kind == "multi" and control.value == ("a", "c")
    widget = widgets._make_widget(control)
    assert type(widget).__name__ == "SelectMultiple" and widget.value == ("a", "c")
    seen = {}
    monkeypatch.setenv("OPTIMLAB_STATIC", "1")
    widgets.interactive_plot(lambda chosen: seen.setdefault("chosen", chosen), chosen=control)
    assert seen["chosen"] == ("a", "c")
    plt.close("all")


@pytest.mark.parametrize("name", list(showdown.GALLERY))
def test_gallery_gradients_match_central_differences(name: str) -> None:
    """Every race track's gradient is its function's slope (on average, for the noisy one)."""
    land = showdown.make_landscape(name)
    rng = np.random.default_rng(5)
    h = 1e-6
    for point in np.column_stack([rng.uniform(*land.xlim, 10), rng.uniform(*land.ylim, 10)]):
        numeric = np.array(
            [(land(point + h * e) - land(point - h * e)) / (2 * h) for e in np.eye(2)]
        )
        if "noisy" in name:
            draws = np.mean([land.grad(point) for _ in range(4000)], axis=0)
            assert np.all(np.abs(draws - numeric) < 5 * 2.0 / np.sqrt(4000))
        else:
            scale = 1e-6 * (1 + np.abs(numeric).max())
            assert np.allclose(land.grad(point), numeric, rtol=1e-5, atol=scale)


def _one_point_only(make_optimizer, landscape, start, num_steps):
    """A correct run_optimizer that insists on a start of two numbers (no stack of runs)."""
    return graded.run_optimizer(make_optimizer, landscape, np.reshape(start, 2), num_steps)


@pytest.mark.parametrize("landscape_name", ["Rosenbrock", "noisy valley"])
def test_sweep_keeps_the_paths_run_all_would_give(landscape_name: str) -> None:
    """The sweep steps an optimizer's learning rates side by side and stops once every run is NaN
    or infinite; each kept path is what run_all gives alone (to rounding; NaN wherever run_all's
    path is no longer finite), so later cells may reuse the sweep's runs. A run_optimizer that
    takes one point only gets the runs one at a time, with the same scores."""
    rates = (1e-3, 0.1, 1.0)
    names = ("SGD", "Momentum", "RMSprop", "AdamW", "Lion")
    result = showdown.sweep(
        graded.run_optimizer, graded.steps_to_tolerance, landscape_name, rates, names
    )
    alone = showdown.sweep(_one_point_only, graded.steps_to_tolerance, landscape_name, rates, names)
    assert result.steps == alone.steps
    stopped = 0
    for name in names:
        for lr in rates:
            kept = result.path(name, lr)
            full = showdown.run_all(graded.run_optimizer, landscape_name, {name: lr})[name]
            assert kept.shape == full.shape
            finite = np.isfinite(full).all(axis=1)
            tame = finite & (np.abs(full) < 1e3).all(axis=1)  # not yet blowing up
            np.testing.assert_allclose(kept[tame], full[tame], rtol=1e-9, atol=1e-12)
            assert np.isfinite(kept).all(axis=1)[tame].all()
            dropped = np.isnan(kept).all(axis=1)
            assert not finite[dropped].any()
            one_by_one = alone.path(name, lr)
            kept_alone = ~np.isnan(one_by_one).all(axis=1)
            np.testing.assert_array_equal(one_by_one[kept_alone], full[kept_alone])
            stopped += int(dropped.any())
    assert result.path("SGD", 0.5) is None
    if landscape_name == "Rosenbrock":
        assert stopped, "SGD at lr 1 on Rosenbrock should blow up and be stopped"


def test_rowwise_learning_rates_move_each_row_like_its_own_optimizer() -> None:
    """Row k of a stack steps exactly as the library optimizer at the k-th rate would, state and
    AdamW's weight decay included."""
    rates = (0.3, 0.01)
    rng = np.random.default_rng(2)
    grads = rng.standard_normal((6, 2, 2))
    for name in showdown.OPTIMIZERS:
        stack = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)
        rows = [torch.tensor(r, requires_grad=True) for r in stack.detach().numpy()]
        opt = showdown.RowwiseLearningRates(name, rates, [stack])
        alone = [
            showdown.optimizer_factory(name, lr)([row]) for lr, row in zip(rates, rows, strict=True)
        ]
        for g in grads:
            stack.grad = torch.tensor(g)
            opt.step()
            for k, row in enumerate(rows):
                row.grad = torch.tensor(g[k])
                alone[k].step()
        for k, row in enumerate(rows):
            np.testing.assert_allclose(stack[k].detach().numpy(), row.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="one row per learning rate"):
        showdown.RowwiseLearningRates("Adam", rates, [torch.zeros(3, 2, dtype=torch.float64)])
