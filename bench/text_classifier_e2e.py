#!/usr/bin/env python3
"""Twin of `text_classifier train --train T --valid V --epochs 1` (workload 5 of docs/performance.md): the same
recipe in PyTorch. Vocabulary from the training file (every word, plus <pad> = 0 and <unk> = 1), labels
in sorted order, Embedding(V, 64, padding_idx=0) -> LSTM(64, 128, batch_first) -> each sequence's last
real step -> Linear(128, labels), Adam(lr=1e-3), shuffled batches of 32 padded at the end, one epoch,
then the validation accuracy. Run: /usr/bin/python3 bench/text_classifier_e2e.py TRAIN VALID [--threads N]
[--bucket] (--bucket: batches of similar length, as ember's BucketSampler)"""
import argparse
import collections
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def read(path):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
    return [(label, text.lower().split()) for label, text in rows]


class TextClassifier(nn.Module):
    def __init__(self, vocab, classes, embedding=64, hidden=128):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.rnn = nn.LSTM(embedding, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens, lengths):
        out, _ = self.rnn(self.embedding(tokens))  # [B, T, H]; steps after a sequence's end are ignored
        last = out[torch.arange(out.size(0)), lengths - 1]
        return self.fc(last)


def pad_collate(examples):
    lengths = torch.tensor([len(tokens) for tokens, _ in examples], dtype=torch.int64)
    tokens = torch.zeros(len(examples), int(lengths.max()), dtype=torch.int64)
    for row, (sequence, _) in enumerate(examples):
        tokens[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.int64)
    return tokens, lengths, torch.tensor([label for _, label in examples], dtype=torch.int64)


def bucket_batches(lengths, batch_size, generator, pool_factor=100):
    """torchtext's pool: shuffle, sort chunks of pool_factor * batch_size by length, slice, shuffle batches."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    batches = []
    chunk = pool_factor * batch_size
    for start in range(0, len(order), chunk):
        pool = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches += [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("valid")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--bucket", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    harness.set_threads(args.threads)
    torch.manual_seed(0)

    train_rows, valid_rows = read(args.train), read(args.valid)
    counts = collections.Counter(word for _, words in train_rows for word in words)
    itos = ["<pad>", "<unk>"] + sorted(counts, key=lambda w: (-counts[w], w))
    stoi = {w: i for i, w in enumerate(itos)}
    labels = sorted({label for label, _ in train_rows}, key=lambda s: (int(s), s) if s.isdigit() else (1 << 62, s))
    label_index = {label: i for i, label in enumerate(labels)}

    def encode(rows):
        return [([stoi.get(w, 1) for w in words], label_index[label]) for label, words in rows]
    train, valid = encode(train_rows), encode(valid_rows)

    model = TextClassifier(len(itos), len(labels))
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    if args.bucket:
        loader = torch.utils.data.DataLoader(
            train, batch_sampler=bucket_batches([len(t) for t, _ in train], args.batch_size, generator),
            collate_fn=pad_collate)
    else:
        loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True, generator=generator,
                                             collate_fn=pad_collate)
    epoch_start = time.perf_counter()
    model.train()
    loss_sum, correct, seen = 0.0, 0, 0
    for tokens, lengths, target in loader:
        adam.zero_grad(set_to_none=True)
        logits = model(tokens, lengths)
        loss = nn.functional.cross_entropy(logits, target)
        loss.backward()
        adam.step()
        loss_sum += loss.item() * target.numel()
        correct += int((logits.argmax(1) == target).sum())
        seen += target.numel()
    epoch_seconds = time.perf_counter() - epoch_start

    model.eval()
    valid_correct = 0
    with torch.no_grad():
        for tokens, lengths, target in torch.utils.data.DataLoader(valid, batch_size=args.batch_size,
                                                                    collate_fn=pad_collate):
            valid_correct += int((model(tokens, lengths).argmax(1) == target).sum())
    print(f"train loss {loss_sum / seen:.4f} acc {100 * correct / seen:.2f}% | epoch {epoch_seconds:.1f}s")
    print(f"final validation accuracy: {100 * valid_correct / len(valid):.2f}%")
    print(f"total {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
