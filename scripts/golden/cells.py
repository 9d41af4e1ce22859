#!/usr/bin/env python3
"""Golden data for nn::RNNCell, nn::GRUCell and nn::LSTMCell, from the torch.nn cells.

Run with the system python that has torch (only to regenerate; tests never need torch):
    /usr/bin/python3 scripts/golden/cells.py
Writes tests/data/golden/cells.json:
    {"format_version": 1, "torch_version": ..., "seed": ..., "cases": [case...]}
A case is {"name", "cell": "RNNCell" | "GRUCell" | "LSTMCell", "options": {input_size,
hidden_size, bias (, nonlinearity)}, "params": {state_dict name: tensor}, "inputs": [x_t...],
"h0" (and "c0" for LSTMCell; absent: no state passed), "loss_weights": [w_t...],
"expected": [h_t...] (and "expected_c"), "grads": {"input_<t>", "h0", "c0", <parameter>...}}.
The cell runs over the inputs in turn, feeding its state back; the loss is sum_t sum(h_t * w_t)
(plus sum(c_last) for LSTMCell). Cases are batched ([B, in]) or unbatched ([in]); float32.
"""
import torch

from golden_json import encode, write_golden

SEED = 0


def make_case(name, cell_name, input_size, hidden_size, B, steps, bias=True, with_state=True,
              nonlinearity="tanh"):
    options = {"input_size": input_size, "hidden_size": hidden_size, "bias": bias}
    if cell_name == "RNNCell":
        options["nonlinearity"] = nonlinearity
        cell = torch.nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    else:
        cell = getattr(torch.nn, cell_name)(input_size, hidden_size, bias=bias)
    batch = () if B is None else (B,)
    xs = [torch.randn(*batch, input_size, requires_grad=True) for _ in range(steps)]
    h0 = torch.randn(*batch, hidden_size, requires_grad=True) if with_state else None
    c0 = torch.randn(*batch, hidden_size, requires_grad=True) if with_state and cell_name == "LSTMCell" else None
    state = (h0, c0) if cell_name == "LSTMCell" and with_state else h0
    hs, cs, ws, loss = [], [], [], 0
    for x in xs:
        state = cell(x, state)
        h = state[0] if cell_name == "LSTMCell" else state
        w = torch.randn(h.shape)
        hs.append(h)
        ws.append(w)
        loss = loss + (h * w).sum()
        if cell_name == "LSTMCell":
            cs.append(state[1])
    if cell_name == "LSTMCell":
        loss = loss + cs[-1].sum()
    loss.backward()
    case = {"name": name, "cell": cell_name, "options": options,
            "params": {n: encode(p) for n, p in cell.named_parameters()},
            "inputs": [encode(x) for x in xs], "loss_weights": [encode(w) for w in ws],
            "expected": [encode(h) for h in hs],
            "grads": {**{f"input_{t}": encode(x.grad) for t, x in enumerate(xs)},
                      **{n: encode(p.grad) for n, p in cell.named_parameters()}}}
    if cs:
        case["expected_c"] = [encode(c) for c in cs]
    if h0 is not None:
        case["h0"] = encode(h0)
        case["grads"]["h0"] = encode(h0.grad)
    if c0 is not None:
        case["c0"] = encode(c0)
        case["grads"]["c0"] = encode(c0.grad)
    return case


def main():
    torch.manual_seed(SEED)
    cases = []
    for cell in ["RNNCell", "GRUCell", "LSTMCell"]:
        cases += [
            make_case(f"{cell} batched, 3 steps", cell, 4, 5, B=3, steps=3),
            make_case(f"{cell} batched, no state, no bias", cell, 4, 5, B=2, steps=2, bias=False, with_state=False),
            make_case(f"{cell} unbatched, 2 steps", cell, 3, 4, B=None, steps=2),
            make_case(f"{cell} unbatched, no state", cell, 3, 4, B=None, steps=1, with_state=False),
        ]
    cases.append(make_case("RNNCell relu, batched", "RNNCell", 4, 5, B=3, steps=3, nonlinearity="relu"))
    write_golden("cells", cases, SEED)


if __name__ == "__main__":
    main()
