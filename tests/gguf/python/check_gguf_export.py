"""Reference check for `kvbench convert gguf`: transformers' own GGUF loader (which
dequantises with the gguf package and reverses llama.cpp's q/k permutation) must give the
same weights, config and token ids as the directory kvbench wrote.

usage: check_gguf_export.py MODEL.gguf KVBENCH_OUTPUT_DIR
Prints one line per failed check and exits 1 if any failed.
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

gguf_path, out_dir = sys.argv[1], sys.argv[2]
gguf_dir, gguf_name = os.path.dirname(gguf_path), os.path.basename(gguf_path)
failures = []

ours = load_file(os.path.join(out_dir, "model.safetensors"))
ref_model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name, dtype=torch.float32)
ref = {k: v.detach().numpy() for k, v in ref_model.state_dict().items()}
config = json.load(open(os.path.join(out_dir, "config.json")))
if config.get("tie_word_embeddings"):
    ref.pop("lm_head.weight", None)
missing = sorted(set(ref) - set(ours))
extra = sorted(set(ours) - set(ref))
if missing or extra:
    failures.append(f"tensor names differ: missing {missing[:5]} extra {extra[:5]}")
worst = 0.0
for name in sorted(set(ref) & set(ours)):
    a, b = ours[name].astype(np.float32), ref[name]
    if a.shape != b.shape:
        failures.append(f"{name}: shape {a.shape} vs reference {b.shape}")
        continue
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = float(np.max(np.abs(b))) or 1.0
    worst = max(worst, diff / scale)
    if diff > 1e-6 * scale:
        failures.append(f"{name}: max abs diff {diff} (scale {scale})")
print(f"weights: {len(ours)} tensors, worst relative difference {worst:.3g}")

ref_config = AutoConfig.from_pretrained(gguf_dir, gguf_file=gguf_name)
for key in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "vocab_size", "max_position_embeddings", "tie_word_embeddings"]:
    if config.get(key) != getattr(ref_config, key, None):
        failures.append(f"config {key}: {config.get(key)} vs reference {getattr(ref_config, key, None)}")
for key in ["rms_norm_eps", "rope_theta"]:
    ref_value = getattr(ref_config, key, None)
    if ref_value is None and key == "rope_theta":
        ref_value = (getattr(ref_config, "rope_parameters", None) or {}).get("rope_theta")
    if ref_value is None or abs(config[key] - ref_value) > 1e-6 * abs(ref_value):
        failures.append(f"config {key}: {config[key]} vs reference {ref_value}")

ref_tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_name)
our_tok = Tokenizer.from_file(os.path.join(out_dir, "tokenizer.json"))
corpus = [
    "Once upon a time, there was a little girl named Lily.",
    "def f(x):\n    return x ** 2  # squares 12345 and 3.14159\n",
    "  leading spaces\tand tabs\r\nand CRLF   trailing  ",
    "Numbers: 1234567890, 2026-11-22, $3,000.50",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "Ünïcödé çàfé naïve — “quotes” … 中文字符 😀👍🏽",
    "supercalifragilisticexpialidocious" * 3,
]
for text in corpus:
    a = our_tok.encode(text, add_special_tokens=True).ids
    b = ref_tok(text, add_special_tokens=True)["input_ids"]
    if a != b:
        failures.append(f"token ids differ for {text[:40]!r}: {a[:12]} vs {b[:12]}")
    if our_tok.decode(a, skip_special_tokens=False) != text:
        failures.append(f"decode does not round-trip for {text[:40]!r}")
tok_config = json.load(open(os.path.join(out_dir, "tokenizer_config.json")))
if "chat_template" not in tok_config:
    failures.append("tokenizer_config.json has no chat_template")
print(f"tokenizer: {len(corpus)} texts compared")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
