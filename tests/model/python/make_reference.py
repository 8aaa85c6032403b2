"""Reference outputs from Hugging Face transformers for kvbench's decoder parity tests.

For each architecture: builds a small random model with transformers itself, perturbs
every parameter (so biases, norms and all weights matter and greedy margins are
clear), saves it with save_pretrained, then records over a fixed prompt, in fp32 on
CPU: the logits of every prompt position, named intermediate tensors (forward hooks on
the modules kvbench taps), and 50 greedy tokens decoded with the KV cache.

usage: make_reference.py OUT_ROOT   (writes OUT_ROOT/<case>/ checkpoint + reference.safetensors)
"""
import math
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

PROMPT_LENGTH = 24
NEW_TOKENS = 50
COMMON = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2)

CASES = {
    # Llama 3 RoPE scaling with a short original context, so all three frequency bands occur.
    "llama": (LlamaConfig, LlamaForCausalLM,
              dict(rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                   max_position_embeddings=512)),
    # Dynamic NTK: the context limit is crossed during decoding.
    "llama_dynamic": (LlamaConfig, LlamaForCausalLM,
                      dict(rope_scaling={"rope_type": "dynamic", "factor": 2.0}, max_position_embeddings=40,
                           num_key_value_heads=4)),
    "mistral": (MistralConfig, MistralForCausalLM, dict(num_key_value_heads=1, sliding_window=None)),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict()),
    # head_dim != hidden / heads, q/k norm, tied embeddings (saved once).
    "qwen3": (Qwen3Config, Qwen3ForCausalLM, dict(head_dim=32, tie_word_embeddings=True)),
}


def perturb(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))


def first(output):
    return output[0] if isinstance(output, (tuple, list)) else output


def record(model, prompt):
    taps, hooks = {}, []

    def hook(name):
        return lambda module, inputs, output: taps.__setitem__(name, first(output)[0].detach().clone())

    inner = model.model
    hooks.append(inner.embed_tokens.register_forward_hook(hook("embed")))
    hooks.append(inner.norm.register_forward_hook(hook("final_norm")))
    for i, layer in enumerate(inner.layers):
        hooks.append(layer.input_layernorm.register_forward_hook(hook(f"attn_norm.{i}")))
        hooks.append(layer.self_attn.register_forward_hook(hook(f"attn_out.{i}")))
        hooks.append(layer.mlp.register_forward_hook(hook(f"mlp_out.{i}")))
        hooks.append(layer.register_forward_hook(hook(f"layer_out.{i}")))
    with torch.no_grad():
        out = model(input_ids=prompt[None], use_cache=True)
    for h in hooks:
        h.remove()
    logits = out.logits[0]
    past = out.past_key_values
    next_token = logits[-1].argmax()
    greedy, margins = [], []
    with torch.no_grad():
        for _ in range(NEW_TOKENS):
            greedy.append(int(next_token))
            step = model(input_ids=next_token.view(1, 1), past_key_values=past, use_cache=True)
            past = step.past_key_values
            top = step.logits[0, -1].topk(2).values
            margins.append(float(top[0] - top[1]))
            next_token = step.logits[0, -1].argmax()
    return logits, taps, greedy, min(margins)


def main():
    root = Path(sys.argv[1])
    torch.manual_seed(0)
    for case, (config_class, model_class, extra) in CASES.items():
        generator = torch.Generator().manual_seed(1234)
        config = config_class(**{**COMMON, **extra})
        model = model_class(config).eval().to(torch.float32)
        perturb(model, generator)
        out = root / case
        model.save_pretrained(out)
        prompt = torch.randint(3, COMMON["vocab_size"], (PROMPT_LENGTH,), generator=generator)
        logits, taps, greedy, margin = record(model, prompt)
        tensors = {"prompt": prompt.float(), "logits": logits.float().contiguous(),
                   "greedy": torch.tensor(greedy, dtype=torch.float32)}
        tensors.update({f"tap.{k}": v.float().contiguous() for k, v in taps.items()})
        save_file(tensors, str(out / "reference.safetensors"))
        print(f"{case}: smallest greedy margin {margin:.4f}")


if __name__ == "__main__":
    main()
