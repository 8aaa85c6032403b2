"""LongBench eval.py's scorer / scorer_e and result.json writing, written from spec §1.7–§1.8,
on top of the metric glue in longbench_reference.py.

usage: eval_reference.py PRED.jsonl DATASET (e|plain) OUT.json
"""
import json
import sys

import numpy as np

import longbench_reference as ref

DATASET2METRIC = {"trec": ref.classification_score, "triviaqa": ref.qa_f1_score, "gov_report": ref.rouge_score,
                  "passage_count": ref.count_score, "multifieldqa_zh": ref.qa_f1_zh_score,
                  "lcc": ref.code_sim_difflib}


def sample_score(dataset, prediction, ground_truths, all_classes):
    score = 0.
    if dataset in ["trec", "triviaqa", "samsum", "lsht"]:
        prediction = prediction.lstrip('\n').split('\n')[0]
    for ground_truth in ground_truths:
        score = max(score, DATASET2METRIC[dataset](prediction, ground_truth, all_classes=all_classes))
    return score


path, dataset, mode, out_path = sys.argv[1:5]
rows = [json.loads(line) for line in open(path, encoding="utf-8")]
all_classes = rows[-1]["all_classes"]
scores = [sample_score(dataset, r["pred"], r["answers"], all_classes) for r in rows]
if mode == "e":
    buckets = {"0-4k": [], "4-8k": [], "8k+": []}
    for r, s in zip(rows, scores):
        buckets["0-4k" if r["length"] < 4000 else "4-8k" if r["length"] < 8000 else "8k+"].append(s)
    result = {key: round(100 * np.mean(v), 2) for key, v in buckets.items()}
else:
    total = 0.
    for s in scores:
        total += s
    result = round(100 * total / len(scores), 2)
with open(out_path, "w") as f:
    json.dump({dataset: result}, f, ensure_ascii=False, indent=4)
