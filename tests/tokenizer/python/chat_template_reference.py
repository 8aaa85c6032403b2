"""Reference chat-template renderings from transformers, for chat_template_test.

usage: chat_template_reference.py TOKENIZER_DIR CASES_JSON OUT_JSON
CASES_JSON: a list of {"template": str or null, "messages": [...], "add_generation_prompt": bool}.
OUT_JSON: per case {"ok": true, "text": ...} or {"ok": false, "error": ...}.
"""
import json
import sys

from transformers import AutoTokenizer


def main():
    tokenizer_dir, cases_file, out_file = sys.argv[1:4]
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    with open(cases_file, encoding="utf-8") as f:
        cases = json.load(f)
    rows = []
    for case in cases:
        kwargs = {}
        if case.get("template") is not None:
            kwargs["chat_template"] = case["template"]
        try:
            text = tok.apply_chat_template(case["messages"], tokenize=False,
                                           add_generation_prompt=case["add_generation_prompt"],
                                           **kwargs)
            rows.append({"ok": True, "text": text})
        except Exception as e:  # the template raised: the C++ side must raise too
            rows.append({"ok": False, "error": str(e)})
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
