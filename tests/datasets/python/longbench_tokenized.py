"""Reference LongBench inputs with a real tokenizer, built as LongBench's pred.py
does (spec section 1.4.1): fill the template with str.format, encode with special
tokens, middle-truncate to MAX_LENGTH tokens (decode both halves skipping special
tokens), wrap non-skip-list datasets in the chat template (when CHAT is 1) and
encode again. kvbench's one documented difference: text the chat template
rendered is encoded without adding a second BOS (transformers' chat pipelines and
KVCache-Factory HEAD do the same).

usage: longbench_tokenized.py TOKENIZER_DIR PROMPTS_JSON DATA_DIR DATASET[:MAX_LENGTH],... LIMIT CHAT OUT_JSON
Writes {dataset: [{prompt, ids}, ...]}."""
import json
import sys

from transformers import AutoTokenizer

SKIP_CHAT = {"trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"}


def build(tokenizer, template, data_file, dataset, limit, max_length, chat):
    out = []
    with open(data_file, encoding="utf-8") as f:
        for line in f:
            if len(out) >= limit:
                break
            prompt = template.format(**json.loads(line))
            ids = tokenizer(prompt, truncation=False).input_ids
            if len(ids) > max_length:
                half = int(max_length / 2)
                prompt = (tokenizer.decode(ids[:half], skip_special_tokens=True) +
                          tokenizer.decode(ids[-half:], skip_special_tokens=True))
            if chat and dataset not in SKIP_CHAT:
                prompt = tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                                       add_generation_prompt=True, tokenize=False)
                bos = tokenizer.bos_token
                ids = tokenizer(prompt, add_special_tokens=not (bos and prompt.startswith(bos))).input_ids
            else:
                ids = tokenizer(prompt).input_ids
            out.append({"prompt": prompt, "ids": ids})
    return out


def main():
    tok_dir, prompts_file, data_dir, datasets, limit, chat, out_file = sys.argv[1:8]
    tokenizer = AutoTokenizer.from_pretrained(tok_dir)
    with open(prompts_file, encoding="utf-8") as f:
        templates = json.load(f)["dataset2prompt"]
    result = {}
    for item in datasets.split(","):
        dataset, max_length = item.split(":")
        result[dataset] = build(tokenizer, templates[dataset], f"{data_dir}/{dataset}.jsonl", dataset,
                                int(limit), int(max_length), chat == "1")
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
