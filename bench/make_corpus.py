#!/usr/bin/env python3
"""Writes the end-to-end benchmark's labelled text files (workload 5 of docs/performance.md): TSV lines
"label<TAB>text", 5 to 60 words each, ten labels. Words are lowercase ASCII ("w123", "k7x2"), so
ember's basic_english tokenizer and Python's str.split() see the same tokens. Each label has its own
topic words; a line mixes a few of them into Zipf-distributed filler, so the task is learnable but
not trivial. Deterministic (seeded). Run: /usr/bin/python3 bench/make_corpus.py OUT_DIR [train_lines]"""
import itertools
import os
import random
import sys

LABELS = 10
FILLER = 20000
TOPIC_WORDS = 40  # per label


def main():
    out_dir = sys.argv[1]
    train_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    rng = random.Random(12345)
    filler = [f"w{i}" for i in range(FILLER)]
    cumulative = list(itertools.accumulate(1.0 / (i + 1) for i in range(FILLER)))  # Zipf, as real text
    topics = [[f"k{label}x{j}" for j in range(TOPIC_WORDS)] for label in range(LABELS)]
    os.makedirs(out_dir, exist_ok=True)
    for name, lines in (("train.tsv", train_lines), ("valid.tsv", train_lines // 10)):
        with open(os.path.join(out_dir, name), "w") as f:
            for _ in range(lines):
                label = rng.randrange(LABELS)
                length = rng.randint(5, 60)
                words = rng.choices(filler, cum_weights=cumulative, k=length)
                # About one word in six is a topic word, a fifth of them from a wrong label.
                for position in range(length):
                    if rng.random() < 1 / 6:
                        source = label if rng.random() < 0.8 else rng.randrange(LABELS)
                        words[position] = rng.choice(topics[source])
                f.write(f"{label}\t{' '.join(words)}\n")


if __name__ == "__main__":
    main()
