#!/usr/bin/env python3
"""safetensors interchange between PyTorch and ember, without the `safetensors` package.

The format is small enough to write and read by hand (https://huggingface.co/docs/safetensors):
    8 bytes   little-endian u64 N, the header size
    N bytes   JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
              padded with spaces to a multiple of 8
    rest      the tensors' raw little-endian bytes, data_offsets relative to the end of the header

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/nn_safetensors.py
writes, with PyTorch's tensors and the layout of safetensors.torch.save_file (metadata
{"format": "pt"}, entries ordered by dtype size then name):
    tests/data/golden/nn_torch_model.safetensors   state_dict of Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    tests/data/golden/nn_torch_mixed.safetensors   F64, I64, BOOL, 0-d and empty tensors
    tests/data/golden/nn_safetensors.json          {"files": {file name: {tensor name: tensor}}}

    /usr/bin/python3 scripts/golden/nn_safetensors.py --check FILE
reads FILE (e.g. one ember wrote with Module::save after loading nn_torch_model.safetensors) with
the reader below and compares every tensor with the model's values: this is how PyTorch sees
ember's checkpoints.
"""
import json
import math
import os
import struct
import sys

import torch

SEED = 0
FORMAT_VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "tests", "data", "golden")
ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.bool: "BOOL"}
TORCH_DTYPES = {v: k for k, v in ST_DTYPES.items()}
JSON_DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def encode(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype == torch.bool:
        data = [int(v) for v in data]
    return {"shape": list(t.shape), "dtype": JSON_DTYPES[t.dtype], "data": data}


def write_safetensors(path, tensors, metadata=None):
    order = sorted(tensors, key=lambda name: (-tensors[name].element_size(), name))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset, blobs = 0, []
    for name in order:
        t = tensors[name].detach().contiguous()
        blob = t.numpy().tobytes() if t.numel() else b""  # numpy writes native order: little-endian here
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header of {n} bytes does not fit in a file of {len(raw)} bytes")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = TORCH_DTYPES[entry["dtype"]]
        count = math.prod(entry["shape"])
        if end - begin != count * torch.empty((), dtype=dtype).element_size() or end > len(data):
            raise ValueError(f"{path}: {name}: data_offsets {begin, end} do not match its shape and dtype")
        buf = bytearray(data[begin:end])
        t = torch.frombuffer(buf, dtype=dtype) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(entry["shape"]).clone()
    return out, header.get("__metadata__", {})


def make_files():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    mixed = {
        "f64": torch.randn(2, 3, dtype=torch.float64),
        "i64": torch.tensor([0, -1, 2**53 + 1, -(2**62), 7], dtype=torch.int64),
        "flags": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.25),
        "empty": torch.empty(0, 3),
    }
    files = {"nn_torch_model.safetensors": model_state, "nn_torch_mixed.safetensors": mixed}
    for name, tensors in files.items():
        path = os.path.join(GOLDEN, name)
        write_safetensors(path, tensors, {"format": "pt"})
        back, metadata = read_safetensors(path)  # the reader must agree with the writer
        assert metadata == {"format": "pt"} and all(torch.equal(back[k], v) for k, v in tensors.items())
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED,
           "files": {name: {k: encode(v) for k, v in tensors.items()} for name, tensors in files.items()}}
    with open(os.path.join(GOLDEN, "nn_safetensors.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {os.path.normpath(GOLDEN)}: {', '.join(files)} and nn_safetensors.json")


def check(path):
    with open(os.path.join(GOLDEN, "nn_safetensors.json")) as f:
        expected = json.load(f)["files"]["nn_torch_model.safetensors"]
    tensors, metadata = read_safetensors(path)
    assert sorted(tensors) == sorted(expected), f"keys {sorted(tensors)} != {sorted(expected)}"
    for name, e in expected.items():
        want = torch.tensor(e["data"], dtype=torch.float32).reshape(e["shape"])
        assert torch.equal(tensors[name], want), f"{name}: {tensors[name]} != {want}"
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model.load_state_dict(tensors)  # strict: PyTorch accepts ember's names and shapes
    print(f"{path}: {len(tensors)} tensors match and load into torch.nn.Sequential (metadata {metadata})")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        make_files()
