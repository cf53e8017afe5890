"""linear_gradient (02_minibatch_sgd): the gradient of mean((X @ w + b - y)**2) / 2 on a batch."""

from .corpus import Right, Wrong

EXERCISE = "linear_gradient"

WRONG = [
    Wrong(
        "the sum over the batch instead of the mean",
        """
        residual = X @ w + b - y
        return X.T @ residual, residual.sum()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the sum over the batch instead of the mean (the 1/B is missing)",
    ),
    Wrong(
        "a factor 2 from the square kept",
        """
        residual = X @ w + b - y
        return 2 * X.T @ residual / len(y), 2 * residual.mean()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="a factor 2 too many (the gradient of the mean squared error without the 1/2)",
    ),
    Wrong(
        "residual as target minus prediction",
        """
        residual = y - (X @ w + b)
        return X.T @ residual / len(y), residual.mean()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the sign flipped (residual y - prediction)",
    ),
    Wrong(
        "no gradient for the bias",
        """
        residual = X @ w + b - y
        return X.T @ residual / len(y), 0.0
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the bias gradient left out (grad_b = 0)",
    ),
    Wrong(
        "the bias left out of the prediction",
        """
        residual = X @ w - y
        return X.T @ residual / len(y), residual.mean()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the bias left out of the prediction (r = X @ w - y)",
    ),
    Wrong(
        "the bias gradient summed, grad_w averaged",
        """
        residual = X @ w + b - y
        return X.T @ residual / len(y), residual.sum()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="the bias gradient summed while grad_w is averaged",
    ),
    Wrong(
        "divided by the number of features",
        """
        residual = X @ w + b - y
        B = X.shape[1]
        return X.T @ residual / B, residual.sum() / B
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
        mistake="divided by the number of features d instead of the batch size B",
    ),
    Wrong(
        "X not transposed",
        """
        residual = X @ w + b - y
        return X @ residual / len(y), residual.mean()
        """,
        caught_by=("values", "random", "edge_cases", "inputs_unchanged"),
    ),
    Wrong(
        "everything cast to float64",
        """
        X, y, w = X.astype(float), y.astype(float), w.astype(float)
        residual = X @ w + b - y
        return X.T @ residual / len(y), residual.mean()
        """,
        caught_by=("edge_cases",),
    ),
    Wrong(
        "the residual built in y's memory",
        """
        residual = y
        residual -= X @ w + b
        residual *= -1
        return X.T @ residual / len(y), residual.mean()
        """,
        caught_by=("inputs_unchanged",),
    ),
]

RIGHT = [
    Right(
        "einsum",
        """
        residual = np.einsum("bi,i->b", X, w) + b - y
        return np.einsum("bi,b->i", X, residual) / X.shape[0], np.mean(residual)
        """,
    ),
    Right(
        "a loop over the examples",
        """
        grad_w = np.zeros(X.shape[1], dtype=X.dtype)
        grad_b = 0.0
        for x_i, y_i in zip(X, y):
            r_i = x_i @ w + b - y_i
            grad_w = grad_w + r_i * x_i
            grad_b = grad_b + r_i
        return grad_w / len(y), grad_b / len(y)
        """,
    ),
    Right(
        "broadcasting and mean over axis 0",
        """
        residual = X @ w + b - y
        return (residual[:, None] * X).mean(axis=0), float(residual.mean())
        """,
    ),
    Right(
        "r @ X, and a float32-friendly division",
        """
        residual = X @ w - y + b
        count = X.shape[0]
        return residual @ X / count, residual.sum() / count
        """,
    ),
]
