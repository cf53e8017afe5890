"""warmup_cosine_lr (10_learning_rate_schedules): LinearLR warmup, then CosineAnnealingLR."""

from .corpus import Right, Wrong

EXERCISE = "warmup_cosine_lr"

WRONG = [
    Wrong(
        "warmup from exactly 0",
        """
        if step < warmup_steps:
            return float(lr * step / warmup_steps)
        return cosine_lr(step - warmup_steps, lr, total_steps - warmup_steps, lr_min)
        """,
        caught_by=("values",),
        mistake="a warmup that starts at exactly 0",
    ),
    Wrong(
        "warmup reaches lr one step early",
        """
        if step < warmup_steps:
            return float(lr * (start_factor + (1 - start_factor) * (step + 1) / warmup_steps))
        return cosine_lr(step - warmup_steps, lr, total_steps - warmup_steps, lr_min)
        """,
        caught_by=("values",),
        mistake="off-by-one step counting in the warmup",
    ),
    Wrong(
        "the cosine counts from step 0",
        """
        if step < warmup_steps:
            return float(lr * (start_factor + (1 - start_factor) * step / warmup_steps))
        return cosine_lr(step, lr, total_steps, lr_min)
        """,
        caught_by=("values", "edge_cases"),
        mistake="a cosine that does not start where the warmup ends",
    ),
    Wrong(
        "the cosine spans total_steps after the warmup",
        """
        if step < warmup_steps:
            return float(lr * (start_factor + (1 - start_factor) * step / warmup_steps))
        return cosine_lr(step - warmup_steps, lr, total_steps, lr_min)
        """,
        caught_by=("values", "edge_cases"),
        mistake="a cosine over total_steps after the warmup",
    ),
    Wrong(
        "warmup ends at lr * start_factor + lr",
        """
        if step < warmup_steps:
            return float(lr * start_factor + lr * step / warmup_steps)
        return cosine_lr(step - warmup_steps, lr, total_steps - warmup_steps, lr_min)
        """,
        caught_by=("values",),
    ),
]

RIGHT = [
    Right(
        "np.interp for the warmup, the cosine written out",
        """
        if step < warmup_steps:
            return float(np.interp(step, [0, warmup_steps], [start_factor * lr, lr]))
        t = (step - warmup_steps) / (total_steps - warmup_steps)
        return float(lr_min + (lr - lr_min) * 0.5 * (1 + np.cos(np.pi * t)))
        """,
    ),
    Right(
        "a factor that climbs, then the cosine helper",
        """
        if step >= warmup_steps:
            return cosine_lr(step - warmup_steps, lr, total_steps - warmup_steps, lr_min)
        factor = start_factor + (1.0 - start_factor) * (step / warmup_steps)
        return float(factor * lr)
        """,
    ),
]
