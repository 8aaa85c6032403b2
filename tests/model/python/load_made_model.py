"""Loads `kvbench make-model` checkpoints with transformers and tokenizers (proof that the
files are valid Hugging Face layout) and prints one JSON line: for each directory, the
token ids of a text, the text decoded back, the dtype transformers reads from the
checkpoint, and the greedy continuation (fp32, CPU) of those ids.

usage: load_made_model.py TEXT NEW_TOKENS MODEL_DIR [MODEL_DIR ...]
"""
import json
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM


def describe(model_dir, text, new_tokens):
    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    ids = tokenizer.encode(text).ids
    # dtype="auto" keeps the stored dtype: proves config.json's dtype matches the tensors.
    stored = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    stored_dtype = str(next(stored.parameters()).dtype).replace("torch.", "")
    del stored
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    out = []
    with torch.no_grad():
        result = model(input_ids=torch.tensor([ids]), use_cache=True)
        for _ in range(new_tokens):
            token = int(result.logits[0, -1].argmax())
            out.append(token)
            result = model(input_ids=torch.tensor([[token]]), past_key_values=result.past_key_values, use_cache=True)
    return {
        "ids": ids,
        "greedy": out,
        "decoded": tokenizer.decode(ids, skip_special_tokens=True),
        "stored_dtype": stored_dtype,
    }


def main():
    text, new_tokens, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    print(json.dumps({d: describe(d, text, new_tokens) for d in dirs}))


if __name__ == "__main__":
    main()
