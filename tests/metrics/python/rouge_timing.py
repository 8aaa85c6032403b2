"""Times LongBench's rouge_score (rouge 1.0.1 Rouge-L F) on the inputs that
kvb_metrics_bench --dump_inputs=FILE writes, for comparison with BM_RougeScore.

usage: rouge_timing.py PAIRS.jsonl  -> ms per sample per sentence_words setting.
"""
import json
import sys
import time

from rouge import Rouge


def rouge_score(prediction, ground_truth):
    try:
        return Rouge().get_scores([prediction], [ground_truth], avg=True)["rouge-l"]["f"]
    except:  # noqa: E722  (as LongBench)
        return 0.0


groups = {}
for line in open(sys.argv[1]):
    item = json.loads(line)
    groups.setdefault(item["sentence_words"], []).append(item)
for sentence_words, items in groups.items():
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        rouge_score(item["pred"], item["gt"])
    wall_ms = (time.perf_counter() - wall) * 1000 / len(items)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(items)
    print(json.dumps({"sentence_words": sentence_words, "samples": len(items),
                      "python_wall_ms_per_sample": round(wall_ms, 2), "python_cpu_ms_per_sample": round(cpu_ms, 2)}))
