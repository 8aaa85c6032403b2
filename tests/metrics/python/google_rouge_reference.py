"""Reference stems, tokens and ROUGE-1 F from the installed `rouge_score` and `nltk`.

Input JSONL lines: {"kind": "stem", "text": word} or {"kind": "rouge1", "pred": ..,
"target": ..}. Output, one line per input: {"stem": ..} or {"tokens_pred": [..],
"tokens_target": [..], "score": repr(fmeasure)} (repr, so C++ reads the same double).
"""
import json
import sys

from nltk.stem import porter
from rouge_score import rouge_scorer, tokenize


def main(in_path, out_path):
    stemmer = porter.PorterStemmer()
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    with open(in_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for line in src:
            item = json.loads(line)
            if item["kind"] == "stem":
                out = {"stem": stemmer.stem(item["text"])}
            else:
                score = scorer.score(item["target"], item["pred"])["rouge1"].fmeasure
                out = {
                    "tokens_pred": tokenize.tokenize(item["pred"], stemmer),
                    "tokens_target": tokenize.tokenize(item["target"], stemmer),
                    "score": repr(float(score)),
                }
            dst.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
