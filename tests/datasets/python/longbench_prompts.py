"""Reference LongBench prompts for the C++ test: the template filled with Python's
str.format(**record), exactly as LongBench's pred.py does (spec section 1.3).

usage: longbench_prompts.py PROMPTS_JSON DATA_DIR DATASET LIMIT OUT_JSON [none|official|kvrepos]
Writes a JSON list of the first LIMIT filled prompts of DATA_DIR/DATASET.jsonl, with the
Llama-2 wrapper of spec section 1.4 when asked: LongBench pred.py build_chat "llama2"
(official, not for the six skip-list datasets) or the KV repos' spaced form (every dataset)."""
import json
import sys


def main():
    prompts_file, data_dir, dataset, limit, out_file = sys.argv[1:6]
    llama2 = sys.argv[6] if len(sys.argv) > 6 else "none"
    skip_chat = ["trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"]
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
            prompt = template.format(**record)
            if llama2 == "official" and dataset not in skip_chat:
                prompt = f"[INST]{prompt}[/INST]"
            elif llama2 == "kvrepos":
                prompt = f"[INST] {prompt} [/INST]"
            out.append(prompt)
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
