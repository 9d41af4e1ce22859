#!/usr/bin/env python3
"""ember's tokenize app beside Debian's sentencepiece (spm_train / spm_encode) on one corpus, in one
run: BPE training to each vocabulary size and encoding the corpus to ids, whole processes timed
(read, count, merge, save; read, encode, write), sides interleaved (order swapped every round),
medians over rounds, reported as ember / sentencepiece ratios (below 1 = ember faster).

  bench/tokenizers.py --corpus FILE [--build-dir build-bench] [--rounds 3] [--threads 1]
                      [--vocab-sizes 8000,32000] [--out results.json]

sentencepiece runs with the settings of a like-for-like comparison: every character kept
(--character_coverage=1.0), no NFKC (--normalization_rule_name=identity), all sentences, no
shuffling, the same thread count (its BPE merge loop is single-threaded either way). ember's side
lowercases and splits punctuation off (its default normalisation), which sentencepiece does not do.
Both count the whole vocabulary: specials, characters and merged pieces. Not a test: nothing here
asserts on time. Needs only the sentencepiece package (apt-get install sentencepiece).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(command, stdin=None, stdout=subprocess.DEVNULL):
    started = time.perf_counter()
    process = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{process.stderr.decode()[-2000:]}")
    return seconds


def count_lines_words(path):
    lines = words = 0
    with open(path, "rb") as f:
        for line in f:
            lines += 1
            words += len(line.split())
    return lines, words


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="plain text, one sentence or paragraph per line")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1")
    parser.add_argument("--vocab-sizes", default="8000,32000")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    tokenize = os.path.join(args.build_dir, "apps", "tokenize")
    if not os.path.exists(tokenize):
        sys.exit(f"{tokenize} not found: build the tokenize target in {args.build_dir} first")
    for tool in ("spm_train", "spm_encode"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install sentencepiece")
    lines, words = count_lines_words(args.corpus)
    sizes = [int(v) for v in args.vocab_sizes.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    times = {}  # (job, vocab, threads, side) -> [seconds]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ember_tokenizers_bench_") as scratch:
        for round_index in range(args.rounds):
            for threads in thread_counts:
                for vocab in sizes:
                    ember_dir = os.path.join(scratch, f"ember-{vocab}-{threads}-{round_index}")
                    spm_prefix = os.path.join(scratch, f"spm-{vocab}-{threads}-{round_index}")
                    sides = {
                        "ember": lambda: timed([tokenize, "train", "--model", "bpe", "--corpus", args.corpus,
                                                "--vocab-size", str(vocab), "--output", ember_dir,
                                                "--threads", str(threads)]),
                        "sentencepiece": lambda: timed([
                            "spm_train", f"--input={args.corpus}", f"--model_prefix={spm_prefix}",
                            "--model_type=bpe", f"--vocab_size={vocab}", f"--num_threads={threads}",
                            "--input_sentence_size=0", "--shuffle_input_sentence=false",
                            "--character_coverage=1.0", "--normalization_rule_name=identity",
                            "--minloglevel=1"]),
                    }
                    order = ["ember", "sentencepiece"] if round_index % 2 == 0 else ["sentencepiece", "ember"]
                    for side in order:
                        times.setdefault(("train", vocab, threads, side), []).append(sides[side]())
                    encoders = {
                        "ember": [tokenize, "encode", "--model", ember_dir, "--ids", "--threads", str(threads)],
                        "sentencepiece": ["spm_encode", f"--model={spm_prefix}.model", "--output_format=id"],
                    }
                    for side in order:
                        with open(args.corpus, "rb") as corpus:
                            times.setdefault(("encode", vocab, threads, side), []).append(
                                timed(encoders[side], stdin=corpus))
                    print(f"round {round_index + 1}/{args.rounds}, {threads} thread(s), vocab {vocab} done",
                          file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    median = {key: statistics.median(values) for key, values in times.items()}
    print(f"\nBPE, ember tokenize vs sentencepiece 0.1.97, {args.rounds} interleaved round(s), medians; corpus "
          f"{lines:,} lines, {words:,} whitespace words; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after ({os.cpu_count()} CPUs)\n")
    print("| job | vocab | threads | ember s | sentencepiece s | ember / sentencepiece | ember lines/s | sentencepiece lines/s |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for job in ("train", "encode"):
        for threads in thread_counts:
            for vocab in sizes:
                e, s = median[(job, vocab, threads, "ember")], median[(job, vocab, threads, "sentencepiece")]
                rate = lambda t: f"{lines / t:,.0f}" if job == "encode" else "-"  # noqa: E731
                print(f"| {job} | {vocab} | {threads} | {e:.2f} | {s:.2f} | {e / s:.2f} | {rate(e)} | {rate(s)} |")
                rows.append({"job": job, "vocab": vocab, "threads": threads, "ember_s": e, "sentencepiece_s": s,
                             "ratio": e / s})
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"lines": lines, "words": words, "rounds": args.rounds, "load_before": load_before,
                       "load_after": load_after, "rows": rows, "raw": {"|".join(map(str, k)): v for k, v in times.items()}},
                      f, indent=1)


if __name__ == "__main__":
    main()
