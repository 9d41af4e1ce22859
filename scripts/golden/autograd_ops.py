#!/usr/bin/env python3
"""Golden data for ember's differentiable ops (autograd/ops.h): forward values and gradients.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/autograd_ops.py
Writes tests/data/golden/autograd_ops.json:
    {"format_version": 1, "torch_version": ..., "seed": ...,
     "cases": {"unary": [...], "binary": [...], "reduce": [...], "linalg": [...], "shape": [...],
               "index": [...]}}
Each case is {"name", "op", "params", "inputs": [tensor...], "outputs": [y]} and, for
differentiable ops, "grad_output" (a random dy of y's shape) and "grads" (dL/dinput for
L = sum(y * dy), null for inputs without a gradient). A tensor is {"shape": [...], "dtype":
"float32", "data": [flat row-major values]}; an input may carry "requires_grad": true and a
"view" that the test applies before use (same meaning as in core_ops.py):
    "transpose"  swap the last two dims
    "slice"      drop the first index of dim 0, then keep every other element of the last dim
"op" names an entry of the name -> function table in tests/autograd/test_ops_<family>.cpp,
which receives the inputs and "params" and mirrors the lambda given here.
"""
import json
import math
import os

import torch

from golden_json import encode, encode_value

SEED = 0
FORMAT_VERSION = 1


def apply_view(t, view):
    """The torch twin of input_from_json in tests/testing.cpp."""
    if view == "transpose":
        return t.transpose(-2, -1)
    if view == "slice":
        return t[1:][..., ::2]
    return t


class In:
    """One input: the stored tensor, the view the test applies, whether it gets a gradient."""

    def __init__(self, t, view=None, grad=None):
        self.t = t
        self.view = view
        self.grad = t.is_floating_point() if grad is None else grad


def randn(*shape):
    return torch.randn(shape)


def positive(*shape, low=0.5, high=2.0):
    return low + (high - low) * torch.rand(shape)


def signed_away_from_zero(*shape):
    """|v| in [0.5, 2), random sign: divisors."""
    return positive(*shape) * torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)


def small_ints(*shape, high=3):
    """Values in [0, high) as floats: many ties, for maximum/minimum/max and the comparisons."""
    return torch.randint(0, high, shape).float()


FAMILIES = {f: [] for f in ("unary", "binary", "reduce", "linalg", "shape", "index")}


def add(family, op, fn, inputs, differentiable=True, name=None, **params):
    stored, used = [], []
    for i in inputs:
        enc = encode(i.t)
        if i.view:
            enc["view"] = i.view
        u = apply_view(i.t, i.view).detach()
        if i.grad:
            enc["requires_grad"] = True
            u.requires_grad_()
        stored.append(enc)
        used.append(u)
    y = fn(used, params)
    label = name or "{} {} {}{}".format(op, " ".join(str(list(u.shape)) for u in used),
                                       json.dumps(params, sort_keys=True) if params else "",
                                       " views=" + ",".join(str(i.view) for i in inputs)
                                       if any(i.view for i in inputs) else "")
    case = {"name": label.strip(), "op": op, "params": params, "inputs": stored, "outputs": [encode(y)]}
    if differentiable:
        dy = torch.randn(y.shape, dtype=y.dtype)
        y.backward(dy)
        case["grad_output"] = encode(dy)
        case["grads"] = [None if not i.grad else encode(u.grad if u.grad is not None else torch.zeros_like(u))
                         for i, u in zip(inputs, used)]
    FAMILIES[family].append(case)


# ---- unary ------------------------------------------------------------------------------------
def unary_inputs(make):
    """[3, 4], 0-d, [7], a transposed [3, 4] and a strided [3, 5]."""
    return [In(make(3, 4)), In(make()), In(make(7)), In(make(4, 3), "transpose"), In(make(4, 9), "slice")]


def unary_cases():
    simple = {"neg": torch.neg, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
              "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt, "abs": torch.abs}
    for op, f in simple.items():
        make = positive if op in ("log", "sqrt") else randn
        for i in unary_inputs(make):
            add("unary", op, lambda x, p, f=f: f(x[0]), [i])
    # Saturated tanh/sigmoid: 1 - y^2 and y (1 - y) must give 0, not NaN.
    wide = torch.tensor([-30.0, -8.0, -0.5, 0.0, 0.5, 8.0, 30.0])
    add("unary", "tanh", lambda x, p: torch.tanh(x[0]), [In(wide)], name="tanh saturated")
    add("unary", "sigmoid", lambda x, p: torch.sigmoid(x[0]), [In(wide * 3)], name="sigmoid saturated")
    for exponent in (2.0, 3.0, 0.0, -1.0):
        for i in unary_inputs(randn):
            add("unary", "pow", lambda x, p: torch.pow(x[0], p["exponent"]), [i], exponent=exponent)
    for exponent in (0.5, -1.5, 2.7):
        for i in unary_inputs(positive):
            add("unary", "pow", lambda x, p: torch.pow(x[0], p["exponent"]), [i], exponent=exponent)
    for lo, hi in ((-0.5, 0.5), (-0.5, None), (None, 0.3)):
        for i in unary_inputs(randn):
            add("unary", "clamp", lambda x, p: torch.clamp(x[0], p["min"], p["max"]), [i], min=lo, max=hi)


# ---- binary -----------------------------------------------------------------------------------
def pairs(make_a, make_b):
    """Same shapes, broadcasting both ways, a 0-d operand, and non-contiguous operands."""
    return [
        [In(make_a(3, 4)), In(make_b(3, 4))],
        [In(make_a(3, 4)), In(make_b(4))],
        [In(make_a(3, 1)), In(make_b(1, 4))],
        [In(make_a()), In(make_b(3, 4))],
        [In(make_a(2, 3, 4)), In(make_b(3, 1))],
        [In(make_a(4, 3), "transpose"), In(make_b(4, 7), "slice")],
    ]


def binary_cases():
    for alpha in (1.0, 2.5):
        for ins in pairs(randn, randn):
            add("binary", "add", lambda x, p: torch.add(x[0], x[1], alpha=p["alpha"]), ins, alpha=alpha)
            add("binary", "sub", lambda x, p: torch.sub(x[0], x[1], alpha=p["alpha"]), ins, alpha=alpha)
    for ins in pairs(randn, randn):
        add("binary", "mul", lambda x, p: x[0] * x[1], ins)
    for ins in pairs(randn, signed_away_from_zero):
        add("binary", "div", lambda x, p: x[0] / x[1], ins)
    for ins in pairs(positive, randn):
        add("binary", "pow", lambda x, p: torch.pow(x[0], x[1]), ins)
    for ins in pairs(small_ints, small_ints):  # many ties: the gradient splits evenly there
        add("binary", "maximum", lambda x, p: torch.maximum(x[0], x[1]), ins)
        add("binary", "minimum", lambda x, p: torch.minimum(x[0], x[1]), ins)
    # mul where only one side needs a gradient (the other operand is not saved).
    add("binary", "mul", lambda x, p: x[0] * x[1], [In(randn(3, 4)), In(randn(4), grad=False)])
    for cond_shape, a_shape, b_shape in (((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((4,), (3, 4), ())):
        add("binary", "where", lambda x, p: torch.where(x[0], x[1], x[2]),
            [In(torch.rand(cond_shape) < 0.5), In(randn(*a_shape)), In(randn(*b_shape))])
    for mask_shape in ((3, 4), (4,), (3, 1)):
        add("binary", "masked_fill", lambda x, p: x[0].masked_fill(x[1], p["value"]),
            [In(randn(3, 4)), In(torch.rand(mask_shape) < 0.5)], value=-1.5)
    scalar_ops = {
        "add_scalar": lambda x, s: x + s, "radd_scalar": lambda x, s: s + x,
        "sub_scalar": lambda x, s: x - s, "rsub_scalar": lambda x, s: s - x,
        "mul_scalar": lambda x, s: x * s, "rmul_scalar": lambda x, s: s * x,
        "div_scalar": lambda x, s: x / s, "rdiv_scalar": lambda x, s: s / x,
    }
    for op, f in scalar_ops.items():
        make = signed_away_from_zero if op == "rdiv_scalar" else randn
        add("binary", op, lambda x, p, f=f: f(x[0], p["scalar"]), [In(make(3, 4))], scalar=2.5)
        add("binary", op, lambda x, p, f=f: f(x[0], p["scalar"]), [In(make(4, 3), "transpose")], scalar=-0.75)
    add("binary", "neg_operator", lambda x, p: -x[0], [In(randn(3, 4))])
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        for a, b in (((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), ())):
            add("binary", op, lambda x, p, op=op: getattr(torch, op)(x[0], x[1]),
                [In(small_ints(*a)), In(small_ints(*b))], differentiable=False)


# ---- reduce -----------------------------------------------------------------------------------
def reduce_inputs(make=randn):
    return [In(make(3, 4, 5)), In(make(4, 3), "transpose"), In(make(5, 9), "slice")]


def dims_of(p):
    return p["dims"] if p["dims"] else None


def reduce_cases():
    for op in ("sum", "mean"):
        f = getattr(torch, op)
        for dims, keepdim in (([], False), ([1], False), ([0, -1], True), ([-1], False), ([], True)):
            for i in reduce_inputs():
                if any(d >= i.t.dim() or d < -i.t.dim() for d in dims):
                    continue
                add("reduce", op, lambda x, p, f=f: f(x[0], dim=p["dims"], keepdim=p["keepdim"]) if p["dims"]
                    else (f(x[0]).reshape([1] * x[0].dim()) if p["keepdim"] else f(x[0])),
                    [i], dims=dims, keepdim=keepdim)
        add("reduce", op, lambda x, p, f=f: f(x[0]), [In(randn())], dims=[], keepdim=False)
    for op in ("max", "min"):
        for dim, keepdim in ((1, False), (0, True), (-1, False)):
            for i in reduce_inputs():
                add("reduce", op + "_dim", lambda x, p, op=op: getattr(torch, op)(x[0], p["dim"], p["keepdim"])[0],
                    [i], dim=dim, keepdim=keepdim)
        for i in [In(randn(3, 4)), In(small_ints(3, 4)), In(small_ints(4, 9), "slice"), In(randn())]:
            add("reduce", op + "_all", lambda x, p, op=op: getattr(torch, op)(x[0]), [i])
    for dim, keepdim in ((1, False), (0, True)):
        add("reduce", "argmax", lambda x, p: torch.argmax(x[0], p["dim"], p["keepdim"]),
            [In(small_ints(4, 6))], differentiable=False, dim=dim, keepdim=keepdim)
    for p_norm in (2.0, 1.0, math.inf, -math.inf, 3.0, 1.5, 0.5, 0.0):
        for dims, keepdim in (([], False), ([1], False), ([0, 2], True)):
            for i in reduce_inputs():
                if any(d >= i.t.dim() for d in dims):
                    continue
                add("reduce", "norm", lambda x, p: torch.linalg.vector_norm(
                    x[0], float(p["p"]), dim=dims_of(p), keepdim=p["keepdim"]), [i],
                    p=encode_value(p_norm), dims=dims, keepdim=keepdim)
    for op in ("softmax", "log_softmax"):
        f = getattr(torch, op)
        for dim in (0, 1, -1):
            for i in reduce_inputs():
                add("reduce", op, lambda x, p, f=f: f(x[0], p["dim"]), [i], dim=dim)
        # Large logits: exp overflows float32 above ~88 unless the row max is subtracted first.
        add("reduce", op, lambda x, p, f=f: f(x[0], p["dim"]), [In(randn(3, 5) * 60)], dim=1,
            name=op + " large logits")


# ---- linalg -----------------------------------------------------------------------------------
def linalg_cases():
    mm = lambda x, p: torch.mm(x[0], x[1])
    add("linalg", "mm", mm, [In(randn(3, 4)), In(randn(4, 5))])
    add("linalg", "mm", mm, [In(randn(4, 3), "transpose"), In(randn(5, 4), "transpose")])
    add("linalg", "mm", mm, [In(randn(4, 9), "slice"), In(randn(6, 9), "slice")])
    add("linalg", "mm", mm, [In(randn(3, 4)), In(randn(4, 5), grad=False)])
    bmm = lambda x, p: torch.bmm(x[0], x[1])
    add("linalg", "bmm", bmm, [In(randn(2, 3, 4)), In(randn(2, 4, 5))])
    add("linalg", "bmm", bmm, [In(randn(2, 4, 3), "transpose"), In(randn(2, 5, 4), "transpose")])
    matmul = lambda x, p: torch.matmul(x[0], x[1])
    for a, b in (((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
                 ((2, 1, 3, 4), (3, 4, 2)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5))):
        add("linalg", "matmul", matmul, [In(randn(*a)), In(randn(*b))])
    add("linalg", "matmul", matmul, [In(randn(2, 4, 3), "transpose"), In(randn(5, 4), "transpose")])


# ---- shape ------------------------------------------------------------------------------------
def shape_cases():
    add("shape", "view", lambda x, p: x[0].view(p["shape"]), [In(randn(3, 4))], shape=[2, 6])
    add("shape", "view", lambda x, p: x[0].view(p["shape"]), [In(randn(2, 3, 4))], shape=[-1, 4])
    add("shape", "reshape", lambda x, p: x[0].reshape(p["shape"]), [In(randn(3, 4))], shape=[12])
    add("shape", "reshape", lambda x, p: x[0].reshape(p["shape"]), [In(randn(4, 3), "transpose")], shape=[2, 6])
    for start, end in ((0, -1), (1, 2), (0, 1)):
        add("shape", "flatten", lambda x, p: torch.flatten(x[0], p["start_dim"], p["end_dim"]),
            [In(randn(2, 3, 4))], start_dim=start, end_dim=end)
    add("shape", "flatten", lambda x, p: torch.flatten(x[0], p["start_dim"], p["end_dim"]), [In(randn())],
        start_dim=0, end_dim=-1)
    for d0, d1 in ((0, 1), (0, -1), (1, 1)):
        add("shape", "transpose", lambda x, p: x[0].transpose(p["dim0"], p["dim1"]), [In(randn(2, 3, 4))],
            dim0=d0, dim1=d1)
    add("shape", "t", lambda x, p: x[0].t(), [In(randn(3, 4))])
    add("shape", "t", lambda x, p: x[0].t(), [In(randn(5))])
    add("shape", "permute", lambda x, p: x[0].permute(p["dims"]), [In(randn(2, 3, 4))], dims=[2, 0, 1])
    add("shape", "permute", lambda x, p: x[0].permute(p["dims"]), [In(randn(4, 3), "transpose")], dims=[1, 0])
    add("shape", "narrow", lambda x, p: x[0].narrow(p["dim"], p["start"], p["length"]), [In(randn(4, 5))],
        dim=1, start=1, length=3)
    add("shape", "narrow", lambda x, p: x[0].narrow(p["dim"], p["start"], p["length"]), [In(randn(4, 9), "slice")],
        dim=0, start=0, length=2)

    def python_slice(x, p):
        index = [slice(None)] * x[0].dim()
        index[p["dim"]] = slice(p["start"], p["end"])
        return x[0][tuple(index)]

    for dim, start, end in ((0, 1, 3), (1, -3, 100), (-1, -100, -1), (1, 3, 1)):
        add("shape", "slice", python_slice, [In(randn(4, 5))], dim=dim, start=start, end=end)
    for dim, index in ((0, 1), (1, -1), (-1, 2)):
        add("shape", "select", lambda x, p: x[0].select(p["dim"], p["index"]), [In(randn(3, 4))],
            dim=dim, index=index)
    for dim in (0, 2, -1):
        add("shape", "unsqueeze", lambda x, p: x[0].unsqueeze(p["dim"]), [In(randn(3, 4))], dim=dim)
    add("shape", "squeeze", lambda x, p: x[0].squeeze(), [In(randn(3, 1, 4, 1))])
    for dim in (1, -1, 0):
        add("shape", "squeeze_dim", lambda x, p: x[0].squeeze(p["dim"]), [In(randn(3, 1, 4, 1))], dim=dim)
    for source, target in (((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((1, 4), (3, -1)), ((), (2, 3))):
        add("shape", "expand", lambda x, p: x[0].expand(p["shape"]), [In(randn(*source))], shape=list(target))
    for dim, index in ((0, 1), (1, 3), (-1, 0)):
        add("shape", "unbind", lambda x, p: torch.unbind(x[0], p["dim"])[p["index"]], [In(randn(3, 4))],
            dim=dim, index=index)
    add("shape", "unbind_weighted",
        lambda x, p: sum((k + 1) * y for k, y in enumerate(torch.unbind(x[0], p["dim"]))), [In(randn(3, 4))], dim=1)
    add("shape", "contiguous", lambda x, p: x[0].contiguous(), [In(randn(4, 3), "transpose")])
    add("shape", "contiguous", lambda x, p: x[0].contiguous(), [In(randn(3, 4))])
    add("shape", "clone", lambda x, p: x[0].clone(), [In(randn(4, 9), "slice")])
    add("shape", "to", lambda x, p: x[0].to(torch.float64), [In(randn(3, 4))], dtype="float64")


# ---- index ------------------------------------------------------------------------------------
def index_cases():
    idx = lambda *values: torch.tensor(values, dtype=torch.int64)
    add("index", "index_select", lambda x, p: torch.index_select(x[0], p["dim"], x[1]),
        [In(randn(4, 5)), In(idx(3, 0, 3, 1))], dim=0)  # repeated index: gradients add up
    add("index", "index_select", lambda x, p: torch.index_select(x[0], p["dim"], x[1]),
        [In(randn(5, 4), "transpose"), In(idx(4, 4, 2))], dim=1)
    gather_index = torch.randint(0, 4, (3, 5))
    add("index", "gather", lambda x, p: torch.gather(x[0], p["dim"], x[1]), [In(randn(4, 5)), In(gather_index)],
        dim=0)
    add("index", "gather", lambda x, p: torch.gather(x[0], p["dim"], x[1]),
        [In(randn(4, 3), "transpose"), In(torch.randint(0, 4, (3, 2)))], dim=1)
    add("index", "scatter_add", lambda x, p: torch.scatter_add(x[0], p["dim"], x[1], x[2]),
        [In(randn(4, 5)), In(torch.randint(0, 4, (3, 5))), In(randn(3, 5))], dim=0)
    add("index", "scatter_add", lambda x, p: torch.scatter_add(x[0], p["dim"], x[1], x[2]),
        [In(randn(3, 4)), In(torch.randint(0, 4, (3, 6))), In(randn(3, 6))], dim=1)
    add("index", "index_add", lambda x, p: torch.index_add(x[0], p["dim"], x[1], x[2]),
        [In(randn(4, 5)), In(idx(1, 3, 1)), In(randn(3, 5))], dim=0)
    add("index", "index_add", lambda x, p: torch.index_add(x[0], p["dim"], x[1], x[2]),
        [In(randn(4, 5)), In(idx(0, 4)), In(randn(2, 4), "transpose")], dim=1)
    cat = lambda x, p: torch.cat(x, p["dim"])
    add("index", "cat", cat, [In(randn(2, 4)), In(randn(3, 4)), In(randn(1, 4))], dim=0)
    add("index", "cat", cat, [In(randn(3, 2)), In(randn(4, 3), "transpose"), In(randn(3, 1), grad=False)], dim=1)
    add("index", "cat", cat, [In(randn(2, 3, 1)), In(randn(2, 3, 2))], dim=-1)
    stack = lambda x, p: torch.stack(x, p["dim"])
    for dim in (0, 1, -1):
        add("index", "stack", stack, [In(randn(3, 4)), In(randn(4, 3), "transpose"), In(randn(3, 4))], dim=dim)


def main():
    torch.manual_seed(SEED)
    unary_cases()
    binary_cases()
    reduce_cases()
    linalg_cases()
    shape_cases()
    index_cases()
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED, "cases": FAMILIES}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden",
                        "autograd_ops.json")
    with open(os.path.normpath(path), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)}: " + ", ".join(f"{k} {len(v)}" for k, v in FAMILIES.items()))


if __name__ == "__main__":
    main()
