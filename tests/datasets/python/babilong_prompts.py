"""Reference BABILong prompts for the C++ test, assembled as spec section 4.2 says:
template.format(instruction, examples, post_prompt, context=input.strip(),
question).strip(), with the prompts of a babilong-prompts.json layout file.

usage: babilong_prompts.py PROMPTS_JSON SPLIT_JSONL TASK LIMIT OUT_JSON"""
import json
import sys


def main():
    prompts_file, data_file, task, limit, out_file = sys.argv[1:6]
    with open(prompts_file, encoding="utf-8") as f:
        config = json.load(f)
    template = config["_meta"]["template"]
    prompt = config["prompts"][task]
    out = []
    with open(data_file, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["task"] != task:
                continue
            if len(out) >= int(limit):
                break
            text = template.format(instruction=prompt["instruction"], examples=prompt["examples"],
                                   post_prompt=prompt["post_prompt"], context=record["input"].strip(),
                                   question=record["question"]).strip()
            out.append({"prompt": text, "target": record["target"], "question": record["question"]})
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
