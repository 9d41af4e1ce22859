#!/usr/bin/env python3
"""Golden data for ember's core kernels: reductions, matrix products, indexing and joining.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/core_ops.py
Writes tests/data/golden/core_ops.json:
    {"format_version": 1, "torch_version": ..., "seed": ...,
     "cases": {"reduce": [...], "linalg": [...], "index": [...], "join": [...]}}
Each case is {"name", "op", "params", "inputs": [tensor...], "outputs": [tensor...]}, a tensor is
{"shape": [...], "dtype": "float32", "data": [flat row-major values]} (NaN and infinities as the
strings "nan", "inf", "-inf"), and an input may carry "view": how the test turns the stored
contiguous tensor into the operand actually used (see apply_view in tests/testing.cpp):
    "transpose"  swap the last two dims
    "slice"      drop the first index of dim 0, then keep every other element of the last dim
    "expand"     expand size-1 dims to the input's "expand_to" shape (stride 0)
"""
import json
import math
import os

import torch

from golden_json import DTYPES, encode_value

SEED = 0
FORMAT_VERSION = 1


def encode(t, view=None, expand_to=None):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    out = {"shape": list(t.shape), "dtype": DTYPES[t.dtype], "data": [encode_value(v) for v in data]}
    if view:
        out["view"] = view
    if expand_to is not None:
        out["expand_to"] = list(expand_to)
    return out


def apply_view(t, view, expand_to=None):
    """The torch twin of apply_view in tests/testing.cpp."""
    if view == "transpose":
        return t.transpose(-2, -1)
    if view == "slice":
        return t[1:][..., ::2]
    if view == "expand":
        return t.expand(*expand_to)
    return t


class Inputs:
    """Stored tensors plus the views the test applies to them."""

    def __init__(self):
        self.stored = []
        self.used = []

    def add(self, t, view=None, expand_to=None):
        self.stored.append(encode(t, view, expand_to))
        used = apply_view(t, view, expand_to)
        self.used.append(used)
        return used


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, dtype=dtype)


def small_ints(*shape, high=3, dtype=torch.float32):
    """Values in [0, high): many ties, to pin down which index max/argmax report."""
    return torch.randint(0, high, shape).to(dtype)


def case(name, op, inputs, outputs, **params):
    return {"name": name, "op": op, "params": params, "inputs": inputs.stored,
            "outputs": [encode(o) for o in outputs]}


def reduce_cases():
    cases = []

    def sum_like(op, t, view=None, expand_to=None, dims=(), keepdim=False, name=None):
        ins = Inputs()
        x = ins.add(t, view, expand_to)
        fn = torch.sum if op == "sum" else torch.mean
        out = fn(x, dim=list(dims), keepdim=keepdim) if dims else fn(x)
        if not dims and keepdim:
            out = out.reshape([1] * x.dim())
        label = name or f"{op} {DTYPES[t.dtype]} {list(x.shape)} dims={list(dims)} keepdim={keepdim} view={view}"
        cases.append(case(label, op, ins, [out], dims=list(dims), keepdim=keepdim))

    for op in ("sum", "mean"):
        sum_like(op, randn(3, 4, 5))
        sum_like(op, randn(3, 4, 5), dims=(1,))
        sum_like(op, randn(3, 4, 5), dims=(0, 2), keepdim=True)
        sum_like(op, randn(3, 4, 5), dims=(-1,))
        sum_like(op, randn(3, 4, 5), dims=(-1, 0))
        sum_like(op, randn(3, 4, 5), keepdim=True)
        sum_like(op, randn(3, 4, 5), view="transpose", dims=(1,))
        sum_like(op, randn(3, 4, 5), view="transpose", dims=(0, 2))
        sum_like(op, randn(5, 9), view="slice", dims=(0,))
        sum_like(op, randn(5, 9), view="slice")
        sum_like(op, randn(3, 1, 5), view="expand", expand_to=(3, 4, 5), dims=(1,))
        sum_like(op, randn(3, 1, 5), view="expand", expand_to=(3, 4, 5), dims=(0, 2))
        sum_like(op, randn(4, 6, dtype=torch.float64), dims=(0,))
        sum_like(op, randn(37, 129), dims=(1,))  # rows longer than the unrolled lanes, odd tails
        sum_like(op, randn(37, 129), dims=(0,))
        sum_like(op, randn(0, 3), dims=(0,))
        sum_like(op, randn(0, 3), dims=(1,))
        sum_like(op, torch.tensor(2.5))
    sum_like("sum", torch.randint(-50, 50, (3, 4)), dims=(1,))
    sum_like("sum", torch.randint(-50, 50, (3, 4)), view="transpose")

    for op in ("max", "min"):
        for t, view, dim, keepdim in [
            (small_ints(4, 6), None, 1, False),
            (small_ints(4, 6), None, 0, True),
            (small_ints(3, 4, 5), None, -2, False),
            (small_ints(3, 4, 5), "transpose", 1, False),
            (small_ints(5, 9), "slice", -1, True),
            (randn(4, 6, dtype=torch.float64), None, 1, False),
            (torch.randint(-9, 9, (4, 6)), None, 0, False),
            (torch.tensor([[1.0, float("nan"), 3.0, float("nan")], [2.0, 1.0, 2.0, -1.0]]), None, 1, False),
        ]:
            ins = Inputs()
            x = ins.add(t, view)
            values, indices = getattr(torch, op)(x, dim, keepdim)
            cases.append(case(f"{op} dim={dim} {DTYPES[t.dtype]} {list(x.shape)} view={view}", op, ins,
                              [values, indices], dim=dim, keepdim=keepdim))
        for t, view in [(randn(3, 4, 5), None), (randn(5, 9), "slice"),
                        (torch.randint(-9, 9, (7,)), None),
                        (torch.tensor([1.0, float("nan"), 5.0]), None)]:
            ins = Inputs()
            x = ins.add(t, view)
            cases.append(case(f"{op} all {DTYPES[t.dtype]} {list(x.shape)} view={view}", op + "_all", ins,
                              [getattr(torch, op)(x)]))

    for t, view, dim, keepdim in [(small_ints(4, 6), None, 1, False), (small_ints(4, 6), None, 0, True),
                                  (small_ints(3, 4, 5), "transpose", -1, False)]:
        ins = Inputs()
        x = ins.add(t, view)
        cases.append(case(f"argmax dim={dim} {list(x.shape)} view={view}", "argmax", ins,
                          [torch.argmax(x, dim, keepdim)], dim=dim, keepdim=keepdim))

    for p in (2.0, 1.0, math.inf, -math.inf, 0.0, 3.5, 0.5):
        for t, view, dims, keepdim in [(randn(3, 4, 5), None, (), False),
                                       (randn(3, 4, 5), None, (1,), False),
                                       (randn(3, 4, 5), "transpose", (0, 2), True),
                                       (randn(6, 7, dtype=torch.float64), "slice", (-1,), False)]:
            t = t.clone()
            if p == 0.0:
                t[t.abs() < 0.5] = 0  # some exact zeros to count
            ins = Inputs()
            x = ins.add(t, view)
            out = torch.norm(x, p, dim=list(dims), keepdim=keepdim) if dims else torch.norm(x, p)
            cases.append(case(f"norm p={p} dims={list(dims)} view={view}", "norm", ins, [out],
                              p=encode_value(p), dims=list(dims), keepdim=keepdim))

    for t, view, shape in [(randn(2, 3, 4), None, (3, 1)), (randn(2, 3, 4), None, (4,)),
                           (randn(2, 3, 4), None, (1, 1, 4)), (randn(2, 3, 4), None, ()),
                           (randn(2, 3, 4), None, (2, 3, 4)), (randn(2, 4, 3), "transpose", (2, 1, 4)),
                           (randn(3, 1), "expand", (1,)), (torch.randint(0, 9, (2, 3)), None, (3,))]:
        ins = Inputs()
        x = ins.add(t, view, (2, 3, 4) if view == "expand" else None)
        # sum_to is what autograd does to a broadcast gradient: sum the leading dims and the
        # dims where the target has size 1.
        lead = x.dim() - len(shape)
        dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1]
        out = x.sum(dim=dims, keepdim=True) if dims else x.clone()
        out = out.reshape(shape)
        cases.append(case(f"sum_to {list(x.shape)} -> {list(shape)} view={view}", "sum_to", ins, [out],
                          shape=list(shape)))
    return cases


def linalg_cases():
    cases = []

    def add(op, a, b, view_a=None, view_b=None, expand_a=None, expand_b=None, dtype=torch.float32):
        ins = Inputs()
        x = ins.add(a.to(dtype), view_a, expand_a)
        y = ins.add(b.to(dtype), view_b, expand_b)
        out = {"mm": torch.mm, "bmm": torch.bmm, "matmul": torch.matmul}[op](x, y)
        cases.append(case(f"{op} {DTYPES[dtype]} {list(x.shape)} x {list(y.shape)} views={view_a},{view_b}",
                          op, ins, [out]))

    add("mm", randn(5, 7), randn(7, 3))
    add("mm", randn(7, 5), randn(7, 3), view_a="transpose")
    add("mm", randn(5, 7), randn(3, 7), view_b="transpose")
    add("mm", randn(7, 5), randn(3, 7), view_a="transpose", view_b="transpose")
    add("mm", randn(6, 14), randn(8, 3), view_a="slice", view_b="slice")  # no unit stride: copied
    add("mm", randn(5, 7), randn(7, 3), dtype=torch.float64)
    add("mm", randn(1, 7), randn(7, 1))
    add("mm", randn(4, 0), randn(0, 3))
    add("mm", randn(0, 4), randn(4, 3))
    add("bmm", randn(4, 5, 6), randn(4, 6, 3))
    add("bmm", randn(4, 5, 6), randn(4, 3, 6), view_b="transpose")
    add("bmm", randn(1, 5, 6), randn(4, 6, 3), view_a="expand", expand_a=(4, 5, 6))
    add("bmm", randn(3, 5, 6), randn(3, 6, 2), dtype=torch.float64)
    add("matmul", randn(7), randn(7))
    add("matmul", randn(5, 7), randn(7))
    add("matmul", randn(7), randn(7, 3))
    add("matmul", randn(5, 7), randn(7, 3))
    add("matmul", randn(2, 5, 7), randn(7, 3))  # batch folded into rows: one gemm
    add("matmul", randn(2, 7, 5), randn(7, 3), view_a="transpose")
    add("matmul", randn(5, 7), randn(2, 7, 3))
    add("matmul", randn(7), randn(2, 7, 3))
    add("matmul", randn(2, 5, 7), randn(7))
    add("matmul", randn(2, 1, 3, 4), randn(5, 4, 2))
    add("matmul", randn(2, 1, 4, 3), randn(5, 2, 4), view_a="transpose", view_b="transpose")
    add("matmul", randn(3, 4, 5), randn(3, 5, 2), dtype=torch.float64)
    add("matmul", randn(3, 14), randn(5, 7, 5), view_a="slice", view_b="slice")

    # gemm: C = alpha * op(A) op(B) + beta * C
    for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
        ins = Inputs()
        a = ins.add(randn(7, 5) if ta else randn(5, 7))
        b = ins.add(randn(3, 7) if tb else randn(7, 3))
        c = ins.add(randn(5, 3))
        opa = a.t() if ta else a
        opb = b.t() if tb else b
        out = 1.5 * (opa @ opb) - 0.5 * c
        cases.append(case(f"gemm ta={ta} tb={tb}", "gemm", ins, [out], transpose_a=ta, transpose_b=tb,
                          alpha=1.5, beta=-0.5))
    return cases


def index_cases():
    cases = []
    for t, view, dim, index in [
        (randn(5, 4), None, 0, [4, 0, 2, 2, 1]),
        (randn(5, 4), None, 1, [3, 3, 0]),
        (randn(5, 4), None, -1, []),
        (randn(3, 4, 5), None, 1, [1, 0]),
        (randn(3, 4, 5), "transpose", 2, [3, 1, 3]),
        (randn(5, 4), "transpose", 1, [0, 4, 4]),
        (randn(6, 9), "slice", 0, [4, 0]),
        (randn(5, 4, dtype=torch.float64), None, 0, [1, 3]),
        (torch.randint(-9, 9, (5, 4)), None, 1, [2, 0]),
    ]:
        ins = Inputs()
        x = ins.add(t, view)
        idx = ins.add(torch.tensor(index, dtype=torch.int64))
        cases.append(case(f"index_select dim={dim} {DTYPES[t.dtype]} {list(x.shape)} view={view}",
                          "index_select", ins, [torch.index_select(x, dim, idx)], dim=dim))

    for t, view, dim, index_shape in [(randn(4, 5), None, 0, (3, 5)), (randn(4, 5), None, 1, (4, 7)),
                                      (randn(4, 5), None, 1, (2, 3)), (randn(3, 4, 5), None, -1, (3, 2, 5)),
                                      (randn(5, 4), "transpose", 0, (6, 3)),
                                      (torch.randint(-9, 9, (4, 5)), None, 0, (2, 5))]:
        ins = Inputs()
        x = ins.add(t, view)
        idx = ins.add(torch.randint(0, x.shape[dim], index_shape))
        cases.append(case(f"gather dim={dim} {DTYPES[t.dtype]} {list(x.shape)} index={list(index_shape)} view={view}",
                          "gather", ins, [torch.gather(x, dim, idx)], dim=dim))

    for shape, dim, index_shape, src_shape, view in [((4, 5), 0, (6, 5), (6, 5), None),
                                                     ((4, 5), 1, (4, 9), (4, 9), None),
                                                     ((4, 5), 0, (2, 3), (3, 4), None),
                                                     ((3, 4, 5), -2, (3, 6, 5), (3, 6, 5), None),
                                                     ((5, 4), 1, (4, 7), (4, 7), "transpose")]:
        ins = Inputs()
        x = ins.add(randn(*shape), view)
        idx = ins.add(torch.randint(0, x.shape[dim], index_shape))
        src = ins.add(randn(*src_shape))
        cases.append(case(f"scatter_add dim={dim} {list(x.shape)} index={list(index_shape)} view={view}",
                          "scatter_add", ins, [torch.scatter_add(x, dim, idx, src)], dim=dim))

    for shape, dim, index, alpha, view, dtype in [((5, 4), 0, [4, 0, 4, 2], 1.0, None, torch.float32),
                                                  ((5, 4), 1, [3, 3, 0], 2.5, None, torch.float32),
                                                  ((3, 4, 5), -1, [0, 4], -1.0, None, torch.float64),
                                                  ((4, 5), 0, [1, 1, 3], 0.5, "transpose", torch.float32),
                                                  ((5, 4), 0, [0, 2], 3.0, None, torch.int64)]:
        ins = Inputs()
        base = randn(*shape) if dtype != torch.int64 else torch.randint(-9, 9, shape)
        x = ins.add(base.to(dtype), view)
        idx = ins.add(torch.tensor(index, dtype=torch.int64))
        src_shape = list(x.shape)
        src_shape[dim] = len(index)
        src = ins.add((randn(*src_shape) if dtype != torch.int64 else torch.randint(-9, 9, src_shape)).to(dtype))
        out = x.clone().index_add_(dim, idx, src, alpha=alpha)
        cases.append(case(f"index_add_ dim={dim} {DTYPES[dtype]} {list(x.shape)} alpha={alpha} view={view}",
                          "index_add_", ins, [out], dim=dim, alpha=alpha))
    return cases


def join_cases():
    cases = []
    for op, parts, dim in [
        ("cat", [(randn(2, 3), None), (randn(4, 3), None)], 0),
        ("cat", [(randn(2, 3), None), (randn(2, 1), None), (randn(2, 5), None)], 1),
        ("cat", [(randn(2, 3, 4), None), (randn(2, 3, 2), None)], -1),
        ("cat", [(randn(3, 2), "transpose"), (randn(2, 4), None)], 1),
        ("cat", [(randn(3, 7), "slice"), (randn(2, 4), None)], 0),
        ("cat", [(randn(0), None), (randn(2, 3), None), (randn(0), None)], 1),
        ("cat", [(randn(2, 0), None), (randn(2, 3), None)], 1),
        ("cat", [(randn(3, 2, dtype=torch.float64), None), (randn(1, 2, dtype=torch.float64), None)], 0),
        ("cat", [(torch.randint(-9, 9, (2, 2)), None), (torch.randint(-9, 9, (2, 3)), None)], 1),
        ("stack", [(randn(2, 3), None), (randn(2, 3), None), (randn(2, 3), None)], 0),
        ("stack", [(randn(2, 3), None), (randn(3, 2), "transpose")], 1),
        ("stack", [(randn(2, 3), None), (randn(2, 3), None)], -1),
        ("stack", [(randn(3, 7), "slice"), (randn(2, 4), None)], 2),
        ("stack", [(torch.randint(-9, 9, (4,)), None), (torch.randint(-9, 9, (4,)), None)], 0),
    ]:
        ins = Inputs()
        xs = [ins.add(t, view) for t, view in parts]
        out = getattr(torch, op)(xs, dim)
        shapes = " ".join(str(list(x.shape)) for x in xs)
        cases.append(case(f"{op} dim={dim} {shapes}", op, ins, [out], dim=dim))
    return cases


def main():
    torch.manual_seed(SEED)
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED,
           "cases": {"reduce": reduce_cases(), "linalg": linalg_cases(), "index": index_cases(),
                     "join": join_cases()}}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", "core_ops.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in doc["cases"].items()))


if __name__ == "__main__":
    main()
