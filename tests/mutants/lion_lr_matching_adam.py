"""lion_lr_matching_adam (07_lion): adam_lr * ||g / (|g| + eps)|| / sqrt(non-zero entries of g)."""

from .corpus import Right, Wrong

EXERCISE = "lion_lr_matching_adam"

WRONG = [
    Wrong(
        "both first steps are lr per coordinate, so the rates are equal",
        "return float(adam_lr)",
        caught_by=("values",),
        mistake="Adam's learning rate itself (eps left out of Adam's first step)",
    ),
    Wrong(
        "Lion's step counted on every coordinate (sqrt of the size)",
        """
        size = np.abs(grad)
        return float(adam_lr * np.linalg.norm(size / (size + eps)) / np.sqrt(grad.size))
        """,
        caught_by=("values", "edge_cases"),
        mistake="Lion's step counted on every coordinate, zeros included",
    ),
    Wrong(
        "matched the summed step sizes (L1) instead of the lengths",
        """
        size = np.abs(grad)
        return float(adam_lr * np.sum(size / (size + eps)) / np.count_nonzero(grad))
        """,
        caught_by=("values", "edge_cases"),
        mistake="the summed (L1) lengths matched instead of the Euclidean lengths",
    ),
    Wrong(
        "Adam's first step without bias correction",
        """
        m, v = 0.1 * grad, 0.001 * grad**2
        adam_step = adam_lr * m / (np.sqrt(v) + eps)
        return float(np.linalg.norm(adam_step) / np.sqrt(np.count_nonzero(grad)))
        """,
        caught_by=("values", "edge_cases"),
        mistake="Adam's first step without bias correction",
    ),
    Wrong(
        "eps inside the square root",
        """
        adam_step = adam_lr * grad / np.sqrt(grad**2 + eps)
        return float(np.linalg.norm(adam_step) / np.sqrt(np.count_nonzero(grad)))
        """,
        caught_by=("values", "edge_cases"),
        mistake="eps inside Adam's square root",
    ),
    Wrong(
        "Lion's length over Adam's",
        """
        size = np.abs(grad)
        adam_length = adam_lr * np.linalg.norm(size / (size + eps))
        return float(adam_lr * adam_lr * np.sqrt(np.count_nonzero(grad)) / adam_length)
        """,
        caught_by=("values", "edge_cases"),
        mistake="the ratio upside down (Lion's length over Adam's)",
    ),
    Wrong(
        "an SGD step for Adam",
        "return float(adam_lr * np.linalg.norm(grad) / np.sqrt(np.count_nonzero(grad)))",
        caught_by=("values", "edge_cases"),
        mistake="SGD's first step (lr * g) taken for Adam's",
    ),
]

RIGHT = [
    Right(
        "coordinate by coordinate in plain Python",
        """
        adam_squares, moved = 0.0, 0
        for value in np.ravel(grad).tolist():
            adam_squares += (adam_lr * abs(value) / (abs(value) + eps)) ** 2
            moved += value != 0
        return (adam_squares / moved) ** 0.5
        """,
    ),
    Right(
        "measured: one torch.optim.Adam step beside one sign step",
        """
        import torch

        flat = torch.tensor(np.ravel(grad), dtype=torch.float64)
        weights = torch.nn.Parameter(torch.zeros_like(flat))
        adam = torch.optim.Adam([weights], lr=adam_lr, eps=eps)
        weights.grad = flat.clone()
        adam.step()
        adam_length = torch.linalg.vector_norm(weights.detach()).item()
        lion_length_per_lr = torch.linalg.vector_norm(torch.sign(flat)).item()
        return adam_length / lion_length_per_lr
        """,
    ),
]
