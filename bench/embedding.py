#!/usr/bin/env python3
"""Twin of bench/embedding.cpp: torch.nn.Embedding(1,000,000, 64, sparse=True) with 32 x 512 indices,
torch.optim.SparseAdam, the same workloads and data. Run: /usr/bin/python3 bench/embedding.py --threads 1"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROWS, DIM, BATCH, SEQ = 1_000_000, 64, 32, 512


def batch_indices(high, seed):
    return harness.lcg_indices((BATCH, SEQ), 0, high, seed)


def gather(args):
    torch.manual_seed(0)
    emb = torch.nn.Embedding(ROWS, DIM, sparse=True)
    indices = batch_indices(ROWS, 1)
    harness.report("embedding", "gather", args.threads, harness.measure(lambda: emb(indices), 5, args.repeats(200)))


def sparse_step(args):
    torch.manual_seed(0)
    emb = torch.nn.Embedding(ROWS, DIM, sparse=True)
    adam = torch.optim.SparseAdam(emb.parameters(), lr=1e-3)
    indices = batch_indices(ROWS, 1)
    dy = torch.randn(BATCH, SEQ, DIM)
    out = [None]

    def setup():
        adam.zero_grad(set_to_none=True)
        out[0] = emb(indices)

    def step():
        out[0].backward(dy)
        adam.step()
    harness.report("embedding", "sparse_step", args.threads, harness.measure(step, 5, args.repeats(100), setup))


def sparse_adam(args, rows, name):
    torch.manual_seed(0)
    table = torch.nn.Parameter(torch.randn(rows, DIM))
    adam = torch.optim.SparseAdam([table], lr=1e-3)
    indices = harness.lcg_indices((BATCH * SEQ,), 0, 10_000, 2)
    grad = torch.sparse_coo_tensor(indices.view(1, -1), torch.randn(BATCH * SEQ, DIM), (rows, DIM))

    def setup():
        table.grad = grad

    harness.report("embedding", name, args.threads, harness.measure(adam.step, 5, args.repeats(100), setup))


def memory(args):
    base = harness.current_rss_mib()
    torch.manual_seed(0)
    emb = torch.nn.Embedding(ROWS, DIM, sparse=True)
    adam = torch.optim.SparseAdam(emb.parameters(), lr=1e-3)
    dy = torch.randn(BATCH, SEQ, DIM)
    indices = [batch_indices(ROWS, 100 + step) for step in range(20)]  # made before timing: Python is slow at it
    import time
    start = time.perf_counter()
    for step in range(20):
        adam.zero_grad(set_to_none=True)
        emb(indices[step]).backward(dy)
        adam.step()
    per_step = (time.perf_counter() - start) * 1e3 / 20
    harness.report("embedding", "memory", args.threads,
                   {"median_ms": per_step, "min_ms": per_step, "cpu_median_ms": 0.0, "faults_per_step": 0.0,
                    "repeats": 20}, base_rss_mib=round(base, 1), peak_rss_mib=round(harness.peak_rss_mib(), 1))


def main():
    args = harness.Args()
    harness.set_threads(args.threads)
    if args.wants("memory") and len(args.only) == 1:
        memory(args)
        return
    if args.wants("gather"):
        gather(args)
    if args.wants("sparse_step"):
        sparse_step(args)
    if args.wants("sparse_adam_10k"):
        sparse_adam(args, 10_000, "sparse_adam_10k")
    if args.wants("sparse_adam_1m"):
        sparse_adam(args, ROWS, "sparse_adam_1m")


if __name__ == "__main__":
    main()
