#!/usr/bin/env python3
"""Writes the word2vec benchmark's corpus and similarity reference from Debian's wordnet-base
(/usr/share/wordnet, `apt-get install wordnet-base`):

  corpus.txt       every gloss (definition and examples) of data.{noun,verb,adj,adv}, lowercased, split on
                   anything but letters, digits and apostrophes, one gloss per line (about 1.2M words)
  similarity.tsv   word1<TAB>word2<TAB>score: 2 = the two words share a synset, 1 = one word's synset is a
                   direct hypernym of the other's, 0 = a random pair; one-word lemmas only, seeded

Run: /usr/bin/python3 bench/make_word2vec_corpus.py OUT_DIR"""
import os
import random
import re
import sys

WORDNET = "/usr/share/wordnet"
PAIRS_PER_SCORE = 4000


def synsets(part):
    """(offset, lemmas, hypernym offsets, gloss) per synset of data.<part>."""
    with open(os.path.join(WORDNET, f"data.{part}"), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):  # the licence header
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            count = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].lower() for i in range(count)]
            at = 4 + 2 * count
            pointers = int(fields[at])
            hypernyms = [fields[at + 1 + 4 * p + 1] for p in range(pointers) if fields[at + 1 + 4 * p] in ("@", "@i")]
            yield part + fields[0], lemmas, [part + h for h in hypernyms], gloss


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    token = re.compile(r"[a-z0-9']+")
    lemmas_of, hypernyms_of = {}, {}
    with open(os.path.join(out_dir, "corpus.txt"), "w") as corpus:
        for part in ("noun", "verb", "adj", "adv"):
            for offset, lemmas, hypernyms, gloss in synsets(part):
                lemmas_of[offset] = [w for w in lemmas if re.fullmatch(r"[a-z]+", w)]
                hypernyms_of[offset] = hypernyms
                words = token.findall(gloss.lower())
                if words:
                    corpus.write(" ".join(words) + "\n")
    rng = random.Random(2013)
    same, linked = set(), set()
    for offset, lemmas in lemmas_of.items():
        for i, a in enumerate(lemmas):
            for b in lemmas[i + 1:]:
                if a != b:
                    same.add(tuple(sorted((a, b))))
        for h in hypernyms_of[offset]:
            for a in lemmas:
                for b in lemmas_of.get(h, []):
                    if a != b:
                        linked.add(tuple(sorted((a, b))))
    linked -= same
    words = sorted({w for lemmas in lemmas_of.values() for w in lemmas})
    rows = [(a, b, 2) for a, b in rng.sample(sorted(same), min(PAIRS_PER_SCORE, len(same)))]
    rows += [(a, b, 1) for a, b in rng.sample(sorted(linked), min(PAIRS_PER_SCORE, len(linked)))]
    while len(rows) < 3 * PAIRS_PER_SCORE:
        a, b = rng.sample(words, 2)
        if (min(a, b), max(a, b)) not in same and (min(a, b), max(a, b)) not in linked:
            rows.append((a, b, 0))
    with open(os.path.join(out_dir, "similarity.tsv"), "w") as f:
        for a, b, score in rows:
            f.write(f"{a}\t{b}\t{score}\n")


if __name__ == "__main__":
    main()
