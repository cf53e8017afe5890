"""train_epoch (11_mnist_showdown): one epoch of minibatch training of a PyTorch model."""

from .corpus import Right, Wrong

EXERCISE = "train_epoch"
ASSIGNMENT = "11_mnist_showdown"  # notebook 02 has an exercise of the same name


def _epoch(
    batches: str = "batch_indices(len(X), batch_size, generator)",
    loss: str = "F.cross_entropy(model(X[idx]), y[idx])",
    step: str = "optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()",
    record: str = "loss.detach()",
) -> str:
    """The solution's epoch with the batches, the loss, the update or the record replaced."""
    return (
        "losses = []\n"
        f"for idx in {batches}:\n"
        f"    loss = {loss}\n"
        f"    {step}\n"
        f"    losses.append({record})\n"
        "return torch.stack(losses)\n"
    )


WRONG = [
    Wrong(
        "no optimizer.zero_grad()",
        _epoch(step="loss.backward()\n    optimizer.step()"),
        caught_by=("losses", "learns"),
        mistake="no optimizer.zero_grad() (the gradients of every batch pile up)",
    ),
    Wrong(
        "batches in the data's order",
        _epoch(batches="torch.arange(len(X)).split(batch_size)"),
        caught_by=("losses", "learns", "shuffles"),
        mistake="no shuffling (the batches in the data's order)",
    ),
    Wrong(
        "shuffled with the global random state, not the generator",
        _epoch(batches="torch.randperm(len(X)).split(batch_size)"),
        caught_by=("losses", "learns", "shuffles"),
    ),
    Wrong(
        "the losses kept attached to autograd",
        _epoch(record="loss"),
        caught_by=("losses", "learns", "shuffles"),
    ),
    Wrong(
        "the last, smaller batch dropped",
        _epoch(
            batches="[idx for idx in batch_indices(len(X), batch_size, generator)"
            " if len(idx) == batch_size]"
        ),
        caught_by=("losses", "shuffles"),
        mistake="the last, smaller batch dropped",
    ),
    Wrong(
        "gradients cleared between backward() and step()",
        _epoch(step="loss.backward()\n    optimizer.zero_grad()\n    optimizer.step()"),
        caught_by=("losses", "learns"),
    ),
    Wrong(
        "softmax before cross_entropy",
        _epoch(loss="F.cross_entropy(model(X[idx]).softmax(dim=1), y[idx])"),
        caught_by=("losses", "learns"),
        mistake="softmax applied before cross_entropy",
    ),
    Wrong(
        "the loss summed over the batch",
        _epoch(loss="F.cross_entropy(model(X[idx]), y[idx], reduction='sum')"),
        caught_by=("losses", "learns"),
        mistake="the loss summed over the batch instead of averaged (reduction='sum')",
    ),
    Wrong(
        "the loss recorded after the step",
        """
        losses = []
        for idx in batch_indices(len(X), batch_size, generator):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                losses.append(F.cross_entropy(model(X[idx]), y[idx]))
        return torch.stack(losses)
        """,
        caught_by=("losses", "shuffles"),
    ),
]

RIGHT = [
    Right(
        "floats from .item(), then a tensor",
        """
        losses = []
        model.train()
        for idx in batch_indices(len(X), batch_size, generator):
            optimizer.zero_grad(set_to_none=True)
            logits = model(X.index_select(0, idx))
            loss = F.nll_loss(F.log_softmax(logits, dim=1), y.index_select(0, idx))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return torch.tensor(losses)
        """,
    ),
    Right(
        "randperm with the generator, sliced by hand",
        """
        order = torch.randperm(len(X), generator=generator, device=generator.device)
        out = torch.empty(math.ceil(len(X) / batch_size))
        for k, start in enumerate(range(0, len(X), batch_size)):
            idx = order[start:start + batch_size]
            logits = model(X[idx])
            loss = torch.nn.CrossEntropyLoss()(logits, y[idx])
            model.zero_grad()
            loss.backward()
            optimizer.step()
            out[k] = loss.detach()
        return out
        """,
    ),
]
