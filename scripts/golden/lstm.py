#!/usr/bin/env python3
"""Golden data for nn::LSTM: outputs, final states and every gradient, from torch.nn.LSTM.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/lstm.py
Writes tests/data/golden/lstm.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [case...]}
A case is
    {"name", "options": {input_size, hidden_size, num_layers, bias, batch_first, bidirectional},
     "params": {state_dict name: tensor}, "input": tensor, "h0"/"c0"/"lengths": tensor (optional),
     "loss_weights": {"output", "h_n", "c_n"}, "expected": {"output", "h_n", "c_n"},
     "grads": {"input", "h0", "c0", <parameter name>...},
     "expected_float64", "grads_float64": the same computed in float64 from the same values}
The loss is sum(output * w_output) + sum(h_n * w_h_n) + sum(c_n * w_c_n), so every output
receives a gradient. Cases with "lengths" run PyTorch on pack_padded_sequence(enforce_sorted=False)
and pad_packed_sequence(total_length=T): padded outputs are 0 and h_n/c_n are each sequence's
final valid state. Dropout is 0 (the module is in eval mode). A tensor is
{"shape": [...], "dtype": "float32", "data": [flat row-major values]}.
"""
import copy
import json
import os

import numpy
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SEED = 0
FORMAT_VERSION = 1
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


def encode(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        # The shortest decimal that reads back as the same float32 (about half the digits).
        data = [float(repr(numpy.float32(v))) for v in data]
    return {"shape": list(t.shape), "dtype": DTYPES[t.dtype], "data": data}


def run(case_lstm, x, hx, lengths, batch_first, T, w):
    """Forward (packed when lengths are given) and backward of the weighted-sum loss."""
    if lengths is not None:
        packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
        out_packed, (h_n, c_n) = case_lstm(packed, hx)
        output, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=T)
    else:
        output, (h_n, c_n) = case_lstm(x, hx)
    if w is None:
        w = {"output": torch.randn(output.shape), "h_n": torch.randn(h_n.shape), "c_n": torch.randn(c_n.shape)}
    wd = {k: v.to(output.dtype) for k, v in w.items()}
    loss = (output * wd["output"]).sum() + (h_n * wd["h_n"]).sum() + (c_n * wd["c_n"]).sum()
    loss.backward()
    return output, h_n, c_n, w


def make_case(name, input_size, hidden_size, T, B, num_layers=1, bias=True, batch_first=False,
              bidirectional=False, with_state=False, lengths=None):
    lstm = torch.nn.LSTM(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         batch_first=batch_first, bidirectional=bidirectional).eval()
    D = 2 if bidirectional else 1
    x = torch.randn((B, T, input_size) if batch_first else (T, B, input_size), requires_grad=True)
    h0 = torch.randn(num_layers * D, B, hidden_size, requires_grad=True) if with_state else None
    c0 = torch.randn(num_layers * D, B, hidden_size, requires_grad=True) if with_state else None
    lengths_t = torch.tensor(lengths, dtype=torch.int64) if lengths is not None else None
    output, h_n, c_n, w = run(lstm, x, (h0, c0) if with_state else None, lengths_t, batch_first, T, None)

    # The same computation in float64, from the same (float32-representable) values: a reference
    # free of float32 rounding, which ember's float64 path must match almost exactly.
    lstm64 = copy.deepcopy(lstm).double()
    x64 = x.detach().double().requires_grad_()
    h64 = h0.detach().double().requires_grad_() if with_state else None
    c64 = c0.detach().double().requires_grad_() if with_state else None
    out64, hn64, cn64, _ = run(lstm64, x64, (h64, c64) if with_state else None, lengths_t, batch_first, T, w)

    case = {
        "name": name,
        "options": {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers, "bias": bias,
                    "batch_first": batch_first, "bidirectional": bidirectional},
        "params": {n: encode(p) for n, p in lstm.named_parameters()},
        "input": encode(x),
        "loss_weights": {k: encode(v) for k, v in w.items()},
        "expected": {"output": encode(output), "h_n": encode(h_n), "c_n": encode(c_n)},
        "grads": {"input": encode(x.grad), **{n: encode(p.grad) for n, p in lstm.named_parameters()}},
        "expected_float64": {"output": encode(out64), "h_n": encode(hn64), "c_n": encode(cn64)},
        "grads_float64": {"input": encode(x64.grad), **{n: encode(p.grad) for n, p in lstm64.named_parameters()}},
    }
    if with_state:
        case["h0"], case["c0"] = encode(h0), encode(c0)
        case["grads"]["h0"], case["grads"]["c0"] = encode(h0.grad), encode(c0.grad)
        case["grads_float64"]["h0"], case["grads_float64"]["c0"] = encode(h64.grad), encode(c64.grad)
    if lengths is not None:
        case["lengths"] = encode(lengths_t)
    return case


def main():
    torch.manual_seed(SEED)
    cases = [
        make_case("1 layer", 4, 6, T=5, B=3),
        make_case("1 layer, h0/c0", 4, 6, T=5, B=3, with_state=True),
        make_case("1 layer, batch_first, h0/c0", 4, 6, T=5, B=3, batch_first=True, with_state=True),
        make_case("1 layer, no bias", 4, 6, T=4, B=2, bias=False),
        make_case("2 layers", 4, 6, T=5, B=3, num_layers=2),
        make_case("2 layers, batch_first, h0/c0", 3, 5, T=6, B=2, num_layers=2, batch_first=True,
                  with_state=True),
        make_case("bidirectional", 4, 6, T=5, B=3, bidirectional=True),
        make_case("bidirectional, batch_first, h0/c0", 4, 6, T=5, B=3, batch_first=True, bidirectional=True,
                  with_state=True),
        make_case("2 layers, bidirectional, h0/c0", 3, 4, T=4, B=3, num_layers=2, bidirectional=True,
                  with_state=True),
        make_case("lengths, 1 layer", 4, 6, T=5, B=4, lengths=[2, 5, 3, 1]),
        make_case("lengths, 1 layer, batch_first, h0/c0", 4, 6, T=5, B=3, batch_first=True, with_state=True,
                  lengths=[3, 5, 1]),
        make_case("lengths, 2 layers, bidirectional, batch_first, h0/c0", 3, 5, T=6, B=4, num_layers=2,
                  batch_first=True, bidirectional=True, with_state=True, lengths=[4, 6, 1, 3]),
        make_case("lengths, bidirectional, all full length", 4, 6, T=4, B=2, bidirectional=True, lengths=[4, 4]),
        # Enough batch rows x hidden units that the step kernels split the batch across threads.
        make_case("wide batch, batch_first", 8, 32, T=3, B=64, batch_first=True),
    ]
    doc = {"format_version": FORMAT_VERSION, "torch_version": torch.__version__, "seed": SEED, "cases": cases}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", "lstm.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
