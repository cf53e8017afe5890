"""train_epoch (02_minibatch_sgd): one epoch of minibatch SGD on the linear model."""

import textwrap

from .corpus import Right, Wrong

EXERCISE = "train_epoch"
ASSIGNMENT = "02_minibatch_sgd"  # notebook 11 has an exercise of the same name


def _epoch(batches: str = "minibatch_indices(len(y), batch_size, rng)", loop: str = "") -> str:
    """The solution's epoch over ``batches``, with ``loop`` as the loop's body when given."""
    lines = textwrap.dedent(loop or _step()).strip("\n").splitlines()
    body = "\n".join("    " + line for line in lines)
    return f"losses = []\nfor batch in {batches}:\n{body}\nreturn w, b, np.array(losses)\n"


def _step(loss: str = "", grad: str = "", update: str = "") -> str:
    """The solution's loop body with the loss, the gradient or the update replaced."""
    return "\n".join(
        [
            "X_batch, y_batch = X[batch], y[batch]",
            f"losses.append({loss or 'linear_loss(w, b, X_batch, y_batch)'})",
            f"grad_w, grad_b = {grad or 'linear_gradient(w, b, X_batch, y_batch)'}",
            *(update or "w, b = w - lr * grad_w, b - lr * grad_b").splitlines(),
        ]
    )


WRONG = [
    Wrong(
        "batches in stored order",
        _epoch(
            batches="[np.arange(s, min(s + batch_size, len(y))) "
            "for s in range(0, len(y), batch_size)]"
        ),
        caught_by=("random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="no shuffling (the batches taken in their stored order)",
    ),
    Wrong(
        "the full-batch gradient on every step",
        _epoch(loop=_step(grad="linear_gradient(w, b, X, y)")),
        caught_by=("random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the full-batch gradient used on every step",
    ),
    Wrong(
        "the loss recorded after the step",
        _epoch(
            loop="""
            X_batch, y_batch = X[batch], y[batch]
            grad_w, grad_b = linear_gradient(w, b, X_batch, y_batch)
            w, b = w - lr * grad_w, b - lr * grad_b
            losses.append(linear_loss(w, b, X_batch, y_batch))
            """
        ),
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the loss recorded after the step instead of before it",
    ),
    Wrong(
        "the loss on the whole data set",
        _epoch(loop=_step(loss="linear_loss(w, b, X, y)")),
        caught_by=("random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the loss computed on the whole data set instead of the batch",
    ),
    Wrong(
        "the loss as a plain mean squared error",
        _epoch(loop=_step(loss="np.mean((X_batch @ w + b - y_batch) ** 2)")),
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the loss without the 1/2 (mean squared error)",
    ),
    Wrong(
        "the bias never updated",
        _epoch(loop=_step(update="w = w - lr * grad_w")),
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the bias never updated",
    ),
    Wrong(
        "gradient ascent",
        _epoch(loop=_step(update="w, b = w + lr * grad_w, b + lr * grad_b")),
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="gradient ascent (w + lr * grad_w)",
    ),
    Wrong(
        "the short last batch skipped",
        """
        losses = []
        for batch in minibatch_indices(len(y), batch_size, rng):
            if len(batch) < batch_size:
                break
            X_batch, y_batch = X[batch], y[batch]
            losses.append(linear_loss(w, b, X_batch, y_batch))
            grad_w, grad_b = linear_gradient(w, b, X_batch, y_batch)
            w, b = w - lr * grad_w, b - lr * grad_b
        return w, b, np.array(losses)
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the last partial batch skipped",
    ),
    Wrong(
        "batch gradients averaged, one step at the end",
        """
        losses, grads_w, grads_b = [], [], []
        for batch in minibatch_indices(len(y), batch_size, rng):
            losses.append(linear_loss(w, b, X[batch], y[batch]))
            grad_w, grad_b = linear_gradient(w, b, X[batch], y[batch])
            grads_w.append(grad_w)
            grads_b.append(grad_b)
        w = w - lr * np.mean(grads_w, axis=0)
        b = b - lr * np.mean(grads_b)
        return w, b, np.array(losses)
        """,
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="one step per epoch (batch gradients averaged, one update at the end)",
    ),
    Wrong(
        "the starting parameters returned",
        """
        losses = []
        new_w, new_b = w, b
        for batch in minibatch_indices(len(y), batch_size, rng):
            X_batch, y_batch = X[batch], y[batch]
            losses.append(linear_loss(new_w, new_b, X_batch, y_batch))
            grad_w, grad_b = linear_gradient(new_w, new_b, X_batch, y_batch)
            new_w, new_b = new_w - lr * grad_w, new_b - lr * grad_b
        return w, b, np.array(losses)
        """,
        caught_by=("values", "random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="the starting parameters returned instead of the updated ones",
    ),
    Wrong(
        "a generator with a fixed seed for the shuffle",
        _epoch(batches="minibatch_indices(len(y), batch_size, np.random.default_rng(0))"),
        caught_by=("random", "rng", "edge_cases", "inputs_unchanged"),
        mistake="batches drawn from a generator other than rng",
    ),
    Wrong(
        "a new shuffle for every batch",
        """
        losses = []
        for k in range(len(minibatch_indices(len(y), batch_size, rng))):
            batch = minibatch_indices(len(y), batch_size, rng)[k]
            X_batch, y_batch = X[batch], y[batch]
            losses.append(linear_loss(w, b, X_batch, y_batch))
            grad_w, grad_b = linear_gradient(w, b, X_batch, y_batch)
            w, b = w - lr * grad_w, b - lr * grad_b
        return w, b, np.array(losses)
        """,
        caught_by=("random", "rng", "edge_cases", "inputs_unchanged"),
    ),
    Wrong(
        "an in-place step on the caller's w",
        _epoch(loop=_step(update="w -= lr * grad_w\nb -= lr * grad_b")),
        caught_by=("inputs_unchanged",),
    ),
]

RIGHT = [
    Right(
        "in place on a copy of w",
        """
        w = np.array(w, dtype=float)
        losses = []
        for batch in minibatch_indices(len(y), batch_size, rng):
            losses.append(linear_loss(w, b, X[batch], y[batch]))
            grad_w, grad_b = linear_gradient(w, b, X[batch], y[batch])
            w -= lr * grad_w
            b -= lr * grad_b
        return w, b, np.array(losses)
        """,
    ),
    Right(
        "the shuffle and the algebra written out",
        """
        order = rng.permutation(len(y))
        losses = np.zeros(-(-len(y) // batch_size))
        for k in range(len(losses)):
            rows = order[k * batch_size : (k + 1) * batch_size]
            residual = X[rows] @ w + b - y[rows]
            losses[k] = 0.5 * np.mean(residual**2)
            w = w - lr * (X[rows].T @ residual) / len(rows)
            b = b - lr * residual.mean()
        return w, b, losses
        """,
    ),
    Right(
        "the loss as a list of floats",
        """
        batch_losses = []
        for indices in minibatch_indices(X.shape[0], batch_size, rng):
            Xb, yb = np.take(X, indices, axis=0), np.take(y, indices)
            batch_losses.append(float(linear_loss(w, b, Xb, yb)))
            gw, gb = linear_gradient(w, b, Xb, yb)
            w = w - lr * gw
            b = b - lr * gb
        return w, b, np.asarray(batch_losses, dtype=float)
        """,
    ),
]
