// Index maths shared by the CPU references and the CUDA kernels (STYLE P6): the one
// place that says which segment a query head reads, where a segment's rows start, and
// what the default softmax scale is. Callable from host and device; includes no torch
// and no CUDA header, so the CPU build sees plain inline functions.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define KVB_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define KVB_HOST_DEVICE inline
#endif

namespace kvb::index_math {

// log2(e): the kernels run softmax with exp2, so logits are pre-multiplied by it.
constexpr float kLog2e = 1.4426950408889634f;

KVB_HOST_DEVICE int CeilDiv(int numerator, int denominator) {
  return (numerator + denominator - 1) / denominator;
}

// G: query heads that share one segment. S == H_kv (GQA) or S == H (granularity:
// query_head, G == 1). Callers check H % S == 0.
KVB_HOST_DEVICE int QueryHeadsPerSegment(int num_query_heads, int num_segments) {
  return num_query_heads / num_segments;
}

// The segment query head `query_head` reads: heads [s*G, (s+1)*G) share segment s.
KVB_HOST_DEVICE int SegmentOfQueryHead(int query_head, int query_heads_per_segment) {
  return query_head / query_heads_per_segment;
}

KVB_HOST_DEVICE int FirstQueryHeadOfSegment(int segment, int query_heads_per_segment) {
  return segment * query_heads_per_segment;
}

// The KV head whose prompt keys fill segment s when a layer has S segments over H_kv
// KV heads (S == H_kv: identity; S == H: the query head's KV head).
KVB_HOST_DEVICE int KvHeadOfSegment(int segment, int num_segments, int num_kv_heads) {
  return static_cast<int>(static_cast<std::int64_t>(segment) * num_kv_heads / num_segments);
}

// Element index of row `row` of a segment starting at `offset` in a [rows, head_dim]
// buffer. 64-bit: a layer's flat buffer can exceed 2^31 elements.
KVB_HOST_DEVICE std::int64_t SegmentRowElement(std::int32_t offset, std::int32_t row, int head_dim) {
  return (static_cast<std::int64_t>(offset) + row) * head_dim;
}

// The softmax scale an op uses: the caller's when positive, else 1 / sqrt(head_dim).
KVB_HOST_DEVICE double ResolveSoftmaxScale(double softmax_scale, int head_dim) {
  return softmax_scale > 0.0 ? softmax_scale : 1.0 / ::sqrt(static_cast<double>(head_dim));
}

}  // namespace kvb::index_math
