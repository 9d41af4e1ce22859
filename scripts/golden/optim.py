#!/usr/bin/env python3
"""Golden data for ember's optimizers, gradient clipping and learning-rate schedulers.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/optim.py
Writes tests/data/golden/optim.json:
    {"format_version": 1, "torch_version": ..., "seed": ...,
     "cases": {"optimizers": [...], "clip": [...], "schedulers": [...], "plateau": [...]}}
A tensor is {"shape": [...], "dtype": "float64", "data": [flat row-major values]}.

optimizers: {"name", "optimizer", "options", "dtype", "param", "grads": [grad...],
             "expected": [param after step 1, ..., after step 10]}
  a dense grad is a tensor; a sparse one is {"indices": int64 [nnz], "values": [nnz, D]};
  a grad may be null (the parameter has no gradient that step). Sparse grads are uncoalesced
  (repeated rows) and leave some rows out; an empty sparse grad (nnz 0, an all-padding batch)
  is stepped as PyTorch 2.x does: PyTorch 1.13's SparseAdam and Adagrad crash on it, so here the
  step count is incremented and nothing else changes (the 2.x behaviour, PR #86459).
clip: {"name", "max_norm", "norm_type", "grads": [grad...], "total", "clipped": [dense grad...]}
  sparse grads are clipped as their dense equivalents (1.13 computes the norm of sparse grads
  but does not scale them; ember scales them).
schedulers: {"name", "scheduler", "options", "lrs": [initial lr per group], "epochs",
             "expected": [[lr per group] after construction, after step 1, ...]}
plateau: {"name", "options", "lrs", "metrics": [...], "expected": [[lr per group] after each step]}
"""
import json
import math
import os

import torch

from golden_json import DTYPES, encode

SEED = 0
FORMAT_VERSION = 1
STEPS = 10



def dense_grads(shape, dtype):
    return [torch.randn(*shape, dtype=dtype) for _ in range(STEPS)]


def sparse_grads(rows, width, dtype, empty_at=None, zero_row_at=2, absent_row=None):
    """Uncoalesced row-sparse grads over a [rows, width] table: 5 entries per step with repeated
    rows; `absent_row` never appears; at step `zero_row_at` one present row has all-zero values;
    at step `empty_at` the grad is empty."""
    allowed = [r for r in range(rows) if r != absent_row]
    grads = []
    for step in range(STEPS):
        if step == empty_at:
            grads.append((torch.zeros(0, dtype=torch.int64), torch.zeros(0, width, dtype=dtype)))
            continue
        pick = torch.randint(0, len(allowed), (5,))
        indices = torch.tensor([allowed[i] for i in pick.tolist()], dtype=torch.int64)
        indices[1] = indices[0]  # always one repeated row
        values = torch.randn(5, width, dtype=dtype)
        if step == zero_row_at:
            # a present row whose only entry is all zeros: it still counts as present
            others = set(indices[[0, 1, 2, 4]].tolist())
            free = [r for r in allowed if r not in others]
            if free:
                indices[3] = free[0]
            values[3] = 0.0
        grads.append((indices, values))
    return grads


def torch_sparse(indices, values, shape):
    return torch.sparse_coo_tensor(indices.view(1, -1), values, shape)


def make_optimizer(kind, params, options):
    o = dict(options)
    if "betas" in o:
        o["betas"] = tuple(o["betas"])
    return {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
            "Adagrad": torch.optim.Adagrad, "SparseAdam": torch.optim.SparseAdam}[kind](params, **o)


def run_optimizer(name, kind, options, param0, grads, sparse):
    p = torch.nn.Parameter(param0.clone())
    opt = make_optimizer(kind, [p], options)
    expected, stored = [], []
    for g in grads:
        if sparse:
            indices, values = g
            stored.append({"indices": encode(indices), "values": encode(values)})
            if indices.numel() == 0 and kind in ("SparseAdam", "Adagrad"):
                state = opt.state[p]
                if "step" not in state:
                    raise RuntimeError("the empty grad must come after the state exists")
                state["step"] += 1  # PyTorch 2.x: counted, nothing moves (1.13 crashes)
            else:
                p.grad = torch_sparse(indices, values, p.shape)
                opt.step()
        else:
            stored.append(encode(g) if g is not None else None)
            p.grad = g.clone() if g is not None else None
            opt.step()
        expected.append(encode(p))
    return {"name": name, "optimizer": kind, "options": options, "dtype": DTYPES[param0.dtype],
            "param": encode(param0), "grads": stored, "expected": expected}


def optimizer_cases():
    cases = []
    f64 = torch.float64
    p_dense = torch.randn(4, 3, dtype=f64)
    g_dense = dense_grads((4, 3), f64)
    dense = [
        ("SGD", {"lr": 0.1}),
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
        ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True, "maximize": True}),
        ("Adam", {"lr": 0.01}),
        ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
        ("Adam", {"lr": 0.01, "amsgrad": True}),
        ("Adam", {"lr": 0.01, "maximize": True}),
        ("Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True}),
        ("Adam", {"lr": 0.05, "eps": 0.1}),  # a large eps pins down where eps enters
        ("AdamW", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
        ("Adagrad", {"lr": 0.1}),
        ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
        ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}),
    ]
    for kind, options in dense:
        name = f"{kind} dense " + " ".join(f"{k}={v}" for k, v in options.items())
        cases.append(run_optimizer(name, kind, options, p_dense, g_dense, sparse=False))

    # A parameter that has no gradient on some steps is skipped entirely those steps.
    g_gaps = [g if i not in (0, 4) else None for i, g in enumerate(g_dense)]
    for kind, options in [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9})]:
        cases.append(run_optimizer(f"{kind} dense with missing grads", kind, options, p_dense, g_gaps, sparse=False))

    p_table = torch.randn(6, 3, dtype=f64)
    g_sparse = sparse_grads(6, 3, f64, absent_row=5)
    g_sparse_empty = sparse_grads(6, 3, f64, empty_at=4, absent_row=5)
    sparse = [
        ("SGD", {"lr": 0.1}, g_sparse),
        ("SGD", {"lr": 0.1, "momentum": 0.9}, g_sparse),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, g_sparse),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "maximize": True}, g_sparse),
        ("SGD", {"lr": 0.1, "momentum": 0.9}, g_sparse_empty),
        ("Adagrad", {"lr": 0.1}, g_sparse),
        ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.1, "maximize": True}, g_sparse),
        ("Adagrad", {"lr": 0.1}, g_sparse_empty),
        ("SparseAdam", {"lr": 0.01}, g_sparse),
        ("SparseAdam", {"lr": 0.02, "betas": [0.8, 0.95], "eps": 1e-6, "maximize": True}, g_sparse),
        ("SparseAdam", {"lr": 0.05, "eps": 0.1}, g_sparse),  # eps is added to the uncorrected sqrt(v)
        ("SparseAdam", {"lr": 0.01}, g_sparse_empty),
    ]
    for kind, options, grads in sparse:
        empty = " with an empty grad" if grads is g_sparse_empty else ""
        name = f"{kind} sparse{empty} " + " ".join(f"{k}={v}" for k, v in options.items())
        cases.append(run_optimizer(name, kind, options, p_table, grads, sparse=True))

    # float32 parameters (tolerance 1e-5 in the test).
    f32 = torch.float32
    p32 = torch.randn(4, 3, dtype=f32)
    g32 = dense_grads((4, 3), f32)
    cases.append(run_optimizer("Adam dense float32 lr=0.01 amsgrad=True", "Adam", {"lr": 0.01, "amsgrad": True},
                               p32, g32, sparse=False))
    t32 = torch.randn(6, 3, dtype=f32)
    s32 = sparse_grads(6, 3, f32, absent_row=5)
    cases.append(run_optimizer("SparseAdam sparse float32 lr=0.01", "SparseAdam", {"lr": 0.01}, t32, s32, sparse=True))
    return cases


def clip_cases():
    cases = []
    f64 = torch.float64
    dense = [torch.randn(4, 3, dtype=f64), torch.randn(5, dtype=f64)]
    for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (0.3, math.inf), (2.0, 3.0), (100.0, 2.0)]:
        grads = [g.clone() for g in dense]
        params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        cases.append({"name": f"dense max_norm={max_norm} norm_type={norm_type}", "max_norm": max_norm,
                      "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                      "grads": [encode(g) for g in grads], "total": float(total),
                      "clipped": [encode(p.grad) for p in params]})
    # One dense and one row-sparse grad (repeated rows): clipped as their dense equivalents.
    indices = torch.tensor([3, 1, 3, 0], dtype=torch.int64)
    values = torch.randn(4, 2, dtype=f64)
    sparse_dense = torch_sparse(indices, values, (5, 2)).to_dense()
    for max_norm, norm_type in [(0.5, 2.0), (0.2, math.inf)]:
        params = [torch.nn.Parameter(torch.zeros(4, 3, dtype=f64)), torch.nn.Parameter(torch.zeros(5, 2, dtype=f64))]
        params[0].grad = dense[0].clone()
        params[1].grad = sparse_dense.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        cases.append({"name": f"sparse max_norm={max_norm} norm_type={norm_type}", "max_norm": max_norm,
                      "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                      "grads": [encode(dense[0]), {"indices": encode(indices), "values": encode(values)}],
                      "total": float(total), "clipped": [encode(p.grad) for p in params]})
    return cases


# The LambdaLR functions, by name; the test has the same table.
LAMBDAS = {
    "pow0.95": lambda e: 0.95 ** e,
    "inverse": lambda e: 1.0 / (e + 1),
    "warmup3": lambda e: min(1.0, (e + 1) / 3),
}


def scheduler_cases():
    cases = []
    specs = [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("StepLR", {"step_size": 1, "gamma": 0.1}),
        ("MultiStepLR", {"milestones": [2, 5, 5, 8], "gamma": 0.5}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.1}),
        ("CosineAnnealingLR", {"T_max": 5}),
        ("LambdaLR", {"lr_lambda": ["pow0.95", "inverse"]}),
        ("LambdaLR", {"lr_lambda": ["warmup3", "warmup3"]}),
    ]
    epochs = 14
    for kind, options in specs:
        lrs = [0.5, 0.05]
        params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
        opt = torch.optim.SGD([{"params": [params[0]], "lr": lrs[0]}, {"params": [params[1]], "lr": lrs[1]}], lr=1.0)
        o = dict(options)
        if kind == "LambdaLR":
            o["lr_lambda"] = [LAMBDAS[n] for n in options["lr_lambda"]]
        scheduler = getattr(torch.optim.lr_scheduler, kind)(opt, **o)
        expected = [[g["lr"] for g in opt.param_groups]]
        for _ in range(epochs):
            opt.step()
            scheduler.step()
            expected.append([g["lr"] for g in opt.param_groups])
        name = f"{kind} " + " ".join(f"{k}={v}" for k, v in options.items())
        cases.append({"name": name, "scheduler": kind, "options": options, "lrs": lrs, "epochs": epochs,
                      "expected": expected})
    return cases


def plateau_cases():
    cases = []
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.7, 0.71]
    specs = [
        {"mode": "min", "factor": 0.5, "patience": 2},
        {"mode": "min", "factor": 0.5, "patience": 1, "cooldown": 2, "min_lr": [0.1, 0.001]},
        {"mode": "max", "factor": 0.1, "patience": 0, "threshold": 0.05, "threshold_mode": "abs"},
        {"mode": "min", "factor": 0.9, "patience": 0, "threshold": 0.0, "eps": 0.02},
    ]
    for options in specs:
        lrs = [0.5, 0.05]
        params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
        opt = torch.optim.SGD([{"params": [params[0]], "lr": lrs[0]}, {"params": [params[1]], "lr": lrs[1]}], lr=1.0)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        expected = []
        for m in metrics:
            opt.step()
            scheduler.step(m)
            expected.append([g["lr"] for g in opt.param_groups])
        cases.append({"name": " ".join(f"{k}={v}" for k, v in options.items()), "options": options, "lrs": lrs,
                      "metrics": metrics, "expected": expected})
    return cases


def main():
    torch.manual_seed(SEED)
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED,
           "cases": {"optimizers": optimizer_cases(), "clip": clip_cases(), "schedulers": scheduler_cases(),
                     "plateau": plateau_cases()}}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", "optim.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {path}: {len(doc['cases']['optimizers'])} optimizer cases")


if __name__ == "__main__":
    main()
