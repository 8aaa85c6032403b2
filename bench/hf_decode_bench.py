"""The Hugging Face baseline for `kvbench bench decode`: the same checkpoint, the same
prompt length and the same number of new tokens, generated greedily by transformers on
the same GPU. Prints one JSON line with the same fields kvbench's bench prints.

usage: python3 bench/hf_decode_bench.py --model DIR --context 32768 --new-tokens 128 [--dtype bf16]
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--context", type=int, default=32768)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    parser.add_argument("--attn", default="sdpa")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype, attn_implementation=args.attn).cuda().eval()
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(0, vocab, (1, args.context), generator=g).cuda()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        t0 = time.perf_counter()
        out = model(ids, use_cache=True)
        torch.cuda.synchronize()
        prefill_s = time.perf_counter() - t0
        past = out.past_key_values
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        t0 = time.perf_counter()
        for _ in range(args.new_tokens):
            out = model(token, past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = out.logits[:, -1].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        decode_s = time.perf_counter() - t0
    cfg = model.config
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    kv_bytes = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * head_dim * (args.context + args.new_tokens) * ids.new_empty(0, dtype=dtype).element_size()
    print(json.dumps({
        "impl": "transformers", "attn": args.attn, "context": args.context, "new_tokens": args.new_tokens,
        "prefill_ms": prefill_s * 1e3, "decode_ms_per_token": decode_s * 1e3 / args.new_tokens,
        "peak_bytes": torch.cuda.max_memory_allocated(), "kv_bytes": kv_bytes,
    }))


if __name__ == "__main__":
    main()
