// ops::cuda::DecodeAttention(Batched): checks the inputs, picks the split-K chunk size,
// dispatches dtype x head_dim x group width, launches the split-K kernel, which also
// merges the chunks: on the CUDA cores (kernels/cuda/decode_attention_kernel.cuh) or, for
// groups of 3+ heads in bf16/fp16, on the tensor cores (decode_attention_mma_kernel.cuh).
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <type_traits>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/cpu/reference_ops.h"
#include "kernels/cuda/decode_attention_kernel.cuh"
#include "kernels/cuda/decode_attention_mma_kernel.cuh"
#include "kernels/cuda/launch_utils.h"
#include "kernels/index_math.h"
#include "kernels/split_k_plan.h"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

using cuda_kernels::DecodeAttentionParams;
using cuda_kernels::kDecodeMaxCachesPerLaunch;

constexpr const char* kOp = "decode_attention";


// The split kernel's arrival counters (DecodeAttentionParams::arrivals): one zeroed
// buffer per device, allocated at the first call and never freed or moved, because a
// captured decode graph holds its address. The kernel leaves it zero after every launch.
// Launches on one device are ordered on its current stream, which is how the decoder
// runs; two launches running concurrently on different streams would share counters.
constexpr std::int64_t kMaxArrivalCounters = std::int64_t{1} << 20;

unsigned* ArrivalCounters(const at::Device& device, std::int64_t needed) {
  KVB_REQUIRE(needed <= kMaxArrivalCounters, kOp, ": ", needed, " (cache, segment, head block) triples in one launch",
              " exceed the ", kMaxArrivalCounters, " arrival counters");
  static std::mutex mutex;
  static std::array<unsigned*, 64> buffers{};
  const std::lock_guard<std::mutex> lock(mutex);
  unsigned*& buffer = buffers.at(device.index());
  if (buffer == nullptr) {
    cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    KVB_REQUIRE(cudaStreamIsCapturing(at::cuda::getCurrentCUDAStream(), &capturing) == cudaSuccess &&
                    capturing == cudaStreamCaptureStatusNone,
                kOp, ": the first call on a device must not be captured into a CUDA graph (run one step eagerly)");
    void* memory = nullptr;
    const std::size_t bytes = sizeof(unsigned) * kMaxArrivalCounters;
    KVB_REQUIRE(cudaMalloc(&memory, bytes) == cudaSuccess && cudaMemset(memory, 0, bytes) == cudaSuccess, kOp,
                ": cannot allocate the split-K arrival counters (", bytes, " bytes)");
    buffer = static_cast<unsigned*>(memory);
  }
  return buffer;
}

// Everything the launch needs besides the dtype and the tile shape.
struct DecodePlan {
  DecodeAttentionParams params;
  int max_segments = 0;
  int max_group = 0;
  std::int64_t total_rows = 0;  // sum of capacities over the launch's segments
  std::int64_t total_segments = 0;
  int max_capacity = 0;
};

// The split-K chunk (kernels/split_k_plan.h) on this device.
int ChooseChunkRows(const DecodePlan& plan, int rows_per_block_tile, int head_blocks, int resident_blocks) {
  SplitKShape shape;
  shape.total_rows = plan.total_rows;
  shape.total_segments = plan.total_segments;
  shape.max_capacity = plan.max_capacity;
  shape.rows_per_block_tile = rows_per_block_tile;
  shape.head_blocks = head_blocks;
  shape.blocks_per_wave =
      static_cast<std::int64_t>(at::cuda::getCurrentDeviceProperties()->multiProcessorCount) * resident_blocks;
  return ChooseSplitKChunkRows(shape);
}

// kTensorCores: DecodeAttentionMmaKernel (kGroup = its 8 heads) instead of the CUDA-core
// DecodeAttentionSplitKKernel; both take the same parameters and grid.
template <typename T, int kHeadDim, int kGroup, bool kTensorCores>
void LaunchWithGroup(DecodePlan& plan, at::Tensor& out, const at::Tensor& queries) {
  DecodeAttentionParams& p = plan.params;
  void (*split_kernel)(DecodeAttentionParams) = nullptr;
  int rows_per_block_tile = 0;
  if constexpr (kTensorCores) {
    static_assert(kGroup == cuda_kernels::kMmaGroup, "the mma kernel serves 8 heads a block");
    split_kernel = cuda_kernels::DecodeAttentionMmaKernel<T, kHeadDim>;
    rows_per_block_tile = cuda_kernels::kMmaRowsPerBlockTile;
  } else {
    split_kernel = cuda_kernels::DecodeAttentionSplitKKernel<T, kHeadDim, kGroup>;
    rows_per_block_tile = cuda_kernels::DecodeRowsPerBlockTile<T, kHeadDim>();
  }
  // Asked once per kernel instantiation: the driver query costs microseconds per call,
  // as much as the kernel itself at short contexts.
  static const int resident_blocks = [split_kernel] {
    int blocks = 1;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, split_kernel, cuda_kernels::kDecodeThreads, 0);
    return std::max(blocks, 1);
  }();
  p.head_blocks = index_math::CeilDiv(plan.max_group, kGroup);
  p.chunk_rows = ChooseChunkRows(plan, rows_per_block_tile, p.head_blocks, resident_blocks);
  p.num_chunks = std::max(1, index_math::CeilDiv(plan.max_capacity, p.chunk_rows));
  const std::int64_t heads_total = static_cast<std::int64_t>(p.num_caches) * p.num_query_heads;
  const auto float_options = queries.options().dtype(at::kFloat);
  at::Tensor partial_out = at::empty({p.num_chunks, heads_total, kHeadDim}, float_options);
  at::Tensor partial_stats = at::empty({2, p.num_chunks, heads_total}, float_options);
  p.partial_out = partial_out.data_ptr<float>();
  p.partial_max = partial_stats[0].data_ptr<float>();
  p.partial_sum = partial_stats[1].data_ptr<float>();
  p.queries = queries.data_ptr();
  p.out = out.data_ptr();

  p.max_segments = plan.max_segments;
  p.arrivals = ArrivalCounters(queries.device(),
                               static_cast<std::int64_t>(p.num_caches) * p.max_segments * p.head_blocks);

  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const dim3 split_grid(p.num_chunks * p.head_blocks, plan.max_segments, p.num_caches);
  KVB_REQUIRE(split_grid.y <= 65535, kOp, ": ", split_grid.y, " segments exceed the launch limit");
  split_kernel<<<split_grid, cuda_kernels::kDecodeThreads, 0, stream>>>(p);
  detail::CheckLaunch(kOp, kTensorCores ? "DecodeAttentionMmaKernel" : "DecodeAttentionSplitKKernel");
}

// Groups of 1 or 2 heads stay on the CUDA cores: their work per byte read is at most a
// quarter of GQA 8's, and an n8 mma would be mostly padding (not yet measured against the
// mma kernel). Larger groups go to the tensor cores for bf16 and fp16 on sm_80 and later,
// 8 heads a block (G > 8: several head blocks, neighbours in launch order, so the later
// ones find the rows in L2). fp32, or an older GPU, keeps the CUDA-core kernel with 4
// heads a block: one block of 8 needed 234 registers a thread and ran 2 blocks an SM, and
// at GQA 8 two blocks of 4 read 1.16-1.47x faster (A/B in kernels/cuda/README.md).
template <typename T, int kHeadDim>
void LaunchWithHeadDim(DecodePlan& plan, at::Tensor& out, const at::Tensor& queries) {
  if (plan.max_group <= 1) return LaunchWithGroup<T, kHeadDim, 1, false>(plan, out, queries);
  if (plan.max_group <= 2) return LaunchWithGroup<T, kHeadDim, 2, false>(plan, out, queries);
  if constexpr (!std::is_same_v<T, float>) {
    static const bool has_mma = at::cuda::getCurrentDeviceProperties()->major >= 8;  // asked once a process
    if (has_mma) return LaunchWithGroup<T, kHeadDim, cuda_kernels::kMmaGroup, true>(plan, out, queries);
  }
  return LaunchWithGroup<T, kHeadDim, cuda_kernels::kDecodeMaxGroup, false>(plan, out, queries);
}

template <typename T>
void LaunchWithDtype(DecodePlan& plan, at::Tensor& out, const at::Tensor& queries, std::int64_t head_dim) {
  switch (head_dim) {
    case 64:
      return LaunchWithHeadDim<T, 64>(plan, out, queries);
    case 128:
      return LaunchWithHeadDim<T, 128>(plan, out, queries);
    default:
      throw Error(StrCat(kOp, ": no kernel for head_dim ", head_dim, " (64 and 128 are built)"));
  }
}

void Launch(DecodePlan& plan, at::Tensor& out, const at::Tensor& queries) {
  const std::int64_t head_dim = queries.size(-1);
  detail::DispatchElementType(kOp, queries.scalar_type(), [&](auto tag) {
    LaunchWithDtype<typename decltype(tag)::type>(plan, out, queries, head_dim);
  });
}

// Head dims without a kernel: the ATen reference, which runs on any device.
at::Tensor FallBackToReference(const std::vector<const LayerKV*>& layers, const at::Tensor& queries,
                               double softmax_scale) {
  TORCH_WARN_ONCE("kvbench decode_attention: no CUDA kernel for head_dim ", queries.size(-1),
                  "; using the ATen reference (slower)");
  std::vector<at::Tensor> outputs;
  for (std::size_t n = 0; n < layers.size(); ++n) {
    outputs.push_back(::kvb::ops::reference::DecodeAttention(*layers[n], queries[n], softmax_scale));
  }
  return at::stack(outputs);
}

}  // namespace

at::Tensor DecodeAttentionBatched(const std::vector<const LayerKV*>& layers, const at::Tensor& queries,
                                  double softmax_scale) {
  KVB_REQUIRE(!layers.empty(), kOp, ": no layers given");
  KVB_REQUIRE(queries.defined() && queries.dim() == 3, kOp, ": queries must be [N, H, d], got ",
              queries.defined() ? queries.sizes() : at::IntArrayRef{});
  const at::Device device = queries.device();
  detail::RequireCudaTensor(kOp, "queries", queries, device);
  const std::int64_t num_caches = queries.size(0);
  const std::int64_t num_query_heads = queries.size(1);
  const std::int64_t head_dim = queries.size(2);
  KVB_REQUIRE(static_cast<std::int64_t>(layers.size()) == num_caches, kOp, ": ", layers.size(),
              " layers for queries of ", num_caches, " caches");
  const double scale = index_math::ResolveSoftmaxScale(softmax_scale, static_cast<int>(head_dim));

  std::vector<FlatKVView> views;
  views.reserve(layers.size());
  for (std::size_t n = 0; n < layers.size(); ++n) {
    KVB_REQUIRE(layers[n] != nullptr, kOp, ": layer ", n, " is null");
    views.push_back(detail::CheckedView(kOp, *layers[n], queries.scalar_type(), head_dim, device));
    KVB_REQUIRE(num_query_heads % views.back().num_segments == 0, kOp, ": cache ", n, ": ", num_query_heads,
                " query heads do not split over ", views.back().num_segments, " segments");
  }
  if (!HasDecodeAttentionKernel(head_dim)) return FallBackToReference(layers, queries, scale);
  detail::RequireVectorAligned(kOp, "queries", queries);

  const c10::cuda::CUDAGuard guard(device);
  at::Tensor out = at::empty_like(queries);
  for (std::int64_t first = 0; first < num_caches; first += kDecodeMaxCachesPerLaunch) {
    const int count = static_cast<int>(std::min<std::int64_t>(kDecodeMaxCachesPerLaunch, num_caches - first));
    DecodePlan plan;
    plan.params.num_caches = count;
    plan.params.num_query_heads = static_cast<int>(num_query_heads);
    plan.params.scale_log2 = static_cast<float>(scale) * index_math::kLog2e;
    for (int n = 0; n < count; ++n) {
      const FlatKVView& view = views[first + n];
      const LayerKV& layer = *layers[first + n];
      plan.params.caches[n] = view;
      plan.max_segments = std::max(plan.max_segments, view.num_segments);
      plan.max_group = std::max(
          plan.max_group, index_math::QueryHeadsPerSegment(static_cast<int>(num_query_heads), view.num_segments));
      plan.total_segments += view.num_segments;
      for (const std::int32_t capacity : layer.host_capacity) {
        plan.total_rows += capacity;
        plan.max_capacity = std::max(plan.max_capacity, static_cast<int>(capacity));
      }
    }
    const at::Tensor queries_slice = queries.narrow(0, first, count);
    at::Tensor out_slice = out.narrow(0, first, count);
    Launch(plan, out_slice, queries_slice);
  }
  return out;
}

bool HasDecodeAttentionKernel(std::int64_t head_dim) { return head_dim == 64 || head_dim == 128; }

at::Tensor DecodeAttention(const LayerKV& layer, const at::Tensor& queries, double softmax_scale) {
  KVB_REQUIRE(queries.defined() && queries.dim() == 2, kOp, ": queries must be [H, d], got ",
              queries.defined() ? queries.sizes() : at::IntArrayRef{});
  return DecodeAttentionBatched({&layer}, queries.unsqueeze(0), softmax_scale).squeeze(0);
}

}  // namespace kvb::ops::cuda
