// Decode attention for GQA groups of 3 to 8 query heads (and larger groups, 8 heads a
// head block) on the tensor cores, bf16 and fp16. The CUDA-core kernel
// (decode_attention_kernel.cuh) spends, per row and query head, 8 FMAs for the logit, 4
// shuffles, an exp2f and 8 FMAs for the value on every lane: at GQA 8 that work, not
// HBM, set its pace (one H200: 256 us at 128k rows per KV head where GQA 4 took 143 us
// for the same bytes). Here a warp takes 16 rows at a time and both products are mma.m16n8k16
// with fp32 accumulation, N = the 8 query heads:
//   logits  S[16 rows x 8 heads] = K[16 rows x d] . Q^T[d x 8 heads]   (d / 16 mmas)
//   output  O^T[d x 8 heads]    += V^T[d x 16 rows] . P^T[16 rows x 8 heads]
// The fragments are loaded straight from global memory, 16 bytes a lane, no shared
// memory: a dot product does not care in which order it visits the dims, so each lane's
// 8 contiguous dims of a key row fill its k slots of two QK mmas, with Q's B fragment
// permuted the same way (the A and B fragments of a lane hold the same k slots). For PV
// the dims are the M side, again permuted to whole 16-byte loads (lane group g holds dims
// 64 j + 8 g .. + 8), and the rows are the k side: lane (g, t) needs rows 2t, 2t+1, 2t+8,
// 2t+9, which it loads itself and pairs with a byte permute. P leaves the QK mma in the C
// layout ([row][head]) and enters PV as the B operand ([head][row] per lane): one
// movmatrix.trans per 8 x 8 half. P is split into two bf16 (or fp16) terms, hi + lo,
// each its own PV mma, so a weight keeps ~16 bits instead of 8 and rounding P adds far
// less error than rounding the output to bf16/fp16 does; the tests hold it to the same
// per-dtype tolerances as the CUDA-core kernel. The block's warps then meet in shared memory
// and the chunks merge exactly as in the CUDA-core kernel (FinishChunk).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cuda/decode_attention_kernel.cuh"

namespace kvb::cuda_kernels {

constexpr int kMmaGroup = 8;             // N of mma.m16n8k16: query heads a block serves
constexpr int kMmaRowsPerWarpTile = 16;  // M of the logit product
constexpr int kMmaRowsPerBlockTile = kMmaRowsPerWarpTile * kDecodeWarps;
// 3 resident blocks an SM leave up to 168 registers a thread: every lane keeps 256 bytes
// of K and V loads in flight per tile, 96 KiB an SM.
constexpr int kMmaMinBlocksPerSm = 3;

// One mma.m16n8k16 with fp32 accumulation: c += a . b (fragments as the PTX ISA lays them
// out; the element type is named in the instruction, hence the macro).
#define KVB_MMA_M16N8K16_F32(ptx_type)                                                                  \
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." ptx_type "." ptx_type                           \
               ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"                           \
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])                                        \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]))

// The tensor-core operations on T = __nv_bfloat16 or __half.
template <typename T>
struct MmaOps {
  static constexpr bool kHalf = std::is_same_v<T, __half>;
  using Pair = std::conditional_t<kHalf, __half2, __nv_bfloat162>;

  __device__ __forceinline__ static void Mma(float (&c)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
    if constexpr (kHalf) {
      KVB_MMA_M16N8K16_F32("f16");
    } else {
      KVB_MMA_M16N8K16_F32("bf16");
    }
  }
  // Two floats rounded to a packed pair, `first` in the low half.
  __device__ __forceinline__ static std::uint32_t Pack(float first, float second) {
    Pair pair;
    if constexpr (kHalf) {
      pair = __floats2half2_rn(first, second);
    } else {
      pair = __floats2bfloat162_rn(first, second);
    }
    std::uint32_t word;
    memcpy(&word, &pair, sizeof(word));
    return word;
  }
  __device__ __forceinline__ static float2 Unpack(std::uint32_t word) {
    Pair pair;
    memcpy(&pair, &word, sizeof(word));
    if constexpr (kHalf) {
      return __half22float2(pair);
    } else {
      return __bfloat1622float2(pair);
    }
  }
};
#undef KVB_MMA_M16N8K16_F32

// The 8 x 8 matrix of 16-bit values whose row r, columns 2c and 2c + 1 lane 4r + c holds,
// transposed in the same layout.
__device__ __forceinline__ std::uint32_t Transpose8x8(std::uint32_t word) {
  std::uint32_t out;
  asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;\n" : "=r"(out) : "r"(word));
  return out;
}

// 32-bit word `index` of a 16-byte load (index is a constant after unrolling).
__device__ __forceinline__ std::uint32_t WordOf(const uint4& raw, int index) {
  return index == 0 ? raw.x : index == 1 ? raw.y : index == 2 ? raw.z : raw.w;
}

template <typename T, int kHeadDim>
__global__ void __launch_bounds__(kDecodeThreads, kMmaMinBlocksPerSm)
    DecodeAttentionMmaKernel(const __grid_constant__ DecodeAttentionParams p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // mma.m16n8k16 with bf16 needs sm_80; the launcher never picks this kernel there
#else
  static_assert(sizeof(T) == 2 && kHeadDim % 64 == 0, "16-bit elements, head_dim a multiple of 64");
  using Ops = MmaOps<T>;
  constexpr int kKeyLoads = kHeadDim / 32;    // 16-byte loads per key row per lane (4 lanes a row)
  constexpr int kValueLoads = kHeadDim / 64;  // 16-byte loads per value row per lane (8 lane groups)
  constexpr int kDimTiles = kHeadDim / 16;    // k steps of the logit product, M tiles of the output
  constexpr unsigned kFullMask = 0xffffffffu;

  DecodeBlockWork w;
  if (!ClaimBlockWork<T, kHeadDim, kMmaGroup>(p, w)) return;  // block-uniform: before any barrier
  const FlatKVView& cache = p.caches[w.cache_index];
  const T* keys = static_cast<const T*>(cache.keys);
  const T* values = static_cast<const T*>(cache.values);

  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int g = lane / 4;  // mma group: a key row (and row + 8), a query head, value dims
  const int t = lane % 4;  // thread in group: two query heads of the C fragment

  // Query head g, dims 32 i + 8 t .. + 8: the B fragments of the logit mmas 2i and 2i + 1.
  // Heads past heads_here are zeros: their outputs are computed and never written.
  uint4 query[kKeyLoads];
  const T* query_row = static_cast<const T*>(p.queries) + (w.head0 + g) * kHeadDim + 8 * t;
#pragma unroll
  for (int i = 0; i < kKeyLoads; ++i) query[i] = g < w.heads_here ? LoadVec16(query_row + 32 * i) : make_uint4(0, 0, 0, 0);

  // Per lane: heads 2t and 2t + 1 (index c). output[m][c] is head 2t + c at dim
  // 64 (m / 4) + 8 g + 2 (m % 4), output[m][2 + c] the dim after it.
  float running_max[2] = {-INFINITY, -INFINITY};
  float running_sum[2] = {0.f, 0.f};  // over the rows g, g + 8 of each tile; summed over g at the end
  float output[kDimTiles][4];
#pragma unroll
  for (int m = 0; m < kDimTiles; ++m) output[m][0] = output[m][1] = output[m][2] = output[m][3] = 0.f;

  for (int tile = w.chunk_begin + warp * kMmaRowsPerWarpTile; tile < w.chunk_end; tile += kMmaRowsPerBlockTile) {
    // Every load of the tile first. Rows past the chunk read as zeros (a value row must
    // not bring NaN into 0 * V).
    uint4 key[2][kKeyLoads];  // rows tile + g and tile + g + 8, dims 32 i + 8 t .. + 8
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int row = tile + g + 8 * r;
      const T* row_keys = keys + index_math::SegmentRowElement(w.segment_offset, row, kHeadDim) + 8 * t;
#pragma unroll
      for (int i = 0; i < kKeyLoads; ++i)
        key[r][i] = row < w.chunk_end ? LoadVec16(row_keys + 32 * i) : make_uint4(0, 0, 0, 0);
    }
    uint4 value[4][kValueLoads];  // rows tile + 2t, 2t + 1, 2t + 8, 2t + 9; dims 64 j + 8 g .. + 8
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int row = tile + 2 * t + (q & 1) + 8 * (q >> 1);
      const T* row_values = values + index_math::SegmentRowElement(w.segment_offset, row, kHeadDim) + 8 * g;
#pragma unroll
      for (int j = 0; j < kValueLoads; ++j)
        value[q][j] = row < w.chunk_end ? LoadVec16(row_values + 64 * j) : make_uint4(0, 0, 0, 0);
    }

    // Logits: lane (g, t) ends with rows g, g + 8 x heads 2t, 2t + 1.
    float logit[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
    for (int s = 0; s < kDimTiles; ++s) {
      const int i = s / 2;
      const int half = 2 * (s % 2);
      const std::uint32_t a[4] = {WordOf(key[0][i], half), WordOf(key[1][i], half), WordOf(key[0][i], half + 1),
                                  WordOf(key[1][i], half + 1)};
      const std::uint32_t b[2] = {WordOf(query[i], half), WordOf(query[i], half + 1)};
      Ops::Mma(logit, a, b);
    }

    // Online softmax per head over the tile's 16 rows (lanes of one t share heads).
    const bool row_valid[2] = {tile + g < w.chunk_end, tile + g + 8 < w.chunk_end};
    float weight[2][2];  // [row g / g + 8][head 2t + c]
#pragma unroll
    for (int c = 0; c < 2; ++c) {
      const float first = row_valid[0] ? logit[c] * p.scale_log2 : -INFINITY;
      const float second = row_valid[1] ? logit[2 + c] * p.scale_log2 : -INFINITY;
      float tile_max = fmaxf(first, second);
#pragma unroll
      for (int offset = 4; offset < 32; offset *= 2) tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, offset));
      // Finite: the tile's first row is valid.
      const float new_max = fmaxf(running_max[c], tile_max);
      const float rescale = exp2f(running_max[c] - new_max);  // 0 on the first tile
      running_max[c] = new_max;
      weight[0][c] = exp2f(first - new_max);  // 0 for rows past the chunk
      weight[1][c] = exp2f(second - new_max);
      running_sum[c] = fmaf(running_sum[c], rescale, weight[0][c] + weight[1][c]);
#pragma unroll
      for (int m = 0; m < kDimTiles; ++m) output[m][c] *= rescale, output[m][2 + c] *= rescale;
    }

    // P^T as B fragments, hi and lo terms: rows 2t, 2t + 1 (and + 8) of head g.
    std::uint32_t b_hi[2], b_lo[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const std::uint32_t hi = Ops::Pack(weight[r][0], weight[r][1]);
      const float2 rounded = Ops::Unpack(hi);
      const std::uint32_t lo = Ops::Pack(weight[r][0] - rounded.x, weight[r][1] - rounded.y);
      b_hi[r] = Transpose8x8(hi);
      b_lo[r] = Transpose8x8(lo);
    }

    // Output: M tile m holds dims 64 (m / 4) + 8 g + 2 (m % 4) (+ 1) of the lane group;
    // a byte permute pairs rows 2t and 2t + 1 (and + 8) of one dim.
#pragma unroll
    for (int m = 0; m < kDimTiles; ++m) {
      const int j = m / 4;
      const int word = m % 4;
      const std::uint32_t r0 = WordOf(value[0][j], word), r1 = WordOf(value[1][j], word);
      const std::uint32_t r8 = WordOf(value[2][j], word), r9 = WordOf(value[3][j], word);
      const std::uint32_t a[4] = {__byte_perm(r0, r1, 0x5410), __byte_perm(r0, r1, 0x7632), __byte_perm(r8, r9, 0x5410),
                                  __byte_perm(r8, r9, 0x7632)};
      Ops::Mma(output[m], a, b_hi);
      Ops::Mma(output[m], a, b_lo);
    }
  }

#pragma unroll
  for (int c = 0; c < 2; ++c) {
#pragma unroll
    for (int offset = 4; offset < 32; offset *= 2) running_sum[c] += __shfl_xor_sync(kFullMask, running_sum[c], offset);
  }
  __shared__ DecodeWarpStates<kMmaGroup, kHeadDim> states;
#pragma unroll
  for (int c = 0; c < 2; ++c) {
    const int head = 2 * t + c;
    if (g == 0) {
      states.max[warp][head] = running_max[c];
      states.sum[warp][head] = running_sum[c];
    }
#pragma unroll
    for (int m = 0; m < kDimTiles; ++m) {
      const int dim = 64 * (m / 4) + 8 * g + 2 * (m % 4);
      states.out[warp][head][dim] = output[m][c];
      states.out[warp][head][dim + 1] = output[m][2 + c];
    }
  }
  FinishChunk<T, kHeadDim, kMmaGroup>(p, w, states);
#endif
}

}  // namespace kvb::cuda_kernels
