#!/usr/bin/env python3
"""Golden data for ember's losses: cross_entropy, nll_loss, mse_loss, binary_cross_entropy_with_logits
and margin_ranking_loss, with every reduction, ignore_index, class weights and label_smoothing.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/nn_losses.py
Writes tests/data/golden/nn_losses.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [...]}
A tensor is {"shape": [...], "dtype": "float32", "data": [flat row-major values]}; NaN and
infinities are the strings "nan", "inf", "-inf".

Each case: {"name", "loss", "options", "inputs": {name: tensor}, "requires_grad": [input names],
"upstream", "output", "grads": {name: tensor}}. The test calls the ember loss with the same
options, backpropagates loss = sum(output * upstream) and compares the output and the gradient of
every input listed in requires_grad. Options use PyTorch's keyword names; "weight" and
"pos_weight", when present, are entries of "inputs".
"""
import json
import os

import torch
import torch.nn.functional as F

from golden_json import encode

SEED = 0
FORMAT_VERSION = 1




FUNCTIONS = {
    "cross_entropy": lambda i, o: F.cross_entropy(i["input"], i["target"], weight=i.get("weight"), **o),
    "nll_loss": lambda i, o: F.nll_loss(i["input"], i["target"], weight=i.get("weight"), **o),
    "mse_loss": lambda i, o: F.mse_loss(i["input"], i["target"], **o),
    "binary_cross_entropy_with_logits": lambda i, o: F.binary_cross_entropy_with_logits(
        i["input"], i["target"], weight=i.get("weight"), pos_weight=i.get("pos_weight"), **o),
    "margin_ranking_loss": lambda i, o: F.margin_ranking_loss(i["input1"], i["input2"], i["target"], **o),
}


def case(name, loss, inputs, requires_grad, **options):
    leaves = {k: (v.clone().requires_grad_(True) if k in requires_grad else v) for k, v in inputs.items()}
    out = FUNCTIONS[loss](leaves, options)
    upstream = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(1.5)
    (out * upstream).sum().backward()
    return {"name": name, "loss": loss, "options": options,
            "inputs": {k: encode(v) for k, v in inputs.items()}, "requires_grad": requires_grad,
            "upstream": encode(upstream), "output": encode(out),
            "grads": {k: encode(leaves[k].grad) for k in requires_grad}}


def reductions(name, loss, inputs, requires_grad, **options):
    return [case(f"{name}, {r}", loss, inputs, requires_grad, reduction=r, **options) for r in ("none", "mean", "sum")]


def cross_entropy_cases():
    N, C = 6, 5
    x = torch.randn(N, C)
    y = torch.randint(0, C, (N,))
    w = torch.rand(C) + 0.5
    y_ignored = y.clone()
    y_ignored[[1, 4]] = -100
    y_two = y.clone()
    y_two[0] = 2
    cases = []
    cases += reductions("logits [6, 5]", "cross_entropy", {"input": x, "target": y}, ["input"])
    cases += reductions("class weights", "cross_entropy", {"input": x, "target": y, "weight": w}, ["input"])
    cases += reductions("ignore_index -100", "cross_entropy", {"input": x, "target": y_ignored}, ["input"])
    cases += reductions("ignore_index 2 (a valid class)", "cross_entropy", {"input": x, "target": y_two}, ["input"],
                        ignore_index=2)
    cases += reductions("weights and ignore_index", "cross_entropy", {"input": x, "target": y_ignored, "weight": w},
                        ["input"])
    cases += reductions("label_smoothing 0.1", "cross_entropy", {"input": x, "target": y}, ["input"], label_smoothing=0.1)
    cases += reductions("label_smoothing 0.25, weights, ignore_index", "cross_entropy",
                        {"input": x, "target": y_ignored, "weight": w}, ["input"], label_smoothing=0.25)
    all_ignored = torch.full((N,), -100, dtype=torch.int64)
    cases += reductions("all targets ignored", "cross_entropy", {"input": x, "target": all_ignored}, ["input"])
    cases += reductions("unbatched [5]", "cross_entropy", {"input": torch.randn(C), "target": torch.tensor(3)}, ["input"])
    # K-dimensional: [N, C, d1, d2] against [N, d1, d2].
    xk = torch.randn(2, 4, 3, 2)
    yk = torch.randint(0, 4, (2, 3, 2))
    yk[0, 1, 1] = -100
    cases += reductions("K-dim [2, 4, 3, 2]", "cross_entropy", {"input": xk, "target": yk, "weight": torch.rand(4) + 0.5},
                        ["input"], label_smoothing=0.1)
    # Probability targets, with a gradient for the target too.
    p = torch.softmax(torch.randn(N, C), dim=1)
    cases += reductions("probability targets", "cross_entropy", {"input": x, "target": p}, ["input", "target"])
    cases += reductions("probability targets, weights, label_smoothing 0.2", "cross_entropy",
                        {"input": x, "target": p, "weight": w}, ["input", "target"], label_smoothing=0.2)
    # Stability: logits far beyond float32's exp range.
    big = torch.tensor([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0], [88.0, 89.0, 90.0]])
    cases += reductions("logits of +-1000", "cross_entropy", {"input": big, "target": torch.tensor([0, 2, 1])}, ["input"])
    return cases


def nll_cases():
    N, C = 7, 4
    lp = torch.log_softmax(torch.randn(N, C), dim=1)
    y = torch.randint(0, C, (N,))
    y[3] = -100
    w = torch.rand(C) + 0.5
    cases = []
    cases += reductions("log-probabilities [7, 4]", "nll_loss", {"input": lp, "target": y}, ["input"])
    cases += reductions("class weights", "nll_loss", {"input": lp, "target": y, "weight": w}, ["input"])
    cases += reductions("ignore_index 1", "nll_loss", {"input": lp, "target": y.clamp(min=0)}, ["input"], ignore_index=1)
    lpk = torch.log_softmax(torch.randn(2, C, 3), dim=1)
    cases += reductions("K-dim [2, 4, 3]", "nll_loss", {"input": lpk, "target": torch.randint(0, C, (2, 3)), "weight": w},
                        ["input"])
    return cases


def mse_cases():
    x, t = torch.randn(3, 4), torch.randn(3, 4)
    return reductions("[3, 4]", "mse_loss", {"input": x, "target": t}, ["input", "target"])


def bce_cases():
    x = torch.randn(4, 3) * 3
    x[0, 0] = 0.0     # the kink of max(-x, 0) and |x|: the gradient must still be sigmoid(0) - y
    x[1, 1] = 40.0    # exp(-x) underflows
    x[2, 2] = -40.0   # the naive log(sigmoid(x)) overflows
    t = torch.rand(4, 3)
    t[0, 1] = 1.0
    t[3, 0] = 0.0
    w = torch.rand(4, 3) + 0.5
    pos_weight = torch.tensor([0.5, 2.0, 3.0])
    cases = []
    cases += reductions("logits [4, 3]", "binary_cross_entropy_with_logits", {"input": x, "target": t}, ["input", "target"])
    cases += reductions("weight", "binary_cross_entropy_with_logits", {"input": x, "target": t, "weight": w},
                        ["input", "target"])
    cases += reductions("pos_weight", "binary_cross_entropy_with_logits",
                        {"input": x, "target": t, "pos_weight": pos_weight}, ["input", "target"])
    cases += reductions("weight and pos_weight", "binary_cross_entropy_with_logits",
                        {"input": x, "target": t, "weight": w[0], "pos_weight": pos_weight}, ["input", "target"])
    return cases


def margin_cases():
    x1, x2 = torch.randn(6), torch.randn(6)
    y = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, 1.0])
    x1[5], x2[5] = 1.5, 1.0  # with margin 0.5 the hinge sits exactly at 0: clamp passes the gradient
    cases = []
    cases += reductions("margin 0", "margin_ranking_loss", {"input1": x1, "input2": x2, "target": y}, ["input1", "input2"])
    cases += reductions("margin 0.5", "margin_ranking_loss", {"input1": x1, "input2": x2, "target": y},
                        ["input1", "input2"], margin=0.5)
    return cases


def main():
    torch.manual_seed(SEED)
    cases = cross_entropy_cases() + nll_cases() + mse_cases() + bce_cases() + margin_cases()
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED, "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "golden", "nn_losses.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {os.path.normpath(path)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
