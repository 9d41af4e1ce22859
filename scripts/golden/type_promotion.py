#!/usr/bin/env python3
"""Golden table for type promotion: the dtype and values PyTorch gives, or that it refuses.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/type_promotion.py
Writes tests/data/golden/type_promotion.json:
    {"format_version": 1, "torch_version": ..., "cases": [...]}

Operands: every dtype of bool, int32, int64, float32, float64 as a 1-D tensor ("tensor") and as a
0-d tensor ("zero_dim"), and the C++ scalars true, 3 and 2.5 ("scalar", as Python's True, 3, 2.5).
Every pair (left operand a tensor or 0-d tensor, right operand anything) for the ops add, sub, mul,
div, eq, lt, maximum and where(cond, a, b) (maximum takes tensors only, as in PyTorch). A case is
{"op", "a", "b", "expect"}: an operand is {"kind", "value"} where value is an encoded tensor or
{"scalar": v, "type": "bool"|"int"|"float"}; expect is an encoded tensor or {"error": message}.
"""
import json
import os

import torch

from golden_json import encode

FORMAT_VERSION = 1
DTYPES = [torch.bool, torch.int32, torch.int64, torch.float32, torch.float64]
# Values every dtype holds exactly, nonzero so div never divides by zero, with ties for eq/lt.
VALUES = {torch.bool: [True, False, True], "int": [3, 1, 2], "float": [2.5, 1.0, 3.0]}
SCALARS = [("bool", True), ("int", 3), ("float", 2.5)]


def values_for(dtype):
    if dtype == torch.bool:
        return VALUES[torch.bool]
    return VALUES["float"] if dtype.is_floating_point else VALUES["int"]


def tensor_operands():
    for dtype in DTYPES:
        yield {"kind": "tensor", "value": torch.tensor(values_for(dtype), dtype=dtype)}
        yield {"kind": "zero_dim", "value": torch.tensor(values_for(dtype)[1], dtype=dtype)}


def scalar_operands():
    for type_name, v in SCALARS:
        yield {"kind": "scalar", "value": v, "type": type_name}


def encode_operand(o):
    if o["kind"] == "scalar":
        return {"kind": "scalar", "value": {"scalar": o["value"], "type": o["type"]}}
    return {"kind": o["kind"], "value": encode(o["value"])}


COND = torch.tensor([True, False, False])
OPS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "eq": torch.eq,
    "lt": torch.lt,
    "maximum": torch.maximum,
    "where": lambda a, b: torch.where(COND, a, b),
}


def cases():
    out = []
    for op, fn in OPS.items():
        for a in tensor_operands():
            rights = list(tensor_operands())
            if op != "maximum":
                rights += list(scalar_operands())
            for b in rights:
                try:
                    expect = encode(fn(a["value"], b["value"]))
                except (RuntimeError, TypeError) as e:
                    expect = {"error": str(e).split("\n")[0]}
                out.append({"op": op, "a": encode_operand(a), "b": encode_operand(b), "expect": expect})
    return out


def main():
    out = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "cases": cases()}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "golden", "type_promotion.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
