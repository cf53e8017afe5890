"""minibatch_indices (02_minibatch_sgd): one epoch's shuffled batches of example indices."""

from .corpus import Right, Wrong

EXERCISE = "minibatch_indices"

WRONG = [
    Wrong(
        "an empty batch at the end when batch_size divides N",
        """
        order = rng.permutation(num_examples)
        num_batches = num_examples // batch_size + 1
        return [order[k * batch_size : (k + 1) * batch_size] for k in range(num_batches)]
        """,
        caught_by=("partition",),
        mistake="an empty batch",
    ),
    Wrong(
        "the last partial batch dropped",
        """
        order = rng.permutation(num_examples)
        num_batches = max(num_examples // batch_size, 1)
        return [order[k * batch_size : (k + 1) * batch_size] for k in range(num_batches)]
        """,
        caught_by=("partition", "shuffled"),
        mistake="the last partial batch dropped",
    ),
    Wrong(
        "sampling with replacement (rng.integers)",
        """
        order = rng.integers(0, num_examples, size=num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("partition", "shuffled", "reshuffled"),
        mistake="sampling with replacement",
    ),
    Wrong(
        "np.array_split into equal parts",
        """
        order = rng.permutation(num_examples)
        num_batches = -(-num_examples // batch_size)
        return np.array_split(order, num_batches)
        """,
        caught_by=("partition",),
        mistake="np.array_split into equal parts",
    ),
    Wrong(
        "no shuffle",
        """
        order = np.arange(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("shuffled", "reshuffled", "reproducible"),
        mistake="no shuffle",
    ),
    Wrong(
        "only the order of the batches shuffled",
        """
        order = np.arange(num_examples)
        batches = [order[s : s + batch_size] for s in range(0, num_examples, batch_size)]
        return [batches[k] for k in rng.permutation(len(batches))]
        """,
        caught_by=("partition", "shuffled"),
        mistake="only the batches (or the examples inside each batch) shuffled",
    ),
    Wrong(
        "the global state reseeded inside the function",
        """
        np.random.seed(0)
        order = np.random.permutation(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("shuffled", "reshuffled", "reproducible"),
        mistake="reseeding NumPy's global random state",
    ),
    Wrong(
        "a new generator with a fixed seed",
        """
        rng = np.random.default_rng(0)
        order = rng.permutation(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("shuffled", "reshuffled", "reproducible"),
        mistake="the same order every epoch whatever rng is",
    ),
    Wrong(
        "a copy of rng shuffled, so rng never moves on",
        """
        import copy

        order = copy.deepcopy(rng).permutation(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("shuffled", "reshuffled"),
        mistake="the same order every epoch",
    ),
    Wrong(
        "np.random.permutation instead of rng",
        """
        order = np.random.permutation(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("reproducible",),
        mistake="np.random.permutation / np.random.seed instead of the generator",
    ),
    Wrong(
        "an unseeded generator made inside the function",
        """
        order = np.random.default_rng().permutation(num_examples)
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("reproducible",),
        mistake="randomness from outside rng",
    ),
    Wrong(
        "a random rotation instead of a shuffle",
        """
        order = np.roll(np.arange(num_examples), int(rng.integers(1, max(num_examples, 2))))
        return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]
        """,
        caught_by=("shuffled",),
    ),
]

RIGHT = [
    Right(
        "rng.shuffle on a fresh arange, then np.split",
        """
        order = np.arange(num_examples)
        rng.shuffle(order)
        return np.split(order, np.arange(batch_size, num_examples, batch_size))
        """,
    ),
    Right(
        "rng.choice without replacement and a while loop",
        """
        order = rng.choice(num_examples, size=num_examples, replace=False)
        batches, start = [], 0
        while start < num_examples:
            batches.append(order[start : min(start + batch_size, num_examples)])
            start += batch_size
        return batches
        """,
    ),
    Right(
        "rng.permuted and a count of batches",
        """
        shuffled = rng.permuted(np.arange(num_examples))
        count = (num_examples + batch_size - 1) // batch_size
        return [shuffled[k * batch_size : (k + 1) * batch_size] for k in range(count)]
        """,
    ),
]
