"""clip_by_global_norm (10_learning_rate_schedules): torch.nn.utils.clip_grad_norm_ in NumPy."""

from .corpus import Right, Wrong

EXERCISE = "clip_by_global_norm"

WRONG = [
    Wrong(
        "each tensor clipped on its own",
        """
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], total_norm
        """,
        caught_by=("values",),
        mistake="each tensor clipped separately instead of by the global norm",
    ),
    Wrong(
        "always rescaled to max_norm",
        """
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        return [g * (max_norm / (total_norm + 1e-6)) for g in grads], total_norm
        """,
        caught_by=("below_threshold",),
        mistake="clipping that changes gradients below the threshold",
    ),
    Wrong(
        "the norm after clipping",
        """
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        clipped = [g * min(1.0, max_norm / (total_norm + 1e-6)) for g in grads]
        return clipped, float(np.sqrt(sum(np.sum(g**2) for g in clipped)))
        """,
        caught_by=("values",),
        mistake="the norm returned after clipping instead of before",
    ),
    Wrong(
        "the squared norm",
        """
        total_norm = float(sum(np.sum(g**2) for g in grads))
        return [g * min(1.0, max_norm / (total_norm + 1e-6)) for g in grads], total_norm
        """,
        caught_by=("values",),
        mistake="the squared norm instead of the norm",
    ),
    Wrong(
        "per-tensor norms added up",
        """
        total_norm = float(sum(np.linalg.norm(g) for g in grads))
        return [g * min(1.0, max_norm / (total_norm + 1e-6)) for g in grads], total_norm
        """,
        caught_by=("values",),
        mistake="the per-tensor norms added up instead of combined",
    ),
    Wrong(
        "no 1e-6 added to the norm",
        """
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        return [g * min(1.0, max_norm / total_norm) for g in grads], total_norm
        """,
        caught_by=("values",),
        mistake="no 1e-6 added to the norm",
    ),
    Wrong(
        "scaled in place",
        """
        total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        for g in grads:
            g *= min(1.0, max_norm / (total_norm + 1e-6))
        return grads, total_norm
        """,
        caught_by=("inputs_unchanged",),
    ),
]

RIGHT = [
    Right(
        "one flat vector for the norm",
        """
        flat = np.concatenate([np.ravel(g) for g in grads]).astype(np.float64)
        total_norm = float(np.linalg.norm(flat))
        coef = max_norm / (total_norm + 1e-6)
        if coef >= 1.0:
            return [g.copy() for g in grads], total_norm
        return [g * coef for g in grads], total_norm
        """,
    ),
    Right(
        "the norm of the per-tensor norms",
        """
        norms = [np.linalg.norm(np.ravel(g).astype(np.float64)) for g in grads]
        total_norm = float(np.linalg.norm(norms))
        scale = np.clip(max_norm / (total_norm + 1e-6), None, 1.0)
        return [g * float(scale) for g in grads], total_norm
        """,
    ),
]
