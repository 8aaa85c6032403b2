"""Reference encodings from the `tokenizers` package, for tokenizer_parity_test.

usage: tokenize_reference.py TOKENIZER_JSON CORPUS_JSON OUT_JSON
CORPUS_JSON is a list of strings. OUT_JSON gets, per string: ids with and without
special tokens, and the decoding of the former keeping and skipping special tokens.
"""
import json
import sys

from tokenizers import Tokenizer


def main():
    tokenizer_file, corpus_file, out_file = sys.argv[1:4]
    tok = Tokenizer.from_file(tokenizer_file)
    with open(corpus_file, encoding="utf-8") as f:
        corpus = json.load(f)
    rows = []
    for text in corpus:
        with_special = tok.encode(text, add_special_tokens=True).ids
        rows.append({
            "ids_special": with_special,
            "ids_plain": tok.encode(text, add_special_tokens=False).ids,
            "decode_keep": tok.decode(with_special, skip_special_tokens=False),
            "decode_skip": tok.decode(with_special, skip_special_tokens=True),
        })
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
