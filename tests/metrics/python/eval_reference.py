"""LongBench eval.py's scorer / scorer_e and result.json writing, written from spec §1.7–§1.8
(eval.py's layout: read every line, all_classes of the last line, json.dump indent=4,
ensure_ascii=False), on top of the metric glue in longbench_reference.py.

usage: eval_reference.py PRED.jsonl DATASET (e|plain) OUT.json
"""
import json
import sys

import numpy as np

import longbench_reference as ref

# The dataset -> metric table of LongBench's eval.py (spec §1.1 / §1.5.9), all 21
# datasets plus HeadKV's four LooGLE sets; code_sim uses difflib, kvbench's default.
QA_F1 = ["narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "musique", "triviaqa",
         "comprehension_and_reasoning", "computation", "multiple_information_retrieval", "timeline_reorder"]
DATASET2METRIC = dict({name: ref.qa_f1_score for name in QA_F1}, **{
    "multifieldqa_zh": ref.qa_f1_zh_score, "dureader": ref.rouge_zh_score, "vcsum": ref.rouge_zh_score,
    "gov_report": ref.rouge_score, "qmsum": ref.rouge_score, "multi_news": ref.rouge_score,
    "samsum": ref.rouge_score, "trec": ref.classification_score, "lsht": ref.classification_score,
    "passage_count": ref.count_score, "passage_retrieval_en": ref.retrieval_score,
    "passage_retrieval_zh": ref.retrieval_zh_score, "lcc": ref.code_sim_difflib,
    "repobench-p": ref.code_sim_difflib})


FIRST_LINE_DATASETS = ["trec", "triviaqa", "samsum", "lsht"]


# scorer and scorer_e are called from module level and call the metric directly, the
# stack depth of eval.py (<module> -> scorer -> metric), so rouge's recursion bound
# turns into 0.0 exactly where it does there.
def scorer(dataset, predictions, answers, all_classes):
    total_score = 0.
    for (prediction, ground_truths) in zip(predictions, answers):
        score = 0.
        if dataset in FIRST_LINE_DATASETS:
            prediction = prediction.lstrip('\n').split('\n')[0]
        for ground_truth in ground_truths:
            score = max(score, DATASET2METRIC[dataset](prediction, ground_truth, all_classes=all_classes))
        total_score += score
    return round(100 * total_score / len(predictions), 2)


def scorer_e(dataset, predictions, answers, lengths, all_classes):
    scores = {"0-4k": [], "4-8k": [], "8k+": []}
    for (prediction, ground_truths, length) in zip(predictions, answers, lengths):
        score = 0.
        if dataset in FIRST_LINE_DATASETS:
            prediction = prediction.lstrip('\n').split('\n')[0]
        for ground_truth in ground_truths:
            score = max(score, DATASET2METRIC[dataset](prediction, ground_truth, all_classes=all_classes))
        if length < 4000:
            scores["0-4k"].append(score)
        elif length < 8000:
            scores["4-8k"].append(score)
        else:
            scores["8k+"].append(score)
    for key in scores.keys():
        scores[key] = round(100 * np.mean(scores[key]), 2)
    return scores


path, dataset, mode, out_path = sys.argv[1:5]
predictions, answers, lengths = [], [], []
with open(path, encoding="utf-8") as f:
    for line in f:
        data = json.loads(line)
        predictions.append(data["pred"])
        answers.append(data["answers"])
        all_classes = data["all_classes"]  # the last line's, as eval.py
        if "length" in data:
            lengths.append(data["length"])
if mode == "e":
    result = scorer_e(dataset, predictions, answers, lengths, all_classes)
else:
    result = scorer(dataset, predictions, answers, all_classes)
with open(out_path, "w", encoding="utf-8") as f:
    json.dump({dataset: result}, f, ensure_ascii=False, indent=4)
