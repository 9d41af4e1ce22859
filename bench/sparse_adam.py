#!/usr/bin/env python3
"""Twin of bench/sparse_adam.cpp: torch.optim.SparseAdam (and dense Adam) step time on a 10,000-row
and a 1,000,000-row table for the same batch of rows. Run: /usr/bin/python3 bench/sparse_adam.py"""
import time

import torch

WIDTH = 32
BATCH_ROWS = 4096


def median_ms(repeats, f):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def batch_gradient(rows):
    torch.manual_seed(0)
    indices = torch.randint(0, 10000, (BATCH_ROWS,))
    return torch.sparse_coo_tensor(indices.view(1, -1), torch.randn(BATCH_ROWS, WIDTH), (rows, WIDTH))


def sparse_adam_ms(rows):
    table = torch.nn.Parameter(torch.randn(rows, WIDTH))
    adam = torch.optim.SparseAdam([table], lr=1e-3)
    grad = batch_gradient(rows)
    table.grad = grad.clone()
    adam.step()

    def step():
        table.grad = grad.clone()
        adam.step()
    return median_ms(31, step)


def dense_adam_ms(rows):
    table = torch.nn.Parameter(torch.randn(rows, WIDTH))
    adam = torch.optim.Adam([table], lr=1e-3)
    table.grad = batch_gradient(rows).to_dense()
    adam.step()
    return median_ms(5, adam.step)


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__} SparseAdam step, {BATCH_ROWS} looked-up rows, dim {WIDTH}, float32, 1 thread")
    small, large = sparse_adam_ms(10000), sparse_adam_ms(1000000)
    print(f"  table     10,000 rows: {small:8.3f} ms/step")
    print(f"  table  1,000,000 rows: {large:8.3f} ms/step   (ratio large/small {large / small:.2f})")
    dense_small, dense_large = dense_adam_ms(10000), dense_adam_ms(1000000)
    print("dense Adam step on the same tables")
    print(f"  table     10,000 rows: {dense_small:8.3f} ms/step")
    print(f"  table  1,000,000 rows: {dense_large:8.3f} ms/step   (ratio large/small {dense_large / dense_small:.2f})")


if __name__ == "__main__":
    main()
