#!/usr/bin/env python3
"""Golden WordPiece encodings: BERT's tokenizer (google-research/bert tokenization.py,
BasicTokenizer + WordpieceTokenizer) restated in plain Python, for the parts ember shares with it:
lowercasing, whitespace splitting, every ASCII punctuation mark a token of its own, then greedy
longest-match-first with the "##" prefix, a whole word becoming [UNK] when some position has no
match, and words over max_input_chars_per_word (100, as in HF's BertTokenizer) becoming [UNK].
(BERT also strips accents and splits CJK ideographs; the texts here avoid both, since ember's
normaliser is the word tokenizer's.) Debian has no python3-transformers, so nothing is imported.

Run (only to regenerate; tests never need Python):
    python3 scripts/golden/wordpiece.py
Writes tests/data/golden/wordpiece.json:
    {"format_version": 1, "python_version": ..., "seed": 0, "max_input_chars_per_word": 100,
     "vocab": [token at id 0, ...], "cases": [{"text", "tokens", "ids"}, ...]}
"""
import json
import os
import sys

FORMAT_VERSION = 1
MAX_INPUT_CHARS_PER_WORD = 100

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
         "un", "##aff", "##able", "a", "##a", "aff", "able", "the", "##s", "run", "##ning", "##n",
         "##ing", "jump", "##ed", "!", ".", ",", "'", "t", "don", "caf", "##é", "é", "κα", "##λη",
         "##μέ", "##ρα", "при", "##вет", "ひら", "##が", "##な", "x", "##x", "##xx", "##xxx",
         "(", ")", "?", "-", "1", "##2", "##3", "$"]

TEXTS = [
    "unaffable",
    "the runs jumped",
    "running the jumps!",
    "Don't run.",
    "unaffablex",
    "unaffabley",
    "the quick fox",
    "café",
    "καλημέρα, привет",
    "ひらがな",
    "xxxxxxx x",
    "a" * 100,
    "a" * 101,
    "  (1 23 $123) -un- ",
    "",
    "a\tthe\nrun",
    "UNAFFABLE THE Runs",
]


def is_punctuation(ch):
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126


def basic_tokenize(text):
    words = []
    for token in text.lower().split():
        current = ""
        for ch in token:
            if is_punctuation(ch):
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab):
    chars = list(word)
    if len(chars) > MAX_INPUT_CHARS_PER_WORD:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(chars):
        end, found = len(chars), None
        while start < end:
            sub = "".join(chars[start:end])
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def main():
    vocab = {token: i for i, token in enumerate(VOCAB)}
    cases = []
    for text in TEXTS:
        tokens = [piece for word in basic_tokenize(text) for piece in wordpiece(word, vocab)]
        cases.append({"text": text, "tokens": tokens, "ids": [vocab[t] for t in tokens]})
    doc = {"format_version": FORMAT_VERSION, "python_version": sys.version.split()[0], "seed": 0,
           "max_input_chars_per_word": MAX_INPUT_CHARS_PER_WORD, "vocab": VOCAB, "cases": cases}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "golden", "wordpiece.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
