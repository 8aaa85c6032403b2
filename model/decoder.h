// The Llama-family decoder on LibTorch, batch of one, and its "one prefill, many
// caches" API (DESIGN.md): Prefill runs the prompt once and, inside every layer, hands
// the same post-RoPE keys/values to each configuration's eviction method, which keeps
// its own compressed FlatKVCache. Each cache then decodes on its own.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/flat_kv_cache.h"
#include "kernels/ops.h"
#include "methods/eviction_method.h"
#include "model/checkpoint.h"
#include "model/model_config.h"
#include "model/rotary_embedding.h"
#include "util/types.h"

namespace kvb {

struct DecoderOptions {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  // Prompt attention and the prompt's MLP run over blocks of this many rows, so a long
  // prompt never materialises an L x L score matrix nor L x intermediate activations.
  std::int64_t prompt_chunk_rows = 2048;
  // CUDA: decode steps of an unchanged batch replay a captured CUDA graph (one launch of
  // the whole step instead of ~40 ATen ops per layer from the host). Not used with
  // decode-time eviction (it changes the caches from the host) or dynamic RoPE scaling.
  bool cuda_graphs = true;
};

// Named intermediate tensors ("attn_norm", "attn_out", "mlp_out", "layer_out" per layer;
// "embed" and "final_norm" with layer -1), for layer-by-layer parity tests (STYLE P12).
using TapFunction = std::function<void(const std::string& name, int layer, const at::Tensor& value)>;

// One (method, budget) configuration fed by a shared prefill.
struct CacheConfig {
  EvictionMethod* method = nullptr;  // not owned; nullptr keeps every prompt token
  std::int64_t budget = 0;           // tokens per segment, window included (methods.md Part 1 §2)
};

// One cache after prefill, ready to decode.
struct SequenceState {
  FlatKVCache kv;
  EvictionMethod* method = nullptr;
  std::int64_t prompt_length = 0;   // L
  std::int64_t next_position = 0;   // position of the next token fed to DecodeStep (L + step)
  std::vector<KeptPositions> kept;  // [layer]: prompt positions the prefill kept
  std::uint64_t prefill_id = 0;     // unique per Prefill call: a captured decode graph is keyed by it
};

struct PrefillResult {
  at::Tensor last_logits;                // [vocab] f32: logits of the last prompt position
  std::vector<SequenceState> sequences;  // one per config, in order
};

class Decoder {
 public:
  // Reads config.json (+ generation_config.json) and the safetensors weights of `dir`.
  static std::unique_ptr<Decoder> Load(const std::filesystem::path& dir, const DecoderOptions& options);
  Decoder(ModelConfig config, ModelWeights weights, const DecoderOptions& options);
  ~Decoder();

  // Runs the prompt once; every config gets its own compressed cache with room for
  // `max_new_tokens` (plus the method's DecodeReserve) per segment.
  PrefillResult Prefill(const TokenIds& prompt, const std::vector<CacheConfig>& configs,
                        std::int64_t max_new_tokens);

  // Feeds `token` at state.next_position; returns the next-token logits [vocab] f32.
  at::Tensor DecodeStep(SequenceState& state, TokenId token);

  // One decode step of N caches as a batch of N (the configurations of one sample):
  // projections, MLP and LM head see N rows, attention runs over all N caches' segments
  // in one batched op. tokens[n] is fed to *states[n] at its own next_position.
  // Returns [N, vocab] f32; row n equals DecodeStep(*states[n], tokens[n]) up to the
  // rounding of a batched matmul.
  at::Tensor DecodeStep(const std::vector<SequenceState*>& states, const TokenIds& tokens);

  // Logits of every prompt position [L, vocab] f32 (parity tests; no cache kept).
  at::Tensor PromptLogits(const TokenIds& prompt);

  void set_tap(TapFunction tap) { tap_ = std::move(tap); }
  const ModelConfig& config() const { return config_; }
  const DecoderOptions& options() const { return options_; }
  std::int64_t ParameterCount() const;

 private:
  struct Qkv {
    at::Tensor queries;  // [H, n, d] after q-norm and RoPE
    at::Tensor keys;     // [H_kv, n, d] after k-norm and RoPE
    at::Tensor values;   // [H_kv, n, d]
  };

  struct StepGraph;  // a captured decode step (CUDA builds), decoder.cpp

  // One decode step from token ids and positions already on the device ([N] int64 each):
  // the part a CUDA graph captures. Appends to every cache; returns [N, vocab] f32.
  at::Tensor StepBody(const at::Tensor& ids, const at::Tensor& positions, std::int64_t sequence_length,
                      const std::vector<SequenceState*>& states);
  bool CanReplayGraph(const std::vector<SequenceState*>& states) const;
  at::Tensor GraphedStep(const std::vector<SequenceState*>& states, const TokenIds& tokens,
                         const std::vector<std::int64_t>& positions);

  // The prompt forward; returns the final-norm hidden states of the rows wanted.
  at::Tensor PrefillForward(const TokenIds& prompt, const std::vector<CacheConfig>& configs,
                            std::int64_t max_new_tokens, bool all_positions, std::vector<SequenceState>& out);
  at::Tensor PrefillLayer(int layer, const at::Tensor& hidden, const at::Tensor& cos, const at::Tensor& sin,
                          const std::vector<CacheConfig>& configs, std::int64_t max_new_tokens,
                          std::vector<SequenceState>& sequences);
  void CompressPromptKv(int layer, const Qkv& qkv, const std::vector<CacheConfig>& configs,
                        std::int64_t max_new_tokens, std::vector<SequenceState>& sequences) const;

  KeyRotation RotationOfKeys() const;  // handed to the methods in LayerView / DecodeView
  at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight) const;
  ops::AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight) const;
  Qkv ProjectQkv(const LayerWeights& w, const at::Tensor& normed, const at::Tensor& cos,
                 const at::Tensor& sin) const;
  at::Tensor PromptAttention(const Qkv& qkv) const;  // -> [L, H*d]
  // Appends this step's keys/values to each cache and attends: queries [H, N, d],
  // keys/values [H_kv, N, d] -> [N, H*d].
  at::Tensor DecodeAttention(int layer, const Qkv& qkv, const std::vector<SequenceState*>& states) const;
  at::Tensor Mlp(const LayerWeights& w, const at::Tensor& x) const;
  at::Tensor PromptMlp(const LayerWeights& w, const at::Tensor& x) const;  // Mlp in row blocks
  at::Tensor LmHead(const at::Tensor& normed) const;  // -> [n, vocab] f32
  void Tap(const char* name, int layer, const at::Tensor& value) const {
    if (tap_) tap_(name, layer, value);
  }

  ModelConfig config_;
  ModelWeights weights_;
  DecoderOptions options_;
  RotaryEmbedding rope_;
  double softmax_scale_;
  TapFunction tap_;
  std::uint64_t prefills_ = 0;
  std::unique_ptr<StepGraph> graph_;
};

}  // namespace kvb
