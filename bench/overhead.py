#!/usr/bin/env python3
"""Twin of bench/overhead.cpp: autograd's per-op overhead (a chain of 1000 tiny ops) and a DataLoader
epoch over the same 10,000 in-memory token sequences, batch 32, shuffled, padded by the collate.
Run: /usr/bin/python3 bench/overhead.py --threads 1"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CHAIN, EXAMPLES, BATCH = 1000, 10_000, 32


def autograd_chain(args):
    x = torch.randn(16, requires_grad=True)

    def step():
        y = x
        for _ in range(CHAIN):
            y = y * 1.001
        y.sum().backward()
    harness.report("overhead", "autograd_chain", args.threads, harness.measure(step, 5, args.repeats(200)),
                   ops=CHAIN + 1)


class Sequences(torch.utils.data.Dataset):
    def __init__(self):
        lcg = harness.Lcg(7)
        self.examples = []
        for _ in range(EXAMPLES):
            length = 5 + lcg.below(56)
            tokens = [1 + lcg.below(19999) for _ in range(length)]
            self.examples.append((tokens, lcg.below(10)))

    def __len__(self):
        return EXAMPLES

    def __getitem__(self, index):
        return self.examples[index]


def pad_collate(examples):
    """The same batch as ember's pad_collate: tokens [B, T] padded with 0 at the end, lengths, labels."""
    lengths = torch.tensor([len(tokens) for tokens, _ in examples], dtype=torch.int64)
    tokens = torch.zeros(len(examples), int(lengths.max()), dtype=torch.int64)
    for row, (sequence, _) in enumerate(examples):
        tokens[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.int64)
    labels = torch.tensor([label for _, label in examples], dtype=torch.int64)
    return tokens, lengths, labels


def dataloader(args):
    dataset = Sequences()
    epoch, batches = [0], [0]

    def step():
        generator = torch.Generator().manual_seed(epoch[0])
        epoch[0] += 1
        loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True, generator=generator,
                                             collate_fn=pad_collate)
        batches[0] = sum(1 for _ in loader)
    timing = harness.measure(step, 1, args.repeats(10))
    for key in ("median_ms", "min_ms", "cpu_median_ms", "faults_per_step"):
        timing[key] /= batches[0]
    harness.report("overhead", "dataloader", args.threads, timing, batches=batches[0])


def main():
    args = harness.Args()
    harness.set_threads(args.threads)
    if args.wants("autograd_chain"):
        autograd_chain(args)
    if args.wants("dataloader"):
        dataloader(args)


if __name__ == "__main__":
    main()
