#!/usr/bin/env python3
"""Twin of bench/text_classifier_step.cpp: the seed's TextClassifier in PyTorch, same sizes, same
batches (bench/harness.py's Lcg), same steps. Run: /usr/bin/python3 bench/text_classifier_step.py --threads 1"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SIZES = {  # name: vocab, embedding, hidden, batch, seq, classes, train repeats, infer repeats
    "small": (1000, 64, 128, 32, 10, 2, 300, 600),
    "medium": (20000, 128, 256, 64, 50, 2, 20, 40),
}
BATCHES = 4


class TextClassifier(nn.Module):
    def __init__(self, vocab, embedding, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.rnn = nn.LSTM(embedding, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):
        out, _ = self.rnn(self.embedding(tokens))
        return self.fc(out[:, -1, :])


def run(name, train, args):
    vocab, embedding, hidden, batch, seq, classes, train_repeats, infer_repeats = SIZES[name]
    torch.manual_seed(0)
    model = TextClassifier(vocab, embedding, hidden, classes)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = [harness.lcg_indices((batch, seq), 1, vocab, 10 + i) for i in range(BATCHES)]
    labels = [harness.lcg_indices((batch,), 0, classes, 20 + i) for i in range(BATCHES)]
    counter = [0]

    def train_step():
        i = counter[0] % BATCHES
        counter[0] += 1
        adam.zero_grad(set_to_none=True)  # as ember's default
        loss = nn.functional.cross_entropy(model(tokens[i]), labels[i])
        loss.backward()
        adam.step()

    def infer_step():
        i = counter[0] % BATCHES
        counter[0] += 1
        model(tokens[i])

    if train:
        timing = harness.measure(train_step, 5, args.repeats(train_repeats))
    else:
        model.eval()
        with torch.no_grad():
            timing = harness.measure(infer_step, 5, args.repeats(infer_repeats))
    harness.report("text_classifier_step", f"{name}_{'train' if train else 'infer'}", args.threads, timing)


def main():
    args = harness.Args()
    harness.set_threads(args.threads)
    for name in SIZES:
        for train in (True, False):
            if args.wants(f"{name}_{'train' if train else 'infer'}"):
                run(name, train, args)


if __name__ == "__main__":
    main()
