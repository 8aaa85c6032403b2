"""Reference LongBench prompts for the C++ test: the template filled with Python's
str.format(**record), exactly as LongBench's pred.py does (spec section 1.3).

usage: longbench_prompts.py PROMPTS_JSON DATA_DIR DATASET LIMIT OUT_JSON
Writes a JSON list of the first LIMIT filled prompts of DATA_DIR/DATASET.jsonl."""
import json
import sys


def main():
    prompts_file, data_dir, dataset, limit, out_file = sys.argv[1:6]
    with open(prompts_file, encoding="utf-8") as f:
        config = json.load(f)
    templates = config.get("dataset2prompt", config)
    template = templates[dataset]
    out = []
    with open(f"{data_dir}/{dataset}.jsonl", encoding="utf-8") as f:
        for line in f:
            if len(out) >= int(limit):
                break
            record = json.loads(line)
            out.append(template.format(**record))
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
