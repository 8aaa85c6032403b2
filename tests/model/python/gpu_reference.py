"""The transformers side of the GPU parity tests (tests/model/gpu_*_parity_test.cpp):
loads a checkpoint on DEVICE in DTYPE, runs the prompt, then greedy-decodes NEW_TOKENS
tokens with its KV cache, and writes (as float32 safetensors):

  step_logits [NEW_TOKENS, vocab]  next-token logits before each greedy step
                                   (row 0: the prompt's last position)
  greedy      [NEW_TOKENS]         the greedy tokens (argmax of each row)

usage: gpu_reference.py MODEL_DIR OUT.safetensors IDS NEW_TOKENS DEVICE DTYPE
  IDS: comma-separated prompt token ids; DTYPE: bfloat16 | float16 | float32
"""
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM


def main():
    model_dir, out_path, ids_text, new_tokens, device, dtype = sys.argv[1:7]
    new_tokens = int(new_tokens)
    ids = [int(i) for i in ids_text.split(",")]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).to(device).eval()
    step_logits, greedy = [], []
    with torch.no_grad():
        result = model(input_ids=torch.tensor([ids], device=device), use_cache=True)
        for _ in range(new_tokens):
            logits = result.logits[0, -1].float()
            step_logits.append(logits.cpu())
            token = int(logits.argmax())
            greedy.append(token)
            result = model(input_ids=torch.tensor([[token]], device=device), past_key_values=result.past_key_values,
                           use_cache=True)
    save_file({"step_logits": torch.stack(step_logits).contiguous(),
               "greedy": torch.tensor(greedy, dtype=torch.float32)}, out_path)
    print(f"gpu_reference: {model_dir} on {device} in {dtype}: greedy {greedy}")


if __name__ == "__main__":
    main()
