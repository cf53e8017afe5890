"""split_for_muon (12_beyond_the_source): hidden weight matrices to Muon, the rest to AdamW."""

from .corpus import Right, Wrong

EXERCISE = "split_for_muon"

WRONG = [
    Wrong(
        "biases to Muon too",
        """
matrices = [name for name, shape in named_shapes if len(shape) == 2]
hidden = [n for n in matrices[:-1] if "embed" not in n]
muon_names = [n for n, s in named_shapes if len(s) == 1 or n in hidden]
return muon_names, [n for n, _ in named_shapes if n not in muon_names]
""",
        caught_by=("mlp", "other_models"),
        mistake="biases sent to Muon (orthogonalizing a 1-D bias)",
    ),
    Wrong(
        "the output layer to Muon",
        """
muon_names = [n for n, s in named_shapes if len(s) == 2 and "embed" not in n]
return muon_names, [n for n, _ in named_shapes if n not in muon_names]
""",
        caught_by=("mlp", "other_models"),
        mistake="the output layer sent to Muon",
    ),
    Wrong(
        "the first layer kept on AdamW",
        """
matrices = [name for name, shape in named_shapes if len(shape) == 2 and "embed" not in name]
muon_names = matrices[1:-1]
return muon_names, [n for n, _ in named_shapes if n not in muon_names]
""",
        caught_by=("mlp", "other_models"),
        mistake="the first weight matrix kept on AdamW as well",
    ),
    Wrong(
        "embeddings to Muon",
        """
matrices = [name for name, shape in named_shapes if len(shape) == 2]
muon_names = matrices[:-1]
return muon_names, [n for n, _ in named_shapes if n not in muon_names]
""",
        caught_by=("other_models",),
    ),
    Wrong(
        "AdamW list sorted by name",
        """
matrices = [name for name, shape in named_shapes if len(shape) == 2]
muon_names = [n for n in matrices[:-1] if "embed" not in n]
return muon_names, sorted(n for n, _ in named_shapes if n not in muon_names)
""",
        caught_by=("mlp", "other_models"),
    ),
]

RIGHT = [
    Right(
        "one pass backwards to find the output layer",
        """
output = None
for name, shape in reversed(list(named_shapes)):
    if len(shape) == 2:
        output = name
        break
muon, adamw = [], []
for name, shape in named_shapes:
    if len(shape) == 2 and name != output and "embed" not in name:
        muon.append(name)
    else:
        adamw.append(name)
return muon, adamw
""",
    ),
    Right(
        "indices of the matrices",
        """
names = [n for n, _ in named_shapes]
is_matrix = [len(s) == 2 for _, s in named_shapes]
last = max((i for i, m in enumerate(is_matrix) if m), default=-1)
chosen = {i for i, m in enumerate(is_matrix) if m and i != last and "embed" not in names[i]}
return [names[i] for i in sorted(chosen)], [n for i, n in enumerate(names) if i not in chosen]
""",
    ),
]
