"""transformers' greedy output for a prompt on a checkpoint (BOS prepended by the tokenizer).

usage: tinystories_reference.py MODEL_DIR PROMPT MAX_NEW_TOKENS OUT.json
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    model_dir, prompt, max_new, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=max_new, do_sample=False)
    new = out[0, ids.shape[1]:].tolist()
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    new = [t for t in new if t not in eos]
    json.dump({"prompt_ids": ids[0].tolist(), "output_ids": new,
               "text": tokenizer.decode(new, skip_special_tokens=True)}, open(out_path, "w"))


if __name__ == "__main__":
    main()
