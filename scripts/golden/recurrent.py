#!/usr/bin/env python3
"""Golden data for nn::GRU and nn::RNN: outputs, final states and every gradient, from torch.nn.GRU/RNN.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/recurrent.py
Writes tests/data/golden/gru.json and tests/data/golden/rnn.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [case...]}
A case is
    {"name", "options": {input_size, hidden_size, num_layers, bias, batch_first, bidirectional
     (, nonlinearity for RNN)}, "params": {state_dict name: tensor}, "input": tensor,
     "h0"/"lengths": tensor (optional), "loss_weights": {"output", "h_n"},
     "expected": {"output", "h_n"}, "grads": {"input", "h0", <parameter name>...},
     "expected_float64", "grads_float64": the same computed in float64 from the same values}
The loss is sum(output * w_output) + sum(h_n * w_h_n). Cases with "lengths" run PyTorch on
pack_padded_sequence(enforce_sorted=False) and pad_packed_sequence(total_length=T), as
scripts/golden/lstm.py does. Dropout is 0 (eval mode).
"""
import copy

import numpy

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import golden_json
from golden_json import write_golden

SEED = 0


def encode(t):
    """golden_json.encode, with float32 values written as the shortest decimal that reads back the same."""
    e = golden_json.encode(t)
    if e["dtype"] == "float32":
        e["data"] = [float(repr(numpy.float32(v))) for v in e["data"]]
    return e


def run(module, x, h0, lengths, batch_first, T, w):
    if lengths is not None:
        packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
        out_packed, h_n = module(packed, h0)
        output, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=T)
    else:
        output, h_n = module(x, h0)
    if w is None:
        w = {"output": torch.randn(output.shape), "h_n": torch.randn(h_n.shape)}
    loss = (output * w["output"].to(output.dtype)).sum() + (h_n * w["h_n"].to(output.dtype)).sum()
    loss.backward()
    return output, h_n, w


def make_case(kind, name, input_size, hidden_size, T, B, num_layers=1, bias=True, batch_first=False,
              bidirectional=False, with_state=False, lengths=None, nonlinearity="tanh"):
    options = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers, "bias": bias,
               "batch_first": batch_first, "bidirectional": bidirectional}
    if kind == "rnn":
        options["nonlinearity"] = nonlinearity
        module = torch.nn.RNN(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                              bidirectional=bidirectional, nonlinearity=nonlinearity).eval()
    else:
        module = torch.nn.GRU(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                              bidirectional=bidirectional).eval()
    D = 2 if bidirectional else 1
    x = torch.randn((B, T, input_size) if batch_first else (T, B, input_size), requires_grad=True)
    h0 = torch.randn(num_layers * D, B, hidden_size, requires_grad=True) if with_state else None
    lengths_t = torch.tensor(lengths, dtype=torch.int64) if lengths is not None else None
    output, h_n, w = run(module, x, h0, lengths_t, batch_first, T, None)

    module64 = copy.deepcopy(module).double()
    x64 = x.detach().double().requires_grad_()
    h64 = h0.detach().double().requires_grad_() if with_state else None
    out64, hn64, _ = run(module64, x64, h64, lengths_t, batch_first, T, w)

    case = {
        "name": name,
        "options": options,
        "params": {n: encode(p) for n, p in module.named_parameters()},
        "input": encode(x),
        "loss_weights": {k: encode(v) for k, v in w.items()},
        "expected": {"output": encode(output), "h_n": encode(h_n)},
        "grads": {"input": encode(x.grad), **{n: encode(p.grad) for n, p in module.named_parameters()}},
        "expected_float64": {"output": encode(out64), "h_n": encode(hn64)},
        "grads_float64": {"input": encode(x64.grad), **{n: encode(p.grad) for n, p in module64.named_parameters()}},
    }
    if with_state:
        case["h0"] = encode(h0)
        case["grads"]["h0"] = encode(h0.grad)
        case["grads_float64"]["h0"] = encode(h64.grad)
    if lengths is not None:
        case["lengths"] = encode(lengths_t)
    return case


def cases_for(kind, **extra):
    return [
        make_case(kind, "1 layer", 4, 6, T=5, B=3, **extra),
        make_case(kind, "1 layer, h0", 4, 6, T=5, B=3, with_state=True, **extra),
        make_case(kind, "T = 1, B = 1, batch_first, h0", 3, 4, T=1, B=1, batch_first=True, with_state=True, **extra),
        make_case(kind, "1 layer, no bias", 4, 6, T=4, B=2, bias=False, **extra),
        make_case(kind, "2 layers, batch_first, h0", 3, 5, T=6, B=2, num_layers=2, batch_first=True,
                  with_state=True, **extra),
        make_case(kind, "bidirectional", 4, 6, T=5, B=3, bidirectional=True, **extra),
        make_case(kind, "2 layers, bidirectional, h0, no bias", 3, 4, T=4, B=3, num_layers=2, bidirectional=True,
                  with_state=True, bias=False, **extra),
        make_case(kind, "lengths, 1 layer", 4, 6, T=5, B=4, lengths=[2, 5, 3, 1], **extra),
        make_case(kind, "lengths, 2 layers, bidirectional, batch_first, h0", 3, 5, T=6, B=4, num_layers=2,
                  batch_first=True, bidirectional=True, with_state=True, lengths=[4, 6, 1, 3], **extra),
        # Enough batch rows x hidden units that the step kernels split the batch across threads.
        make_case(kind, "wide batch, batch_first", 8, 32, T=3, B=64, batch_first=True, **extra),
    ]


def main():
    torch.manual_seed(SEED)
    write_golden("gru", cases_for("gru"), SEED)
    rnn_cases = cases_for("rnn", nonlinearity="tanh")
    relu_cases = cases_for("rnn", nonlinearity="relu")
    for c in relu_cases:
        c["name"] = "relu, " + c["name"]
    write_golden("rnn", rnn_cases + relu_cases, SEED)


if __name__ == "__main__":
    main()
