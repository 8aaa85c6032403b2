#include "model/decoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "util/error.h"

#if defined(KVB_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cuda/cuda_ops.h"
#endif

namespace kvb {
namespace {

at::Tensor Linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
}

// Every prompt position of every KV head: the cache of a run without a method.
KeptPositions KeepAll(int segments, std::int64_t length) {
  KeptPositions kept;
  kept.per_segment.assign(segments, std::vector<std::int64_t>(length));
  for (auto& positions : kept.per_segment) {
    for (std::int64_t i = 0; i < length; ++i) positions[i] = i;
  }
  return kept;
}

}  // namespace

std::unique_ptr<Decoder> Decoder::Load(const std::filesystem::path& dir, const DecoderOptions& options) {
  ModelConfig config = ModelConfig::FromDirectory(dir);
  ModelWeights weights = LoadWeights(dir, config, WeightLoadOptions{options.device, options.dtype});
  return std::make_unique<Decoder>(std::move(config), std::move(weights), options);
}

Decoder::Decoder(ModelConfig config, ModelWeights weights, const DecoderOptions& options)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      options_(options),
      rope_(config_, options.device),
      softmax_scale_(1.0 / std::sqrt(static_cast<double>(config_.head_dim))) {}

// A decode step captured for one batch of caches. Replaying it does the step's device work;
// the host-side effects the capture performed once (each cache's host_length, each state's
// next_position) are redone by hand per replay.
struct Decoder::StepGraph {
  std::vector<std::pair<SequenceState*, std::uint64_t>> batch;  // (state, prefill_id)
#if defined(KVB_WITH_CUDA)
  at::Tensor ids, positions;  // [N] int64 on the device: the graph's inputs
  at::Tensor logits;          // [N, vocab] f32: its output
  std::unique_ptr<at::cuda::CUDAGraph> graph;
#endif
};

Decoder::~Decoder() = default;

std::int64_t Decoder::ParameterCount() const {
  std::int64_t count = weights_.embed_tokens.numel() + weights_.final_norm.numel();
  if (!weights_.lm_head.is_same(weights_.embed_tokens)) count += weights_.lm_head.numel();
  for (const LayerWeights& w : weights_.layers) {
    for (const at::Tensor* t : {&w.input_norm, &w.q_proj, &w.q_bias, &w.k_proj, &w.k_bias, &w.v_proj, &w.v_bias,
                                &w.o_proj, &w.o_bias, &w.q_norm, &w.k_norm, &w.post_attention_norm, &w.gate_proj,
                                &w.gate_bias, &w.up_proj, &w.up_bias, &w.down_proj, &w.down_bias}) {
      if (t->defined()) count += t->numel();
    }
  }
  return count;
}

// ---- the steps of a layer, in paper order -------------------------------------------

// RMSNorm in fp32, scaled in the model dtype (as the reference implementation rounds).
at::Tensor Decoder::RmsNorm(const at::Tensor& x, const at::Tensor& weight) const {
  return ops::RmsNorm(x, weight, config_.rms_norm_eps);
}

ops::AddRmsNormResult Decoder::AddRmsNorm(const at::Tensor& x, const at::Tensor& residual,
                                          const at::Tensor& weight) const {
  return ops::AddRmsNorm(x, residual, weight, config_.rms_norm_eps);
}

Decoder::Qkv Decoder::ProjectQkv(const LayerWeights& w, const at::Tensor& normed, const at::Tensor& cos,
                                 const at::Tensor& sin) const {
  const std::int64_t n = normed.size(0);
  const int d = config_.head_dim;
  const std::int64_t heads = config_.num_heads, kv_heads = config_.num_kv_heads;
  // One GEMM for q, k and v; the rows of its output are [q heads | k heads | v heads].
  const at::Tensor qkv = Linear(normed, w.qkv_proj, w.qkv_bias).view({n, heads + 2 * kv_heads, d});
  const at::Tensor v = qkv.narrow(1, heads + kv_heads, kv_heads);
  at::Tensor q, k;
  if (config_.qk_norm) {
    q = RotaryEmbedding::Apply(RmsNorm(qkv.narrow(1, 0, heads), w.q_norm).transpose(0, 1), cos, sin);
    k = RotaryEmbedding::Apply(RmsNorm(qkv.narrow(1, heads, kv_heads), w.k_norm).transpose(0, 1), cos, sin);
  } else {
    // q and k rotated together: the same elementwise ops, half the kernel launches.
    const at::Tensor rotated = RotaryEmbedding::Apply(qkv.narrow(1, 0, heads + kv_heads).transpose(0, 1), cos, sin);
    q = rotated.narrow(0, 0, heads);
    k = rotated.narrow(0, heads, kv_heads);
  }
  return Qkv{q.contiguous(), k.contiguous(), v.transpose(0, 1).contiguous()};
}

// Causal GQA attention over the prompt, in blocks of query rows: block [a, b) attends
// to keys [0, b) with the causal mask shifted by a.
at::Tensor Decoder::PromptAttention(const Qkv& qkv) const {
  const std::int64_t length = qkv.queries.size(1);
  bool grouped = config_.num_heads != config_.num_kv_heads;
  at::Tensor k = qkv.keys.unsqueeze(0), v = qkv.values.unsqueeze(0);
  if (grouped && qkv.keys.is_cuda() && length > options_.prompt_chunk_rows) {
    // CUDA's fused SDPA kernels take a mask (the blocks after the first) only without
    // enable_gqa; the fallback would materialise [H, rows, L] scores. One layer's keys
    // and values repeated per query head cost far less at long context.
    const int64_t group = config_.num_heads / config_.num_kv_heads;
    k = k.repeat_interleave(group, 1);
    v = v.repeat_interleave(group, 1);
    grouped = false;
  }
  const at::Tensor q = qkv.queries.unsqueeze(0);
  std::vector<at::Tensor> blocks;
  for (std::int64_t begin = 0; begin < length; begin += options_.prompt_chunk_rows) {
    const std::int64_t end = std::min(length, begin + options_.prompt_chunk_rows);
    const at::Tensor q_block = q.narrow(2, begin, end - begin);
    const at::Tensor k_seen = k.narrow(2, 0, end), v_seen = v.narrow(2, 0, end);
    std::optional<at::Tensor> mask;
    if (begin > 0) {
      const auto index = at::TensorOptions().dtype(at::kLong).device(q.device());
      mask = at::arange(end, index).unsqueeze(0) <= at::arange(begin, end, index).unsqueeze(1);  // [rows, end]
    }
    blocks.push_back(at::scaled_dot_product_attention(q_block, k_seen, v_seen, mask, 0.0, /*is_causal=*/begin == 0,
                                                      softmax_scale_, grouped));
  }
  const at::Tensor out = blocks.size() == 1 ? blocks[0] : at::cat(blocks, 2);  // [1, H, L, d]
  return out.squeeze(0).transpose(0, 1).reshape({length, -1});
}

at::Tensor Decoder::Mlp(const LayerWeights& w, const at::Tensor& x) const {
  const at::Tensor gate_up = Linear(x, w.gate_up_proj, w.gate_up_bias);  // [rows, gate | up]
  return Linear(ops::SiluMul(gate_up), w.down_proj, w.down_bias);
}

// The MLP over blocks of prompt rows: its [rows, intermediate] activations are the
// largest tensors of a long prefill (3 x L x 14336 for an 8B model), so a block at a time
// bounds them like PromptAttention bounds the scores.
at::Tensor Decoder::PromptMlp(const LayerWeights& w, const at::Tensor& x) const {
  const std::int64_t rows = x.size(0), block = options_.prompt_chunk_rows;
  if (rows <= block) return Mlp(w, x);
  at::Tensor out = at::empty_like(x);
  for (std::int64_t begin = 0; begin < rows; begin += block) {
    const std::int64_t count = std::min(block, rows - begin);
    out.narrow(0, begin, count).copy_(Mlp(w, x.narrow(0, begin, count)));
  }
  return out;
}

at::Tensor Decoder::LmHead(const at::Tensor& normed) const {
  return at::linear(normed, weights_.lm_head).to(at::kFloat);
}

// Keys rotated by `delta` positions: cos/sin and the product in fp32, one rounding to the
// cache dtype, so a key moved once is as exact as one rotated there in the first place.
KeyRotation Decoder::RotationOfKeys() const {
  return [this](const at::Tensor& keys, std::int64_t delta) {
    KVB_REQUIRE(config_.rope_scaling.type != RopeScalingType::kDynamic,
                "re-rotating cached keys needs RoPE frequencies that stay fixed; dynamic NTK scaling changes them "
                "with the length (use positions: absolute)");
    const at::Tensor position = at::full({1}, delta, at::TensorOptions().dtype(at::kLong).device(keys.device()));
    const auto [cos, sin] = rope_.CosSin(position, 1, at::kFloat);
    return RotaryEmbedding::Apply(keys.to(at::kFloat), cos, sin).to(keys.scalar_type());
  };
}

// ---- prefill -------------------------------------------------------------------------

// The method hook: every configuration sees the same layer view and keeps its own
// compacted copy of the layer's keys and values.
void Decoder::CompressPromptKv(int layer, const Qkv& qkv, const std::vector<CacheConfig>& configs,
                               std::int64_t max_new_tokens, std::vector<SequenceState>& sequences) const {
  const std::int64_t length = qkv.keys.size(1);
  const KeyRotation rotate = RotationOfKeys();
  for (size_t c = 0; c < configs.size(); ++c) {
    EvictionMethod* method = configs[c].method;
    LayerView view;
    KeptPositions kept;
    std::int64_t reserve = max_new_tokens;
    if (method == nullptr) {
      kept = KeepAll(config_.num_kv_heads, length);
    } else {
      view = LayerView{layer, config_.shape(), length, configs[c].budget, qkv.queries, qkv.keys, qkv.values, rotate};
      kept = method->SelectPrefill(view);
      reserve = method->DecodeReserve(max_new_tokens);
      const int expected = method->granularity() == Granularity::kQueryHead ? config_.num_heads : config_.num_kv_heads;
      KVB_REQUIRE(kept.num_segments() == expected, "method ", method->name(), " kept ", kept.num_segments(),
                " segments at layer ", layer, ", expected ", expected);
    }
    LayerKV& cache = sequences[c].kv.layer(layer);
    cache = ops::Compact(qkv.keys, qkv.values, kept, reserve);
    if (method != nullptr) method->AfterPrefill(view, cache);
    sequences[c].kept[layer] = std::move(kept);
  }
}

at::Tensor Decoder::PrefillLayer(int layer, const at::Tensor& hidden, const at::Tensor& cos, const at::Tensor& sin,
                                 const std::vector<CacheConfig>& configs, std::int64_t max_new_tokens,
                                 std::vector<SequenceState>& sequences) {
  const LayerWeights& w = weights_.layers[layer];
  const at::Tensor attn_norm = RmsNorm(hidden, w.input_norm);
  Tap("attn_norm", layer, attn_norm);
  const Qkv qkv = ProjectQkv(w, attn_norm, cos, sin);
  const at::Tensor attention = PromptAttention(qkv);
  CompressPromptKv(layer, qkv, configs, max_new_tokens, sequences);  // the eviction method hook
  const at::Tensor attn_out = Linear(attention, w.o_proj, w.o_bias);
  Tap("attn_out", layer, attn_out);
  const auto [residual, mlp_norm] = AddRmsNorm(hidden, attn_out, w.post_attention_norm);
  const at::Tensor mlp_out = PromptMlp(w, mlp_norm);
  Tap("mlp_out", layer, mlp_out);
  const at::Tensor out = residual + mlp_out;
  Tap("layer_out", layer, out);
  return out;
}

at::Tensor Decoder::PrefillForward(const TokenIds& prompt, const std::vector<CacheConfig>& configs,
                                   std::int64_t max_new_tokens, bool all_positions,
                                   std::vector<SequenceState>& sequences) {
  const auto length = static_cast<std::int64_t>(prompt.size());
  KVB_REQUIRE(length > 0, "the prompt is empty");
  KVB_REQUIRE(!config_.sliding_window || length + max_new_tokens <= *config_.sliding_window,
              "prompt + new tokens (", length + max_new_tokens, ") exceed the model's sliding_window (",
              config_.sliding_window.value_or(0), "), which kvbench does not implement");
  const auto index = at::TensorOptions().dtype(at::kLong).device(options_.device);
  const at::Tensor ids = at::tensor(at::IntArrayRef(std::vector<std::int64_t>(prompt.begin(), prompt.end())),
                                    at::TensorOptions().dtype(at::kLong)).to(options_.device);
  const auto [cos, sin] = rope_.CosSin(at::arange(length, index), length, options_.dtype);

  sequences.assign(configs.size(), SequenceState{});
  for (size_t c = 0; c < configs.size(); ++c) {
    SequenceState& state = sequences[c];
    state.kv = FlatKVCache(config_.num_layers);
    state.kept.resize(config_.num_layers);
    state.method = configs[c].method;
    state.prompt_length = state.next_position = length;
    state.prefill_id = ++prefills_;
    if (state.method != nullptr) state.method->BeginPrompt(config_.shape(), length, configs[c].budget);
  }

  at::Tensor hidden = weights_.embed_tokens.index_select(0, ids);  // [L, hidden]
  Tap("embed", -1, hidden);
  for (int layer = 0; layer < config_.num_layers; ++layer) {
    hidden = PrefillLayer(layer, hidden, cos, sin, configs, max_new_tokens, sequences);
  }
  // The LM head runs only where logits are needed: the last position when generating.
  const at::Tensor rows = all_positions ? hidden : hidden.narrow(0, length - 1, 1);
  const at::Tensor normed = RmsNorm(rows, weights_.final_norm);
  Tap("final_norm", -1, normed);
  return normed;
}

PrefillResult Decoder::Prefill(const TokenIds& prompt, const std::vector<CacheConfig>& configs,
                               std::int64_t max_new_tokens) {
  KVB_REQUIRE(max_new_tokens >= 0, "max_new_tokens must be >= 0, got ", max_new_tokens);
  PrefillResult result;
  const at::Tensor normed = PrefillForward(prompt, configs, max_new_tokens, false, result.sequences);
  result.last_logits = LmHead(normed)[0];
  return result;
}

at::Tensor Decoder::PromptLogits(const TokenIds& prompt) {
  std::vector<SequenceState> none;
  return LmHead(PrefillForward(prompt, {}, 0, true, none));
}

// ---- decode --------------------------------------------------------------------------

at::Tensor Decoder::DecodeStep(SequenceState& state, TokenId token) {
  return DecodeStep(std::vector<SequenceState*>{&state}, TokenIds{token})[0];
}

at::Tensor Decoder::DecodeStep(const std::vector<SequenceState*>& states, const TokenIds& tokens) {
  KVB_REQUIRE(!states.empty() && states.size() == tokens.size(), "DecodeStep: ", states.size(), " caches for ",
              tokens.size(), " tokens");
  std::vector<std::int64_t> positions;
  for (size_t n = 0; n < states.size(); ++n) {
    KVB_REQUIRE(tokens[n] >= 0 && tokens[n] < config_.vocab_size, "token id ", tokens[n],
                " outside the vocabulary (", config_.vocab_size, ")");
    positions.push_back(states[n]->next_position);
  }
  if (CanReplayGraph(states)) return GraphedStep(states, tokens, positions);
  for (SequenceState* state : states) ++state->next_position;
  const std::int64_t last_position = *std::max_element(positions.begin(), positions.end());
  const auto index = at::TensorOptions().dtype(at::kLong);
  const at::Tensor position_tensor = at::tensor(positions, index).to(options_.device);
  const at::Tensor ids = at::tensor(at::IntArrayRef(std::vector<std::int64_t>(tokens.begin(), tokens.end())), index)
                             .to(options_.device);
  return StepBody(ids, position_tensor, last_position + 1, states);
}

at::Tensor Decoder::StepBody(const at::Tensor& ids, const at::Tensor& positions, std::int64_t sequence_length,
                             const std::vector<SequenceState*>& states) {
  const auto [cos, sin] = rope_.CosSin(positions, sequence_length, options_.dtype);
  // Each residual add runs fused with the RMSNorm after it: the post-attention norm, and
  // the next layer's input norm (the final norm after the last layer).
  at::Tensor hidden = weights_.embed_tokens.index_select(0, ids);  // [N, hidden]
  at::Tensor normed = RmsNorm(hidden, weights_.layers[0].input_norm);
  for (int layer = 0; layer < config_.num_layers; ++layer) {
    const LayerWeights& w = weights_.layers[layer];
    const at::Tensor attention = DecodeAttention(layer, ProjectQkv(w, normed, cos, sin), states);
    const auto [residual, mlp_norm] = AddRmsNorm(hidden, Linear(attention, w.o_proj, w.o_bias), w.post_attention_norm);
    const bool last = layer + 1 == config_.num_layers;
    const at::Tensor& next_norm = last ? weights_.final_norm : weights_.layers[layer + 1].input_norm;
    ops::AddRmsNormResult next = AddRmsNorm(residual, Mlp(w, mlp_norm), next_norm);
    hidden = std::move(next.sum);
    normed = std::move(next.normed);
  }
  return LmHead(normed);
}

bool Decoder::CanReplayGraph(const std::vector<SequenceState*>& states) const {
#if defined(KVB_WITH_CUDA)
  if (!options_.cuda_graphs || !options_.device.is_cuda()) return false;
  if (config_.rope_scaling.type == RopeScalingType::kDynamic) return false;  // frequencies follow the length
  if (!ops::cuda::HasDecodeAttentionKernel(config_.head_dim)) return false;
  for (const SequenceState* state : states) {
    if (state->method != nullptr && state->method->evicts_while_decoding()) return false;
  }
  return true;
#else
  (void)states;
  return false;
#endif
}

// Step 1 of a new batch runs eagerly (it also warms cuBLAS and the allocator for these
// shapes); step 2 is captured and replayed; later steps only replay. A batch is keyed by
// its states and their prefill ids, so a new sample never replays a graph whose buffers
// belonged to the previous one.
at::Tensor Decoder::GraphedStep(const std::vector<SequenceState*>& states, const TokenIds& tokens,
                                const std::vector<std::int64_t>& positions) {
#if defined(KVB_WITH_CUDA)
  std::vector<std::pair<SequenceState*, std::uint64_t>> batch;
  for (SequenceState* state : states) batch.emplace_back(state, state->prefill_id);
  const auto index = at::TensorOptions().dtype(at::kLong);
  const at::Tensor host_ids = at::tensor(at::IntArrayRef(std::vector<std::int64_t>(tokens.begin(), tokens.end())), index);
  const at::Tensor host_positions = at::tensor(positions, index);
  const std::int64_t sequence_length = *std::max_element(positions.begin(), positions.end()) + 1;
  const auto advance = [&] {
    for (SequenceState* state : states) ++state->next_position;
  };
  if (!graph_ || graph_->batch != batch) {
    graph_ = std::make_unique<StepGraph>();
    graph_->batch = std::move(batch);
    advance();
    return StepBody(host_ids.to(options_.device), host_positions.to(options_.device), sequence_length, states);
  }
  StepGraph& step = *graph_;
  if (!step.graph) {
    step.ids = host_ids.to(options_.device);
    step.positions = host_positions.to(options_.device);
    c10::cuda::device_synchronize();
    step.graph = std::make_unique<at::cuda::CUDAGraph>();
    {
      const c10::cuda::CUDAStreamGuard side(c10::cuda::getStreamFromPool());
      step.graph->capture_begin();
      step.logits = StepBody(step.ids, step.positions, sequence_length, states);  // host effects happen here, once
      step.graph->capture_end();
    }
    advance();
    step.graph->replay();
    return step.logits.clone();
  }
  // A replay appends one row to every segment on the device; mirror it on the host as the
  // append launcher would have, after checking the room it would have checked.
  for (SequenceState* state : states) {
    for (int layer = 0; layer < state->kv.num_layers(); ++layer) {
      LayerKV& cache = state->kv.layer(layer);
      for (int s = 0; s < cache.num_segments(); ++s) {
        KVB_REQUIRE(cache.host_length[s] < cache.host_capacity[s], "decode: layer ", layer, " segment ", s,
                    " is full (", cache.host_capacity[s], " rows); reserve more decode room");
        ++cache.host_length[s];
      }
    }
  }
  step.ids.copy_(host_ids);
  step.positions.copy_(host_positions);
  advance();
  step.graph->replay();
  return step.logits.clone();
#else
  (void)states, (void)tokens, (void)positions;
  throw Error("CUDA graphs need a build with CUDA kernels");
#endif
}

at::Tensor Decoder::DecodeAttention(int layer, const Qkv& qkv, const std::vector<SequenceState*>& states) const {
  const auto count = static_cast<std::int64_t>(states.size());
  const at::Tensor queries = qkv.queries.transpose(0, 1).contiguous();  // [N, H, d]
  at::Tensor keys = qkv.keys.transpose(0, 1), values = qkv.values.transpose(0, 1);  // [N, H_kv, d]
  std::vector<LayerKV*> caches;
  bool same_segments = true;
  for (SequenceState* state : states) {
    caches.push_back(&state->kv.layer(layer));
    same_segments = same_segments && caches.back()->num_segments() == caches.front()->num_segments();
  }
  // granularity: query_head caches hold one segment per query head: repeat each KV head.
  const auto segment_rows = [&](const at::Tensor& rows, const LayerKV& cache) {
    const int group = cache.num_segments() / config_.num_kv_heads;
    return group == 1 ? rows : rows.repeat_interleave(group, -2);
  };
  if (same_segments) {
    ops::AppendBatched(caches, segment_rows(keys, *caches[0]).contiguous(),
                       segment_rows(values, *caches[0]).contiguous());
  } else {
    for (std::int64_t n = 0; n < count; ++n) {
      ops::Append(*caches[n], segment_rows(keys[n], *caches[n]).contiguous(),
                  segment_rows(values[n], *caches[n]).contiguous());
    }
  }
  const std::vector<const LayerKV*> read_only(caches.begin(), caches.end());
  const at::Tensor attention = ops::DecodeAttentionBatched(read_only, queries, softmax_scale_);  // [N, H, d]
  for (std::int64_t n = 0; n < count; ++n) {
    SequenceState& state = *states[n];
    if (state.method != nullptr && state.method->evicts_while_decoding()) {
      const std::int64_t position = state.next_position - 1;
      state.method->OnDecodeStep(
          DecodeView{layer, position - state.prompt_length, position, queries[n], RotationOfKeys()}, *caches[n]);
    }
  }
  return attention.reshape({count, -1});
}

}  // namespace kvb
