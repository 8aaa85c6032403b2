// The CUDA launchers of the cache-layer ops (STYLE P5, middle tier). Same signatures and
// contracts as kernels/ops.h; every tensor must be on one CUDA device. ops::X routes here
// for CUDA tensors; tests call these directly and compare with ops::X on the CPU.
// Declared only in builds with CUDA kernels (KVB_WITH_CUDA); includes no CUDA header.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "kernels/flat_kv_cache.h"
#include "kernels/ops.h"

namespace kvb::ops::cuda {

// ops::Append on the device: keys, values [S, d] in the cache dtype. Checks the host
// mirror (length < capacity, no device sync), writes row offset[s] + length[s], then
// increments `length` on the device and `host_length` on the host.
void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values);

// Append for N caches of the same shape (S and d) in one launch: keys, values [N, S, d].
void AppendBatched(const std::vector<LayerKV*>& layers, const at::Tensor& keys,
                   const at::Tensor& values);

// ops::DecodeAttention on the device: queries [H, d] in the cache dtype; returns [H, d]
// in that dtype. fp32 accumulation and softmax; split-K over long segments. head_dim 64
// and 128 run the kernel; other head_dims fall back to the ATen reference (warned once).
// softmax_scale <= 0 means 1 / sqrt(d). A length-0 segment yields zeros.
at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale);

// Whether decode_attention has a kernel for this head_dim. Only the kernel is safe to
// capture in a CUDA graph: the ATen fallback sizes its padding from the host's lengths.
bool HasDecodeAttentionKernel(std::int64_t head_dim);

// Decode attention over the segments of N caches in one launch (N configurations of
// one sample, "one prefill, many caches"):
//   layers: N layers, same dtype, head_dim and device; S may differ (H % S == 0 each).
//   queries: [N, H, d]. Returns [N, H, d]; row n equals DecodeAttention(*layers[n], queries[n]).
at::Tensor DecodeAttentionBatched(const std::vector<const LayerKV*>& layers,
                                  const at::Tensor& queries, double softmax_scale);

// ops::RmsNorm on the device: one block per row; the sum of squares in fp32 in a fixed
// order (so equal to the reference up to summation order and rsqrt rounding). x of any
// layout (made contiguous), weight in x's dtype; other dtype pairs use the reference.
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// ops::AddRmsNorm on the device: the same kernel, reading x and residual and writing their
// sum (bit for bit the reference's add) beside the normalised rows. Inputs of any layout
// (made contiguous); a residual or weight in another dtype uses the reference.
AddRmsNormResult AddRmsNorm(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, double eps);

// ops::SiluMul on the device: one elementwise launch over [..., 2 * width] (made
// contiguous), silu in fp32 with ATen's formula, both roundings the reference's.
at::Tensor SiluMul(const at::Tensor& gate_up);

// ops::ApplyRotary on the device: bit for bit the reference for x [heads, n, d] (last dim
// contiguous, any other strides) with cos/sin [n, d] in x's dtype; other shapes use it.
at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// ops::WindowScores on the device in two passes over the keys (row softmax statistics,
// then scores), never holding the [H, w, L] logits; same contract and rounding as the
// reference, sums in a fixed order (so equal up to summation order). Any head_dim.
at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys, const WindowScoreOptions& options);

// ops::Compact on the device: the reference's layout, one gather launch for K and V.
// keys/values [H_kv, L, d] contiguous, rows a multiple of 16 bytes. The decode room of each
// segment is left uninitialised (Append writes it before anything reads it).
LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity);

// ops::SelectTopK on the device: the same positions (ties to the lower position), with
// only the kept positions copied back to the host instead of the [S, T] ranking.
KeptPositions SelectTopK(const at::Tensor& scores, const SegmentCounts& counts);

}  // namespace kvb::ops::cuda
