#!/usr/bin/env python3
"""Golden data for layer_norm / nn::LayerNorm, from torch.nn.functional.layer_norm.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/layer_norm.py
Writes tests/data/golden/layer_norm.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [case...]}
A case is {"name", "normalized_shape", "eps", "input", "weight"/"bias" (absent: none),
"grad_output", "output", "grads": {"input", "weight", "bias"}, "output_float64",
"grads_float64"}: y = F.layer_norm(input, normalized_shape, weight, bias, eps) and the
gradients of sum(y * grad_output), in float32 and (from the same values) in float64.
"""
import torch
import torch.nn.functional as F

from golden_json import encode, write_golden

SEED = 0


def run(x, w, b, shape, eps, dy):
    leaves = [t.detach().requires_grad_() if t is not None else None for t in (x, w, b)]
    y = F.layer_norm(leaves[0], shape, leaves[1], leaves[2], eps)
    (y * dy).sum().backward()
    return y, [t.grad if t is not None else None for t in leaves]


def make_case(name, input_shape, shape, eps=1e-5, weight=True, bias=True, x=None):
    if x is None:
        x = 2 * torch.randn(input_shape) + 0.5
    w = 1 + 0.5 * torch.randn(shape) if weight else None
    b = torch.randn(shape) if bias else None
    dy = torch.randn(x.shape)
    y, grads = run(x, w, b, shape, eps, dy)
    d = lambda t: t.double() if t is not None else None  # noqa: E731
    y64, grads64 = run(d(x), d(w), d(b), shape, eps, dy.double())
    names = ["input", "weight", "bias"]
    case = {"name": name, "normalized_shape": list(shape), "eps": eps, "input": encode(x), "grad_output": encode(dy),
            "output": encode(y), "output_float64": encode(y64),
            "grads": {n: encode(g) for n, g in zip(names, grads) if g is not None},
            "grads_float64": {n: encode(g) for n, g in zip(names, grads64) if g is not None}}
    if w is not None:
        case["weight"] = encode(w)
    if b is not None:
        case["bias"] = encode(b)
    return case


def main():
    torch.manual_seed(SEED)
    constant_rows = torch.randn(3, 5)
    constant_rows[1] = 2.5  # a constant row normalises to 0, then the bias
    cases = [
        make_case("[2, 3, 4] over [4]", (2, 3, 4), [4]),
        make_case("[2, 3, 4] over [3, 4]", (2, 3, 4), [3, 4]),
        make_case("1-D [5] over [5]", (5,), [5]),
        make_case("over every dim [2, 3]", (2, 3), [2, 3]),
        make_case("no affine", (4, 6), [6], weight=False, bias=False),
        make_case("weight only", (4, 6), [6], bias=False),
        make_case("bias only, eps 0.1", (4, 6), [6], eps=0.1, weight=False),
        make_case("one element per row", (3, 1), [1]),
        make_case("constant row", None, [5], x=constant_rows),
        make_case("large mean", None, [8], x=1000 + torch.randn(4, 8)),
        make_case("[16, 40] over [40]", (16, 40), [40]),
    ]
    write_golden("layer_norm", cases, SEED)


if __name__ == "__main__":
    main()
