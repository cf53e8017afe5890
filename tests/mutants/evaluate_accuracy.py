"""evaluate_accuracy (11_mnist_showdown): the fraction of rows classified right, in batches."""

from .corpus import Right, Wrong


def _count(compare: str = "logits.argmax(dim=1) == y[start:start + batch_size]") -> str:
    """The solution's loop with the comparison replaced."""
    return f"""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            logits = model(X[start:start + batch_size])
            correct += int(({compare}).sum())
    """


EXERCISE = "evaluate_accuracy"

WRONG = [
    Wrong(
        "argmax over the wrong dimension",
        _count("logits.argmax(dim=0) == y[start:start + batch_size]") + "return correct / len(X)",
        caught_by=("values", "batches", "edge_cases"),
    ),
    Wrong(
        "the mean of per-batch accuracies",
        """
        accuracies = []
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                logits = model(X[start:start + batch_size])
                hits = logits.argmax(dim=1) == y[start:start + batch_size]
                accuracies.append(hits.float().mean().item())
        return sum(accuracies) / len(accuracies)
        """,
        caught_by=("values", "batches"),
        mistake="the mean of the per-batch accuracies (wrong when the last batch is smaller)",
    ),
    Wrong(
        "autograd left on (no torch.no_grad())",
        """
        correct = 0
        for start in range(0, len(X), batch_size):
            logits = model(X[start:start + batch_size])
            correct += int((logits.argmax(dim=1) == y[start:start + batch_size]).sum())
        return correct / len(X)
        """,
        caught_by=("batches",),
    ),
    Wrong(
        "a percentage",
        _count() + "return 100 * correct / len(X)",
        caught_by=("values", "batches", "edge_cases"),
        mistake="a percentage (0-100) instead of a fraction",
    ),
    Wrong(
        "a tensor instead of a float",
        """
        correct = torch.zeros((), dtype=torch.int64)
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                logits = model(X[start:start + batch_size])
                correct += (logits.argmax(dim=1) == y[start:start + batch_size]).sum()
        return correct / len(X)
        """,
        caught_by=("values", "batches", "edge_cases"),
    ),
    Wrong(
        "only full batches evaluated",
        """
        correct = seen = 0
        with torch.no_grad():
            for start in range(0, len(X) - batch_size + 1, batch_size):
                logits = model(X[start:start + batch_size])
                correct += int((logits.argmax(dim=1) == y[start:start + batch_size]).sum())
                seen += batch_size
        return correct / seen
        """,
        caught_by=("values", "batches", "edge_cases"),
        mistake="the last, smaller batch left out",
    ),
    Wrong(
        "the whole of X at once",
        """
        with torch.no_grad():
            return (model(X).argmax(dim=1) == y).float().mean().item()
        """,
        caught_by=("batches",),
    ),
]

RIGHT = [
    Right(
        "inference_mode and split",
        """
        model.eval()
        hits = 0
        with torch.inference_mode():
            for xb, yb in zip(X.split(batch_size), y.split(batch_size)):
                hits += (model(xb).max(dim=1).indices == yb).sum().item()
        return float(hits) / X.shape[0]
        """,
    ),
    Right(
        "set_grad_enabled(False) and a list of counts",
        """
        counts = []
        with torch.set_grad_enabled(False):
            for start in range(0, len(X), batch_size):
                stop = min(start + batch_size, len(X))
                predicted = torch.argmax(model(X[start:stop]), dim=-1)
                counts.append(predicted.eq(y[start:stop]).long().sum())
        return torch.stack(counts).sum().item() / len(y)
        """,
    ),
]
