#!/usr/bin/env python3
"""Golden programs for in-place ops and the tape: what PyTorch computes, or where it refuses.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/inplace.py
Writes tests/data/golden/inplace.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "programs": [...]}

A program is a few named float64 tensors ("tensors", with "requires_grad" naming the leaves that
need gradients) and a list of steps, each [result, op, args...]:
  out of place  ["y", "mul", "a", "b"]   mul add sub div (tensors), muls adds (tensor, scalar),
                ["y", "exp", "a"]        exp tanh sigmoid relu clone,
                ["y", "narrow", "a", dim, start, length], ["y", "transpose", "a"];
  in place      ["a", "mul_", "b"]        mul_ add_ sub_ div_ copy_ (tensor operand),
                ["a", "mul_s", k]         mul_s add_s sub_s div_s fill_ (scalar operand),
                ["a", "clamp_", lo, hi], ["a", "relu_"], ["a", "zero_"],
                ["a", "masked_fill_", "mask", value]   (mask: a stored bool tensor);
  "no_grad": true on a step runs it under torch.no_grad().
The loss is sum(tensors[loss] * upstream). "expect" is {"grads": {leaf: tensor}} or
{"error_at": step index | "backward", "message": PyTorch's text}. "ember_refuses_at" marks the
programs where ember refuses on purpose (in-place writes through views, docs/autograd.md) although
PyTorch computes a gradient; the test checks that ember raises there.
"""
import json
import os

import torch

from golden_json import encode

SEED = 0
FORMAT_VERSION = 1

OUT_OF_PLACE = {
    "mul": lambda a, b: a * b, "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "div": lambda a, b: a / b,
    "muls": lambda a, k: a * k, "adds": lambda a, k: a + k,
    "exp": torch.exp, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "clone": torch.clone,
    "narrow": lambda a, d, s, n: a.narrow(d, s, n), "transpose": lambda a: a.t(),
}
IN_PLACE = {
    "mul_": lambda a, b: a.mul_(b), "add_": lambda a, b: a.add_(b), "sub_": lambda a, b: a.sub_(b),
    "div_": lambda a, b: a.div_(b), "copy_": lambda a, b: a.copy_(b),
    "mul_s": lambda a, k: a.mul_(k), "add_s": lambda a, k: a.add_(k), "sub_s": lambda a, k: a.sub_(k),
    "div_s": lambda a, k: a.div_(k), "fill_": lambda a, k: a.fill_(k),
    "clamp_": lambda a, lo, hi: a.clamp_(lo, hi), "relu_": lambda a: a.relu_(), "zero_": lambda a: a.zero_(),
    "masked_fill_": lambda a, m, v: a.masked_fill_(m, v),
}
TENSOR_ARGS = {"mul", "add", "sub", "div", "mul_", "add_", "sub_", "div_", "copy_"}


def run(program):
    env = {name: t.clone().requires_grad_(name in program["requires_grad"]) for name, t in program["tensors"].items()}
    for i, step in enumerate(program["steps"]):
        result, op, *args = step["step"]
        resolved = [env[a] if isinstance(a, str) else a for a in args]
        try:
            with torch.no_grad() if step.get("no_grad") else torch.enable_grad():
                if op in IN_PLACE:
                    IN_PLACE[op](env[result], *resolved)
                else:
                    env[result] = OUT_OF_PLACE[op](*resolved)
        except RuntimeError as e:
            return {"error_at": i, "message": str(e).split("\n")[0]}
    loss = (env[program["loss"]] * program["upstream"]).sum()
    try:
        loss.backward()
    except RuntimeError as e:
        return {"error_at": "backward", "message": str(e).split("\n")[0]}
    return {"grads": {name: encode(env[name].grad) if env[name].grad is not None else None
                      for name in program["requires_grad"]}}


def program(name, tensors, requires_grad, steps, loss, ember_refuses_at=None):
    steps = [s if isinstance(s, dict) else {"step": s} for s in steps]
    p = {"tensors": tensors, "requires_grad": requires_grad, "steps": steps, "loss": loss}
    # The loss shape: run the forward once without backward to learn it.
    env = {n: t.clone() for n, t in tensors.items()}
    try:
        for s in steps:
            result, op, *args = s["step"]
            resolved = [env[a] if isinstance(a, str) else a for a in args]
            if op in IN_PLACE:
                IN_PLACE[op](env[result], *resolved)
            else:
                env[result] = OUT_OF_PLACE[op](*resolved)
        p["upstream"] = torch.randn(env[loss].shape, dtype=torch.float64)
    except RuntimeError:
        p["upstream"] = torch.randn(tensors[loss].shape if loss in tensors else (), dtype=torch.float64)
    expect = run(p)
    out = {"name": name, "tensors": {n: encode(t) for n, t in tensors.items()}, "requires_grad": requires_grad,
           "steps": steps, "loss": loss, "upstream": encode(p["upstream"]), "expect": expect}
    if ember_refuses_at is not None:
        out["ember_refuses_at"] = ember_refuses_at
    return out


def r(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def programs():
    w, c, v = r(4), r(4), r(4)
    away = torch.tensor([0.9, -1.3, 1.7, -0.6], dtype=torch.float64)  # away from relu/clamp kinks
    mask = torch.tensor([True, False, True, False])
    P = []
    P.append(program("mul_ by a scalar on a copy of a leaf", {"w": w}, ["w"],
                     [["h", "adds", "w", 0.0], ["h", "mul_s", 2.0]], "h"))
    P.append(program("mul_ by a scalar after mul", {"w": w, "c": c}, ["w"],
                     [["y", "mul", "w", "c"], ["y", "mul_s", 3.0]], "y"))
    P.append(program("mul_ by a tensor that requires grad", {"w": w, "v": v}, ["w", "v"],
                     [["y", "muls", "w", 1.5], ["y", "mul_", "v"]], "y"))
    P.append(program("add_ of a residual", {"w": w, "v": v}, ["w", "v"],
                     [["x", "tanh", "w"], ["x", "add_", "v"], ["z", "mul", "x", "x"]], "z"))
    P.append(program("sub_ and div_ with tensors", {"w": w, "v": v + 3.0}, ["w", "v"],
                     [["y", "exp", "w"], ["y", "sub_", "w"], ["y", "div_", "v"]], "y"))
    P.append(program("add_ of a residual after a linear op", {"w": w, "v": v}, ["w", "v"],
                     [["x", "muls", "w", 2.0], ["x", "add_", "v"], ["z", "mul", "x", "x"]], "z"))
    P.append(program("sub_ and div_ with tensors after a linear op", {"w": w, "v": v + 3.0}, ["w", "v"],
                     [["y", "muls", "w", 1.5], ["y", "sub_", "w"], ["y", "div_", "v"], ["z", "mul", "y", "w"]], "z"))
    P.append(program("masked_fill_ after a linear op", {"w": w, "m": mask}, ["w"],
                     [["y", "muls", "w", 1.5], ["y", "masked_fill_", "m", 0.5], ["z", "mul", "y", "y"]], "z"))
    P.append(program("clamp_ on a non-leaf", {"w": away}, ["w"],
                     [["y", "muls", "w", 1.0], ["y", "clamp_", -1.0, 1.0], ["z", "mul", "y", "y"]], "z"))
    P.append(program("relu_ then out-of-place", {"w": away}, ["w"],
                     [["y", "muls", "w", 2.0], ["y", "relu_"], ["z", "muls", "y", 3.0]], "z"))
    P.append(program("masked_fill_ on a non-leaf", {"w": w, "m": mask}, ["w"],
                     [["y", "exp", "w"], ["y", "masked_fill_", "m", 0.5]], "y"))
    P.append(program("copy_ makes a constant require grad", {"x": torch.zeros(4, dtype=torch.float64), "w": w}, ["w"],
                     [["x", "copy_", "w"], ["z", "mul", "x", "x"]], "z"))
    P.append(program("mul_ by a tensor that requires grad puts a constant into the graph",
                     {"b": c, "w": w}, ["w"], [["b", "mul_", "w"]], "b"))
    P.append(program("zero_ and fill_ cut the old history", {"w": w, "v": v}, ["w", "v"],
                     [["y", "mul", "w", "v"], ["y", "zero_"], ["y", "add_", "v"], ["z", "mul", "y", "w"]], "z"))
    P.append(program("a chain of in-place ops on one non-leaf", {"w": w, "v": v}, ["w", "v"],
                     [["y", "muls", "w", 1.0], ["y", "mul_s", 2.0], ["y", "add_", "v"], ["y", "mul_", "v"],
                      ["y", "sub_s", 1.0], ["y", "div_s", 4.0]], "y"))
    P.append(program("in-place on a leaf that requires grad is an error", {"w": w}, ["w"],
                     [["w", "mul_s", 2.0]], "w"))
    P.append(program("in-place on a leaf under no_grad, then used", {"w": w}, ["w"],
                     [{"step": ["w", "mul_s", 2.0], "no_grad": True}, ["y", "mul", "w", "w"]], "y"))
    P.append(program("a saved tensor modified in place fails at backward", {"w": w}, ["w"],
                     [["y", "muls", "w", 1.0], ["z", "mul", "y", "y"], ["y", "add_s", 1.0]], "z"))
    P.append(program("exp saves its result: a later write fails at backward", {"w": w}, ["w"],
                     [["y", "exp", "w"], ["y", "mul_s", 2.0]], "y"))
    P.append(program("relu_ saves its result: a later write fails at backward", {"w": away}, ["w"],
                     [["y", "muls", "w", 1.0], ["y", "relu_"], ["y", "add_s", 1.0]], "y"))
    P.append(program("self-aliasing mul_ fails at backward", {"w": w}, ["w"],
                     [["y", "muls", "w", 1.0], ["y", "mul_", "y"]], "y"))
    P.append(program("add_ of itself works", {"w": w}, ["w"],
                     [["y", "muls", "w", 1.0], ["y", "add_", "y"]], "y"))
    P.append(program("a no_grad write to a non-leaf is invisible to the gradient", {"w": w}, ["w"],
                     [["y", "muls", "w", 2.0], {"step": ["y", "add_s", 100.0], "no_grad": True}], "y"))
    # Views: PyTorch rebuilds the base's history (CopySlices); ember refuses the write (documented).
    P.append(program("in-place through a narrow view of a non-leaf", {"w": w, "k": torch.tensor([1., 2., 3., 4.],
                     dtype=torch.float64)}, ["w"],
                     [["b", "muls", "w", 1.0], ["s", "narrow", "b", 0, 1, 2], ["s", "mul_s", 10.0],
                      ["z", "mul", "b", "k"]], "z", ember_refuses_at=2))
    P.append(program("in-place through a view of a leaf is an error", {"w": w}, ["w"],
                     [["s", "narrow", "w", 0, 0, 2], ["s", "add_s", 1.0]], "s"))
    P.append(program("a constant written through its view with a grad operand", {"b": torch.zeros(4, dtype=torch.float64),
                     "w": r(2)}, ["w"],
                     [["s", "narrow", "b", 0, 1, 2], ["s", "copy_", "w"], ["z", "mul", "b", "b"]], "z",
                     ember_refuses_at=1))
    P.append(program("out-of-place ops on a view, then in-place on the result", {"w": r(2, 3)}, ["w"],
                     [["t", "transpose", "w"], ["y", "muls", "t", 1.0], ["y", "mul_s", 2.0], ["y", "add_", "t"]], "y"))
    return P


def main():
    torch.manual_seed(SEED)
    out = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED, "programs": programs()}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "golden", "inplace.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
