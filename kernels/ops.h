// The cache-layer ops: all that methods/ and model/ call (STYLE P5). Each op has an
// ATen reference in kernels/cpu/<op>.cpp that runs on any device, and (issue 7) a CUDA
// kernel in kernels/cuda/<op>.cu chosen when the tensors are on a CUDA device.
// Shapes: S = segments per layer, H = query heads, H_kv = KV heads, G = H / H_kv,
// L = prompt length, w = observation window, d = head_dim, T = L - w scored positions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "kernels/flat_kv_cache.h"

namespace kvb {

// Prompt positions kept per segment, each list sorted ascending and unique.
struct KeptPositions {
  std::vector<std::vector<std::int64_t>> per_segment;  // [S][kept_s]
  int num_segments() const { return static_cast<int>(per_segment.size()); }
  std::int64_t total() const;
};

// Number of tokens to keep per segment of one layer (window included or not: the
// caller says; see each op).
using SegmentCounts = std::vector<std::int64_t>;  // [S]

namespace ops {

// Appends one token to every segment of `layer`, in place.
//   keys, values: [S, d] model dtype, on the cache's device.
// Requires length[s] < capacity[s] for every s; increments length (device and host).
void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values);

// One query per query head against its segment.
//   queries: [H, d] model dtype. Segment of query head h: h / (H / S) (GQA-aware;
//   S == H under granularity: query_head). Returns [H, d] model dtype; softmax in fp32.
at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale);

// RMSNorm over the last dim as the Llama family's reference rounds it: x / rms(x) in
// fp32, rounded to x's dtype, times `weight` in that dtype.
//   x: [..., width]; weight: [width], x's dtype. Returns x's shape and dtype.
// Not a cache op, but the decoder calls it twice per layer per decode step: on CUDA one
// kernel instead of the reference's eight elementwise and reduction launches.
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// The residual add fused with the RMSNorm that follows it (the decoder's two per layer):
// sum = x + residual rounded to the dtype, normed = RmsNorm(sum, weight, eps).
//   x, residual: [..., width], same shape and dtype. On CUDA one kernel reads both inputs
//   once and writes both outputs.
struct AddRmsNormResult {
  at::Tensor sum;
  at::Tensor normed;
};
AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps);

// The SwiGLU gate of the Llama-family MLP: silu(gate) * up, each rounded to the dtype.
//   gate_up: [..., 2 * width], gate in the first half of the last dim. Returns [..., width].
at::Tensor SiluMul(const at::Tensor& gate_up);

// RoPE: x * cos + rotate_half(x) * sin, each product and the sum rounded to the dtype as
// transformers does; x [heads, n, d], cos/sin [n, d] (other broadcastable shapes too).
// On CUDA the decoder's case is one kernel with the same bits instead of five launches.
at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// The batched forms for N caches decoded together (N configurations of one sample, the
// decoder's batched decode step). On CUDA each is one launch over every segment of the N
// layers; elsewhere they loop over the single-cache ops, so results are the same.
//   AppendBatched: keys, values [N, S_n, d]; every layer gets its own row n.
//   DecodeAttentionBatched: queries [N, H, d] -> [N, H, d]; row n is
//   DecodeAttention(*layers[n], queries[n]).
void AppendBatched(const std::vector<LayerKV*>& layers, const at::Tensor& keys, const at::Tensor& values);
at::Tensor DecodeAttentionBatched(const std::vector<const LayerKV*>& layers, const at::Tensor& queries,
                                  double softmax_scale);

enum class WindowReduction { kSum, kMean };  // over the w window rows
enum class GroupReduction { kNone, kMean, kMax };  // over the G query heads of a KV head
enum class Pooling { kNone, kMax, kAvg };

struct WindowScoreOptions {
  WindowReduction window_reduction = WindowReduction::kMean;
  // kNone keeps one row per query head (granularity: query_head).
  GroupReduction group_reduction = GroupReduction::kMean;
  Pooling pooling = Pooling::kMax;
  int kernel_size = 7;  // odd; stride 1, padding kernel_size / 2
  // Round the softmax output to this dtype before reducing (score_dtype: model,
  // as the references do); at::kFloat keeps full precision.
  at::ScalarType softmax_round_dtype = at::kFloat;
  double softmax_scale = 0.0;  // 0 means 1 / sqrt(d)
};

// SnapKV-family observation-window scores (spec methods.md §0.1).
//   window_queries: [H, w, d] (the last w prompt positions, after RoPE)
//   keys:           [H_kv, L, d] (after RoPE)
// Returns [S, L - w] f32 with S = H_kv (group reduction) or H (kNone). The w x w
// window block is causally masked; window columns are dropped after the softmax.
at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys,
                        const WindowScoreOptions& options);

// Per-segment top-k: segment s keeps its counts[s] highest-scoring positions.
//   scores: [S, T] f32. counts[s] in [0, T]. Ties go to the lower position.
// Returns positions in [0, T), ascending per segment.
KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts);

// One top-k across all segments of a layer: the `total` highest (segment, position)
// entries, after first granting each segment its own top `floor_per_segment`.
//   scores: [S, T] f32. Returns how many entries each segment won (sums to total).
SegmentCounts CountLayerTopK(const at::Tensor& scores, std::int64_t total,
                             std::int64_t floor_per_segment);

// H2O's accumulated attention (spec methods.md §8a/§8c): column sums, over all L prompt
// queries, of the causal softmax attention, computed in chunks of `chunk_rows` query rows
// so memory stays O(H * chunk_rows * L) instead of O(H * L^2).
//   queries: [H, L, d], keys: [H_kv, L, d] (after RoPE).
// Returns [S, L] f32 with S = H_kv (group reduction) or H (kNone).
struct AccumulatedAttentionOptions {
  GroupReduction group_reduction = GroupReduction::kMean;
  at::ScalarType softmax_round_dtype = at::kFloat;  // as WindowScoreOptions
  double softmax_scale = 0.0;                       // 0 means 1 / sqrt(d)
  std::int64_t chunk_rows = 256;
};
at::Tensor AccumulatedAttention(const at::Tensor& queries, const at::Tensor& keys,
                                const AccumulatedAttentionOptions& options);

// The softmax weights of one query per query head over its segment's rows (the
// weights DecodeAttention applies; decode-time eviction accumulates them).
//   queries: [H, d]. Returns [H, max_length] f32; row h covers segment h / (H / S),
//   entries at or beyond that segment's length are 0.
at::Tensor DecodeAttentionWeights(const LayerKV& layer, const at::Tensor& queries, double softmax_scale);

// Keeps, per segment, the listed rows (indices within the segment, ascending, unique,
// < length) and moves them to the front in that order; length becomes their count.
// In place; capacity unchanged, so positions keep their order (decode-time eviction).
void EvictRows(LayerKV& layer, const KeptPositions& rows);

// The first n key rows of every segment, [S, n, d] (a copy; n <= every segment's length),
// and their overwrite (values and lengths unchanged): StreamingLLM's `positions: cache`
// keeps its sink keys aside and writes them back re-rotated.
at::Tensor ReadLeadingKeys(const LayerKV& layer, std::int64_t n);
void WriteLeadingKeys(LayerKV& layer, const at::Tensor& keys);

// Gathers kept positions into a fresh flat layer with room for `extra_capacity` more
// tokens per segment (max_new_tokens plus what a decode-time method needs).
//   keys, values: [H_kv, L, d] (segment s reads KV head s * H_kv / S).
//   kept: per segment, ascending prompt positions in [0, L).
LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity);

}  // namespace ops
}  // namespace kvb
