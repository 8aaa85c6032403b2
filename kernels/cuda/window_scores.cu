// ops::cuda::WindowScores: checks the inputs, runs the two passes of
// kernels/cuda/window_scores_kernel.cuh, then pools on [S, T] with the reference's own
// pooling (ATen max/avg_pool1d on the device, rounded as the reference rounds).
// Memory: the row statistics ([H * w, L / 256] partials) and the [S, T] output; never the
// [H, w, L] logits the ATen reference materialises.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cpu/score_reduction.h"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/cuda/window_scores_kernel.cuh"
#include "kernels/index_math.h"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

using cuda_kernels::WindowRound;
using cuda_kernels::WindowScoreParams;

constexpr const char* kOp = "window_scores";

WindowRound RoundOf(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return WindowRound::kNone;
    case at::kHalf:
      return WindowRound::kHalf;
    case at::kBFloat16:
      return WindowRound::kBFloat16;
    default:
      throw Error(StrCat(kOp, ": softmax_round_dtype ", dtype, " is not float, half or bfloat16"));
  }
}

int GroupReductionCode(GroupReduction reduction) {
  switch (reduction) {
    case GroupReduction::kNone:
      return 0;
    case GroupReduction::kMean:
      return 1;
    case GroupReduction::kMax:
      return 2;
  }
  return 0;
}

// Opts the kernel into more than the default 48 KiB of dynamic shared memory when needed.
template <typename Kernel>
void AllowSharedBytes(Kernel kernel, std::size_t bytes) {
  if (bytes <= 48 * 1024) return;
  const cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  KVB_REQUIRE(status == cudaSuccess, kOp, ": ", bytes, " bytes of shared memory are not available (",
              cudaGetErrorString(status), "); the window or the GQA group is too large");
}

template <typename T>
void LaunchTyped(WindowScoreParams& p) {
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const int group = p.heads / p.kv_heads;
  const std::size_t tile_bytes = sizeof(float) * cuda_kernels::kTileKeys * (p.head_dim + 1);

  const std::size_t stats_bytes = tile_bytes + sizeof(float) * 2 * group * p.window;
  auto* stats_kernel = cuda_kernels::WindowRowStatsKernel<T>;
  AllowSharedBytes(stats_kernel, stats_bytes);
  stats_kernel<<<dim3(p.stats_blocks, p.kv_heads), cuda_kernels::kWindowThreads, stats_bytes, stream>>>(p);
  detail::CheckLaunch(kOp, "WindowRowStatsKernel");

  const int rows = p.heads * p.window;
  cuda_kernels::WindowRowStatsMergeKernel<<<index_math::CeilDiv(rows, 128), 128, 0, stream>>>(p);
  detail::CheckLaunch(kOp, "WindowRowStatsMergeKernel");

  const int scored = p.length - p.window;
  if (scored == 0) return;
  const std::size_t score_bytes = tile_bytes + sizeof(float) * group * cuda_kernels::kTileKeys;
  auto* score_kernel = cuda_kernels::WindowScoresKernel<T>;
  AllowSharedBytes(score_kernel, score_bytes);
  score_kernel<<<dim3(index_math::CeilDiv(scored, cuda_kernels::kTileKeys), p.kv_heads), cuda_kernels::kWindowThreads,
                 score_bytes, stream>>>(p);
  detail::CheckLaunch(kOp, "WindowScoresKernel");
}

}  // namespace

at::Tensor WindowScores(const at::Tensor& window_queries, const at::Tensor& keys, const WindowScoreOptions& options) {
  KVB_REQUIRE(window_queries.defined() && keys.defined() && window_queries.dim() == 3 && keys.dim() == 3 &&
                  window_queries.size(2) == keys.size(2),
              kOp, ": expected queries [H, w, d] and keys [H_kv, L, d], got ",
              window_queries.defined() ? window_queries.sizes() : at::IntArrayRef{}, " and ",
              keys.defined() ? keys.sizes() : at::IntArrayRef{});
  const at::Device device = keys.device();
  detail::RequireCudaTensor(kOp, "window_queries", window_queries, device);
  detail::RequireCudaTensor(kOp, "keys", keys, device);
  KVB_REQUIRE(window_queries.scalar_type() == keys.scalar_type(), kOp, ": queries dtype ",
              window_queries.scalar_type(), " != keys dtype ", keys.scalar_type());
  const std::int64_t heads = window_queries.size(0), window = window_queries.size(1);
  const std::int64_t kv_heads = keys.size(0), length = keys.size(1), head_dim = keys.size(2);
  KVB_REQUIRE(kv_heads > 0 && heads % kv_heads == 0, kOp, ": ", heads, " query heads over ", kv_heads, " KV heads");
  KVB_REQUIRE(window >= 1 && window <= length, kOp, ": window ", window, " for ", length, " keys");
  KVB_REQUIRE(options.kernel_size >= 1 && options.kernel_size % 2 == 1, kOp, ": kernel_size ", options.kernel_size,
              " must be odd");
  KVB_REQUIRE(length < (1LL << 31) / std::max<std::int64_t>(head_dim, 1), kOp, ": ", length,
              " keys overflow the kernel's 32-bit indexing");

  const c10::cuda::CUDAGuard guard(device);
  WindowScoreParams p;
  p.queries = window_queries.data_ptr();
  p.keys = keys.data_ptr();
  p.heads = static_cast<int>(heads);
  p.kv_heads = static_cast<int>(kv_heads);
  p.window = static_cast<int>(window);
  p.length = static_cast<int>(length);
  p.head_dim = static_cast<int>(head_dim);
  p.scale = static_cast<float>(index_math::ResolveSoftmaxScale(options.softmax_scale, static_cast<int>(head_dim)));
  p.stats_blocks = index_math::CeilDiv(p.length, cuda_kernels::kStatsKeysPerBlock);
  p.window_mean = options.window_reduction == WindowReduction::kMean;
  p.group_reduction = GroupReductionCode(options.group_reduction);
  p.round = RoundOf(options.softmax_round_dtype);

  const auto float_options = keys.options().dtype(at::kFloat);
  const at::Tensor partials = at::empty({2, heads * window, p.stats_blocks}, float_options);
  const at::Tensor row_stats = at::empty({2, heads * window}, float_options);
  const std::int64_t segments = options.group_reduction == GroupReduction::kNone ? heads : kv_heads;
  at::Tensor scores = at::empty({segments, length - window}, float_options);
  p.partial_max = partials[0].data_ptr<float>();
  p.partial_sum = partials[1].data_ptr<float>();
  p.row_max = row_stats[0].data_ptr<float>();
  p.row_sum = row_stats[1].data_ptr<float>();
  p.scores = scores.data_ptr<float>();

  detail::DispatchElementType(kOp, keys.scalar_type(), [&](auto tag) { LaunchTyped<typename decltype(tag)::type>(p); });
  const at::ScalarType round = options.softmax_round_dtype;
  return internal::RoundThrough(internal::Pool(scores, options.pooling, options.kernel_size), round).contiguous();
}

}  // namespace kvb::ops::cuda
