"""Reference for StreamingLLM `positions: cache`, the original paper's numbering, built
literally with transformers (fp32, CPU): keys are held *before* RoPE and rotated at their
index in the cache on every step, and the new token's query sits at the cache length.
kvbench reaches the same attention another way (absolute positions, sinks re-rotated by the
number of evicted tokens; methods/streamingllm.cpp); this is the definition it is checked
against.

Within a decode step the order is kvbench's decode hook: the new token is appended and
attended, then (mode decode) the oldest non-sink rows beyond the budget are dropped.

usage: streaming_cache_positions.py MODEL_DIR OUT.safetensors PROMPT_LENGTH BUDGET SINKS NEW_TOKENS MODE
writes: prompt [L]; tokens [T], the reference's greedy tokens (kvbench is fed the same ones);
logits [T + 1, vocab]: after the prompt, then after each token.
"""
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, DynamicCache


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def main():
    model_dir, out_path = sys.argv[1], sys.argv[2]
    length, budget, sinks, new_tokens = (int(a) for a in sys.argv[3:7])
    mode = sys.argv[7]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    config = model.config
    kv_heads = config.num_key_value_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    layers = model.model.layers

    captured = {}  # layer -> k_proj output of the last forward: the keys before RoPE
    for i, layer in enumerate(layers):
        layer.self_attn.k_proj.register_forward_hook(lambda m, inp, out, i=i: captured.__setitem__(i, out[0]))

    def pre_rope_keys(i, rows):
        return captured[i].view(rows, kv_heads, head_dim).transpose(0, 1)  # [H_kv, rows, d]

    generator = torch.Generator().manual_seed(1234)
    prompt = torch.randint(3, config.vocab_size, (length,), generator=generator)
    with torch.no_grad():
        out = model(input_ids=prompt[None], use_cache=True)
    keys = [pre_rope_keys(i, length) for i in range(len(layers))]
    values = [out.past_key_values.layers[i].values[0] for i in range(len(layers))]
    if length > budget:
        keep = torch.cat((torch.arange(sinks), torch.arange(length - (budget - sinks), length)))
        keys = [k[:, keep] for k in keys]
        values = [v[:, keep] for v in values]

    logits = [out.logits[0, -1]]
    tokens = []
    for _ in range(new_tokens):
        token = int(logits[-1].argmax())
        tokens.append(token)
        n = keys[0].shape[1]
        cos, sin = model.model.rotary_emb(keys[0], position_ids=torch.arange(n)[None])  # [1, n, d]
        cache = DynamicCache()
        for i in range(len(layers)):
            rotated = keys[i] * cos + rotate_half(keys[i]) * sin
            cache.update(rotated[None], values[i][None], i)
        with torch.no_grad():
            step = model(input_ids=torch.tensor([[token]]), past_key_values=cache,
                         position_ids=torch.tensor([[n]]), cache_position=torch.tensor([n]), use_cache=True)
        for i in range(len(layers)):
            keys[i] = torch.cat((keys[i], pre_rope_keys(i, 1)), dim=1)
            values[i] = torch.cat((values[i], step.past_key_values.layers[i].values[0][:, -1:]), dim=1)
            excess = keys[i].shape[1] - budget
            if mode == "decode" and excess > 0:
                kept = torch.cat((torch.arange(sinks), torch.arange(sinks + excess, keys[i].shape[1])))
                keys[i], values[i] = keys[i][:, kept], values[i][:, kept]
        logits.append(step.logits[0, -1])

    save_file({"prompt": prompt.float(), "tokens": torch.tensor(tokens, dtype=torch.float32),
               "logits": torch.stack(logits).contiguous()}, out_path)


if __name__ == "__main__":
    main()
