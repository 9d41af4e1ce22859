"""Shared by the golden-data generators: how a torch tensor is written into a golden JSON file.

A tensor is {"shape": [...], "dtype": "float32", "data": [flat row-major values]}; NaN and
infinities are written as the strings "nan", "inf" and "-inf" (JSON has no such numbers), and
bools as 0/1 (tests/testing.cpp's tensor_from_json reads them so).
"""
import math

import torch

DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.int32: "int32",
          torch.bool: "bool"}


def encode_value(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def encode(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype == torch.bool:
        data = [int(v) for v in data]
    return {"shape": list(t.shape), "dtype": DTYPES[t.dtype], "data": [encode_value(v) for v in data]}


def write_golden(topic, cases, seed, format_version=1):
    """Writes tests/data/golden/<topic>.json with the standard header and prints where."""
    import json
    import os

    doc = {"format_version": format_version, "torch_version": torch.__version__, "seed": seed, "cases": cases}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", f"{topic}.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")
