#!/usr/bin/env python3
"""Golden data for ember's Embedding and EmbeddingBag: forward, gradients and max_norm renorm.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/embedding.py
Writes tests/data/golden/embedding.json:
    {"format_version": 1, "torch_version": ..., "seed": ...,
     "cases": {"embedding": [...], "renorm": [...], "bag": [...]}}
A tensor is {"shape": [...], "dtype": "float32", "data": [flat row-major values]}.

Every case runs y = op(weight, indices, ...) and backpropagates loss = sum(y * upstream), with a
random `upstream`, so each output element gets its own gradient. Stored per case:
    weight (before the call), indices, upstream, output, weight_after (after the max_norm renorm),
    grad (the weight's gradient, dense: to_dense() of the sparse one), and for sparse cases
    sparse_indices / sparse_values (PyTorch's uncoalesced layout, padding positions removed).

Where ember deliberately differs from PyTorch 1.13 the expected values are computed from
PyTorch's own definitions rather than from the faulty call, and the case says so in "reference":
  - Embedding with sparse=True and scale_grad_by_freq=True (PyTorch refuses): the sparse values
    are the upstream rows divided by their index's count, i.e. the dense gradient's definition;
  - EmbeddingBag with scale_grad_by_freq on CPU (PyTorch divides by the count of the wrong
    index, issue #190063): the reference is F.embedding(scale_grad_by_freq=True) followed by the
    bag reduction; PyTorch's faulty gradient is stored as "torch_cpu_grad" so the test can show
    that the case really exercises the bug.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from golden_json import encode

SEED = 0
FORMAT_VERSION = 1



def number(v):
    """JSON has no infinity: norm_type=inf is stored as the string "inf"."""
    return "inf" if isinstance(v, float) and math.isinf(v) else v


def table(V, D, dtype=torch.float32):
    """N(0, 1) rows scaled so their L2 norms spread over about [0.3, 3]: max_norm=1 touches some
    rows and leaves others alone."""
    w = torch.randn(V, D, dtype=torch.float64)
    w = w / w.norm(dim=1, keepdim=True) * torch.linspace(0.3, 3.0, V, dtype=torch.float64)[torch.randperm(V)].unsqueeze(1)
    return w.to(dtype)


def sparse_layout(idx, upstream, D, padding_idx, scale_grad_by_freq):
    """PyTorch's sparse gradient layout, computed from its definition (also where it refuses)."""
    flat = idx.reshape(-1)
    rows = upstream.reshape(-1, D)
    keep = [i for i in range(flat.numel()) if padding_idx is None or flat[i].item() != padding_idx]
    indices = flat[keep] if keep else torch.zeros(0, dtype=torch.int64)
    values = rows[keep] if keep else torch.zeros(0, D, dtype=upstream.dtype)
    if scale_grad_by_freq and keep:
        counts = {}
        for k in indices.tolist():
            counts[k] = counts.get(k, 0) + 1
        values = values * torch.tensor([1.0 / counts[k] for k in indices.tolist()], dtype=values.dtype).unsqueeze(1)
    return indices, values


def embedding_case(name, weight, idx, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                   sparse=False):
    V, D = weight.shape
    w = weight.clone().requires_grad_(True)
    upstream = torch.randn(*idx.shape, D, dtype=weight.dtype)
    reference = "torch"
    torch_sparse = sparse and not scale_grad_by_freq  # PyTorch refuses sparse + scale_grad_by_freq
    y = F.embedding(idx, w, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                    scale_grad_by_freq=scale_grad_by_freq, sparse=torch_sparse)
    (y * upstream).sum().backward()
    case = {"name": name, "params": {"padding_idx": padding_idx, "max_norm": max_norm,
                                     "norm_type": number(norm_type), "scale_grad_by_freq": scale_grad_by_freq,
                                     "sparse": sparse},
            "weight": encode(weight), "indices": encode(idx), "upstream": encode(upstream), "output": encode(y),
            "weight_after": encode(w)}
    grad = w.grad
    if sparse:
        pad = None if padding_idx is None else (padding_idx + V if padding_idx < 0 else padding_idx)
        indices, values = sparse_layout(idx, upstream, D, pad, scale_grad_by_freq)
        if torch_sparse:  # check our layout against PyTorch's own
            assert grad.is_sparse and (indices.numel() < 2 or not grad.is_coalesced())
            assert torch.equal(grad._indices().reshape(-1), indices)
            assert torch.equal(grad._values(), values)
            grad = grad.to_dense()
        else:
            reference = "ember extension: PyTorch refuses sparse + scale_grad_by_freq; values from the dense definition"
            assert torch.allclose(torch.sparse_coo_tensor(indices.unsqueeze(0), values, (V, D)).to_dense(), grad,
                                  rtol=1e-6, atol=1e-7)
        case["sparse_indices"] = encode(indices)
        case["sparse_values"] = encode(values)
    case["grad"] = encode(grad)
    case["reference"] = reference
    return case


def embedding_cases():
    cases = []
    V, D = 7, 4
    # Repeated indices (3 three times, 2 twice), a padding candidate (2) and the last row (6).
    idx2 = torch.tensor([[3, 2, 3, 0], [6, 3, 2, 5]])
    for padding_idx in (None, 2, -1):
        for max_norm in (None, 1.0):
            for scale in (False, True):
                for sparse in (False, True):
                    name = f"2-D padding_idx={padding_idx} max_norm={max_norm} scale_grad_by_freq={scale} sparse={sparse}"
                    cases.append(embedding_case(name, table(V, D), idx2, padding_idx, max_norm, 2.0, scale, sparse))
    # Input ranks: 0-d, 1-D, 3-D, and an empty batch.
    cases.append(embedding_case("0-d input", table(V, D), torch.tensor(4)))
    cases.append(embedding_case("0-d input sparse", table(V, D), torch.tensor(4), sparse=True))
    cases.append(embedding_case("1-D input with repeats", table(V, D), torch.tensor([1, 1, 1, 0, 6])))
    cases.append(embedding_case("3-D input padding_idx=0 scale_grad_by_freq", table(V, D),
                                torch.randint(0, V, (2, 3, 4)), padding_idx=0, scale_grad_by_freq=True))
    cases.append(embedding_case("3-D input max_norm=1.5 sparse", table(V, D), torch.randint(0, V, (2, 3, 4)),
                                max_norm=1.5, sparse=True))
    cases.append(embedding_case("empty [2, 0] input", table(V, D), torch.zeros(2, 0, dtype=torch.int64)))
    cases.append(embedding_case("all padding sparse", table(V, D), torch.tensor([[1, 1], [1, 1]]), padding_idx=1,
                                sparse=True))
    cases.append(embedding_case("float64 padding_idx=-2 max_norm=0.8 norm_type=1", table(V, D, torch.float64),
                                idx2, padding_idx=-2, max_norm=0.8, norm_type=1.0))
    cases.append(embedding_case("max_norm=1 norm_type=inf", table(V, D), idx2, max_norm=1.0,
                                norm_type=float("inf")))
    cases.append(embedding_case("max_norm=1 norm_type=1", table(V, D), idx2, max_norm=1.0, norm_type=1.0))
    cases.append(embedding_case("max_norm=0 zeroes the rows looked up", table(V, D), torch.tensor([0, 3]),
                                max_norm=0.0))
    cases.append(embedding_case("wide rows D=37", table(5, 37), torch.tensor([[4, 0, 4], [1, 2, 3]]),
                                padding_idx=0, max_norm=2.0, scale_grad_by_freq=True))
    return cases


def renorm_cases():
    """Only the in-place renorm (torch.embedding_renorm_), several norms, an exact-norm row."""
    cases = []
    for norm_type in (1.0, 2.0, 3.0, float("inf")):
        for max_norm in (0.5, 1.0, 2.5):
            w = table(6, 5)
            idx = torch.tensor([[0, 2, 2], [5, 0, 4]])
            after = w.clone()
            with torch.no_grad():
                torch.embedding_renorm_(after, idx, max_norm, norm_type)
            cases.append({"name": f"renorm p={norm_type} max_norm={max_norm}",
                          "params": {"max_norm": max_norm, "norm_type": number(norm_type)},
                          "weight": encode(w), "indices": encode(idx), "weight_after": encode(after)})
    # [3, 4] has L2 norm exactly 5: max_norm 5 leaves it, max_norm 1 gives [0.6, 0.8].
    w = torch.tensor([[3.0, 4.0], [0.3, 0.4]])
    for max_norm in (5.0, 1.0):
        after = w.clone()
        torch.embedding_renorm_(after, torch.tensor([0, 1]), max_norm, 2.0)
        cases.append({"name": f"renorm [3, 4] max_norm={max_norm}", "params": {"max_norm": max_norm, "norm_type": 2.0},
                      "weight": encode(w), "indices": encode(torch.tensor([0, 1])), "weight_after": encode(after)})
    return cases


def bag_reference(weight, flat, bounds, mode, psw, padding_idx):
    """The bag reduction written out on top of F.embedding(scale_grad_by_freq=True): correct counts."""
    rows = F.embedding(flat, weight, padding_idx=padding_idx, scale_grad_by_freq=True)
    out = []
    for b in range(len(bounds) - 1):
        acc = torch.zeros(weight.shape[1], dtype=weight.dtype)
        n = 0
        for i in range(bounds[b], bounds[b + 1]):
            if padding_idx is not None and flat[i].item() == padding_idx:
                continue
            acc = acc + rows[i] * (psw[i] if psw is not None else 1.0)
            n += 1
        out.append(acc / n if mode == "mean" and n > 0 else acc)
    return torch.stack(out)


def bag_case(name, weight, idx, offsets=None, mode="mean", psw=None, include_last_offset=False, padding_idx=None,
             scale_grad_by_freq=False, sparse=False, max_norm=None, norm_type=2.0):
    V, D = weight.shape
    w = weight.clone().requires_grad_(True)
    p = psw.clone().requires_grad_(True) if psw is not None else None
    y = F.embedding_bag(idx, w, offsets, max_norm=max_norm, norm_type=norm_type,
                        scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse, per_sample_weights=p,
                        include_last_offset=include_last_offset, padding_idx=padding_idx)
    upstream = torch.randn(*y.shape, dtype=weight.dtype)
    (y * upstream).sum().backward()
    case = {"name": name, "params": {"mode": mode, "include_last_offset": include_last_offset,
                                     "padding_idx": padding_idx, "scale_grad_by_freq": scale_grad_by_freq,
                                     "sparse": sparse, "max_norm": max_norm, "norm_type": number(norm_type)},
            "weight": encode(weight), "indices": encode(idx), "upstream": encode(upstream), "output": encode(y),
            "weight_after": encode(w), "reference": "torch"}
    if offsets is not None:
        case["offsets"] = encode(offsets)
    if psw is not None:
        case["per_sample_weights"] = encode(psw)
        case["psw_grad"] = encode(p.grad)
    grad = w.grad.to_dense() if sparse else w.grad
    if sparse:
        assert w.grad.is_sparse and not w.grad.is_coalesced()
        case["sparse_indices"] = encode(w.grad._indices().reshape(-1))
        case["sparse_values"] = encode(w.grad._values())
    if scale_grad_by_freq:
        flat = idx.reshape(-1)
        if idx.dim() == 2:
            bounds = list(range(0, flat.numel() + 1, idx.shape[1]))
        else:
            bounds = offsets.tolist() + ([] if include_last_offset else [flat.numel()])
        pad = None if padding_idx is None else (padding_idx + V if padding_idx < 0 else padding_idx)
        w2 = w.detach().clone().requires_grad_(True)  # already renormed: no second renorm
        ref = bag_reference(w2, flat, bounds, mode, psw.reshape(-1) if psw is not None else None, pad)
        assert torch.allclose(ref, y, rtol=1e-5, atol=1e-6)
        (ref * upstream).sum().backward()
        case["torch_cpu_grad"] = encode(grad)
        case["reference"] = "F.embedding(scale_grad_by_freq=True) + bag reduction (PyTorch 1.13 CPU bug #190063)"
        grad = w2.grad
    case["grad"] = encode(grad)
    return case


def bag_cases():
    cases = []
    V, D = 10, 3
    idx1 = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    off = torch.tensor([0, 4])
    for mode in ("sum", "mean", "max"):
        cases.append(bag_case(f"{mode} 1-D + offsets", table(V, D), idx1, off, mode))
        cases.append(bag_case(f"{mode} 2-D", table(V, D), torch.tensor([[1, 2, 4], [5, 4, 9], [0, 0, 7]]), None, mode))
        cases.append(bag_case(f"{mode} include_last_offset", table(V, D), idx1, torch.tensor([0, 3, 5, 8]), mode,
                              include_last_offset=True))
        cases.append(bag_case(f"{mode} empty bag", table(V, D), idx1, torch.tensor([0, 2, 2, 5]), mode))
        cases.append(bag_case(f"{mode} padding_idx=4 (and an all-padding bag)", table(V, D),
                              torch.tensor([4, 4, 1, 4, 2, 2, 9]), torch.tensor([0, 2, 5]), mode, padding_idx=4))
        cases.append(bag_case(f"{mode} max_norm=1", table(V, D), idx1, off, mode, max_norm=1.0))
        cases.append(bag_case(f"{mode} max_norm=1 norm_type=inf padding_idx=-1", table(V, D),
                              torch.tensor([9, 1, 9, 3, 3]), torch.tensor([0, 3]), mode, max_norm=1.0,
                              norm_type=float("inf"), padding_idx=-1))
        if mode != "max":
            cases.append(bag_case(f"{mode} sparse padding_idx=2", table(V, D), idx1, off, mode, padding_idx=2,
                                  sparse=True))
            cases.append(bag_case(f"{mode} scale_grad_by_freq [1, 1, 3]", table(V, D), torch.tensor([1, 1, 3]),
                                  torch.tensor([0, 2]), mode, scale_grad_by_freq=True))
            cases.append(bag_case(f"{mode} scale_grad_by_freq [7, 2, 2, 2, 9, 9] padding_idx=2", table(V, D),
                                  torch.tensor([7, 2, 2, 2, 9, 9]), torch.tensor([0, 3]), mode,
                                  scale_grad_by_freq=True, padding_idx=2))
    cases.append(bag_case("max ties: the first maximum gets the gradient", torch.tensor([[1.0, 2.0], [1.0, 0.0],
                                                                                         [0.0, 2.0]]),
                          torch.tensor([0, 1, 2]), torch.tensor([0]), "max"))
    # per_sample_weights (sum only)
    cases.append(bag_case("sum per_sample_weights 1-D", table(V, D), idx1, off, "sum",
                          psw=torch.randn(8)))
    cases.append(bag_case("sum per_sample_weights 2-D padding_idx=0", table(V, D),
                          torch.tensor([[1, 0, 4], [0, 4, 9]]), None, "sum", psw=torch.randn(2, 3), padding_idx=0))
    cases.append(bag_case("sum per_sample_weights scale_grad_by_freq", table(V, D),
                          torch.tensor([3, 3, 1, 3, 5]), torch.tensor([0, 2]), "sum", psw=torch.randn(5),
                          scale_grad_by_freq=True))
    cases.append(bag_case("sum per_sample_weights max_norm=1 float64", table(V, D, torch.float64), idx1, off, "sum",
                          psw=torch.randn(8, dtype=torch.float64), max_norm=1.0))
    return cases


def main():
    torch.manual_seed(SEED)
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED,
           "cases": {"embedding": embedding_cases(), "renorm": renorm_cases(), "bag": bag_cases()}}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", "embedding.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in doc["cases"].items()))


if __name__ == "__main__":
    main()
