#!/usr/bin/env python3
"""Golden data for the activations of autograd/ops_activation.h: gelu, silu, softplus, leaky_relu, elu.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/activations.py
Writes tests/data/golden/activations.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [case...]}
A case is {"name", "op", "params", "input", "grad_output", "output", "grad_input",
"output_float64", "grad_input_float64"}: torch.nn.functional.<op>(input, **params) and the gradient
of sum(output * grad_output), in float32 and (from the same values) in float64. The inputs hold
random values plus the kinks and thresholds (0, +-threshold / beta) and large magnitudes.
"""
import torch
import torch.nn.functional as F

from golden_json import encode, write_golden

SEED = 0

CASES = [
    ("gelu none", "gelu", {"approximate": "none"}),
    ("gelu tanh", "gelu", {"approximate": "tanh"}),
    ("silu", "silu", {}),
    ("softplus default", "softplus", {"beta": 1.0, "threshold": 20.0}),
    ("softplus beta 2 threshold 5", "softplus", {"beta": 2.0, "threshold": 5.0}),
    ("softplus beta -0.5", "softplus", {"beta": -0.5, "threshold": 20.0}),
    ("leaky_relu default", "leaky_relu", {"negative_slope": 0.01}),
    ("leaky_relu 0.2", "leaky_relu", {"negative_slope": 0.2}),
    ("elu default", "elu", {"alpha": 1.0}),
    ("elu alpha 0.5", "elu", {"alpha": 0.5}),
]


def special_values(params):
    values = [0.0, -0.0, 1e-4, -1e-4, 8.0, -8.0, 30.0, -30.0, 100.0, -100.0]
    if "threshold" in params:
        t = params["threshold"] / params["beta"]
        values += [t, -t, t * 1.01, t * 0.99]
    return torch.tensor(values)


def run(op, params, x, dy):
    x = x.detach().requires_grad_()
    y = getattr(F, op)(x, **params)
    (y * dy).sum().backward()
    return y, x.grad


def main():
    torch.manual_seed(SEED)
    cases = []
    for name, op, params in CASES:
        x = torch.cat([3 * torch.randn(24), special_values(params)])
        x = x[: (x.numel() // 6) * 6].reshape(-1, 6)
        dy = torch.randn(x.shape)
        y, dx = run(op, params, x, dy)
        y64, dx64 = run(op, params, x.double(), dy.double())
        cases.append({"name": name, "op": op, "params": params, "input": encode(x), "grad_output": encode(dy),
                      "output": encode(y), "grad_input": encode(dx), "output_float64": encode(y64),
                      "grad_input_float64": encode(dx64)})
    write_golden("activations", cases, SEED)

if __name__ == "__main__":
    main()
