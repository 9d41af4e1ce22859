#!/usr/bin/env python3
"""Golden data for ember's nn::Linear: outputs and every gradient, for fixed weights and inputs.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/nn_linear.py
Writes tests/data/golden/nn_linear.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [...]}
A tensor is {"shape": [...], "dtype": "float32", "data": [flat row-major values]}.

Each case builds torch.nn.Linear(in, out, bias) with PyTorch's own init (seeded), runs
y = linear(x) and backpropagates loss = sum(y * upstream) with a random `upstream`, so every
output element gets its own gradient. Stored: options, weight, bias (if any), x, upstream, y,
grad_x, grad_weight, grad_bias.
"""
import json
import os

import torch

from golden_json import encode

SEED = 0
FORMAT_VERSION = 1



def linear_case(name, in_features, out_features, bias, input_shape):
    layer = torch.nn.Linear(in_features, out_features, bias=bias)
    x = torch.randn(*input_shape, requires_grad=True)
    y = layer(x)
    upstream = torch.randn(*y.shape)
    (y * upstream).sum().backward()
    case = {"name": name, "in_features": in_features, "out_features": out_features, "bias": bias,
            "weight": encode(layer.weight), "x": encode(x), "upstream": encode(upstream), "y": encode(y),
            "grad_x": encode(x.grad), "grad_weight": encode(layer.weight.grad)}
    if bias:
        case["bias_value"] = encode(layer.bias)
        case["grad_bias"] = encode(layer.bias.grad)
    return case


def main():
    torch.manual_seed(SEED)
    cases = [
        linear_case("1-D input", 5, 4, True, [5]),
        linear_case("2-D input", 5, 4, True, [3, 5]),
        linear_case("3-D input", 6, 3, True, [2, 4, 6]),
        linear_case("1-D input, no bias", 5, 4, False, [5]),
        linear_case("2-D input, no bias", 7, 2, False, [8, 7]),
        linear_case("3-D input, no bias", 4, 5, False, [3, 2, 4]),
        linear_case("wide layer", 32, 16, True, [8, 32]),
    ]
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED, "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "golden", "nn_linear.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {os.path.normpath(path)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
