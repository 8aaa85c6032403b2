"""Reference scores for the metrics parity test, from the real Python packages.

Written from spec/benchmarks.md §1.5 (the thin LongBench glue around rouge 1.0.1,
fuzzywuzzy, jieba, numpy); not copied from LongBench. Input: JSONL lines
{"metric", "pred", "gt", "all_classes"}; output: one JSON line per input with
"score" (repr of the float, so the C++ side reads the identical double) or "error".

The per-pair loop runs at module level and calls score_pair -> metric, the same
stack depth as LongBench's eval.py (<module> -> scorer -> metric), so the rouge
recursion bound that turns into 0.0 is the one eval.py sees.
"""
import difflib
import json
import re
import string
import sys
import warnings
from collections import Counter

warnings.filterwarnings("ignore")
import jieba  # noqa: E402
from fuzzywuzzy import fuzz, StringMatcher  # noqa: E402
from rouge import Rouge  # noqa: E402

jieba.setLogLevel(60)

CN_PUNCT = "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏."


def normalize_answer(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def normalize_zh_answer(s):
    s = s.lower()
    punct = set(string.punctuation + CN_PUNCT)
    s = "".join(ch for ch in s if ch not in punct)
    return "".join(s.split())


def f1_score(prediction, ground_truth):
    common = Counter(prediction) & Counter(ground_truth)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction)
    recall = 1.0 * num_same / len(ground_truth)
    return (2 * precision * recall) / (precision + recall)


def qa_f1_score(prediction, ground_truth, **kwargs):
    return f1_score(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def qa_f1_zh_score(prediction, ground_truth, **kwargs):
    p = [normalize_zh_answer(t) for t in jieba.cut(prediction, cut_all=False)]
    g = [normalize_zh_answer(t) for t in jieba.cut(ground_truth, cut_all=False)]
    return f1_score([t for t in p if t], [t for t in g if t])


def rouge_score(prediction, ground_truth, **kwargs):
    try:
        scores = Rouge().get_scores([prediction], [ground_truth], avg=True)
    except:  # noqa: E722  (LongBench catches everything, RecursionError included)
        return 0.0
    return scores["rouge-l"]["f"]


def rouge_zh_score(prediction, ground_truth, **kwargs):
    prediction = " ".join(list(jieba.cut(prediction, cut_all=False)))
    ground_truth = " ".join(list(jieba.cut(ground_truth, cut_all=False)))
    return rouge_score(prediction, ground_truth)


def classification_score(prediction, ground_truth, **kwargs):
    matched = [c for c in kwargs["all_classes"] if c in prediction]
    for term in matched:  # removal while iterating, kept on purpose
        if term in ground_truth and term != ground_truth:
            matched.remove(term)
    return 1.0 / len(matched) if ground_truth in matched else 0.0


def _fraction_equal(prediction, target):
    numbers = re.findall(r"\d+", prediction)
    right = sum(1 for n in numbers if str(n) == str(target))
    return float(0.0 if len(numbers) == 0 else right / len(numbers))


def retrieval_score(prediction, ground_truth, **kwargs):
    return _fraction_equal(prediction, re.findall(r"Paragraph (\d+)", ground_truth)[0])


def retrieval_zh_score(prediction, ground_truth, **kwargs):
    return _fraction_equal(prediction, re.findall(r"段落(\d+)", ground_truth)[0])


def count_score(prediction, ground_truth, **kwargs):
    return _fraction_equal(prediction, ground_truth)


def _first_code_line(prediction):
    for line in prediction.lstrip("\n").split("\n"):
        if "`" not in line and "#" not in line and "//" not in line:
            return line
    return ""


def code_sim_difflib(prediction, ground_truth, **kwargs):
    fuzz.SequenceMatcher = difflib.SequenceMatcher
    return fuzz.ratio(_first_code_line(prediction), ground_truth) / 100


def code_sim_levenshtein(prediction, ground_truth, **kwargs):
    fuzz.SequenceMatcher = StringMatcher.StringMatcher
    return fuzz.ratio(_first_code_line(prediction), ground_truth) / 100


def _ruler_postprocess(pred):
    return re.sub(r"[\x00-\x1f]", "\n", pred.strip()).strip()


def string_match_all(prediction, refs, **kwargs):
    pred = _ruler_postprocess(prediction)
    return sum([1.0 if r.lower() in pred.lower() else 0.0 for r in refs]) / len(refs)


def string_match_part(prediction, refs, **kwargs):
    pred = _ruler_postprocess(prediction)
    return max([1.0 if r.lower() in pred.lower() else 0.0 for r in refs])


def needle_answer_recall(prediction, refs, **kwargs):
    expected = set(refs[0].split())
    return len(set(prediction.lower().split()).intersection(expected)) / len(expected)


def babilong_qa(output, refs, all_classes=None):
    target, question = refs
    output = output.lower()
    output = output.split(".")[0].split("<context>")[0].split("<example>")[0].split("Question")[0]
    target = target.lower()
    labels = {label.lower() for label in all_classes}
    in_question = {label for label in labels if label in question.lower()}
    in_output = {label for label in labels if label in output} - in_question
    if "," in target and len(target) > 3:
        parts = target.split(",")
        return float(all(p in in_output for p in parts) and len(in_output) == len(parts))
    return float(target in in_output and len(in_output) == 1)


METRICS = {f.__name__: f for f in [qa_f1_score, qa_f1_zh_score, rouge_score, rouge_zh_score,
                                    classification_score, retrieval_score, retrieval_zh_score,
                                    count_score, code_sim_difflib, code_sim_levenshtein]}
REFERENCE_METRICS = {f.__name__: f for f in [string_match_all, string_match_part, needle_answer_recall, babilong_qa]}


def score_pair(item):
    if item["metric"] in REFERENCE_METRICS:
        return REFERENCE_METRICS[item["metric"]](item["pred"], item["refs"], all_classes=item.get("all_classes"))
    return METRICS[item["metric"]](item["pred"], item["gt"], all_classes=item.get("all_classes"))


if __name__ == "__main__":  # still module level: the same stack depth as eval.py
    out = open(sys.argv[2], "w", encoding="utf-8")
    for line in open(sys.argv[1], encoding="utf-8"):
        item = json.loads(line)
        if item["metric"] == "jieba_cut":
            out.write(json.dumps({"tokens": list(jieba.cut(item["pred"], cut_all=False))}, ensure_ascii=False) + "\n")
            continue
        try:
            out.write(json.dumps({"score": repr(float(score_pair(item)))}) + "\n")
        except Exception as e:  # noqa: BLE001
            out.write(json.dumps({"error": type(e).__name__}) + "\n")
    out.close()
