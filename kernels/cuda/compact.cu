// ops::cuda::Compact: the reference's layout (kernels/compact_plan.h), filled by one
// gather kernel for K and V. Rows past a segment's length (its decode room) are left
// uninitialised: nothing reads them before Append writes them.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/compact_plan.h"
#include "kernels/cuda/compact_kernel.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "kernels/index_math.h"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

constexpr const char* kOp = "compact";

template <typename T>
void LaunchTyped(const cuda_kernels::CompactParams& p) {
  const std::int64_t threads = p.kept * p.vectors_per_row;
  const std::int64_t blocks = (threads + cuda_kernels::kCompactThreads - 1) / cuda_kernels::kCompactThreads;
  KVB_REQUIRE(blocks < (std::int64_t{1} << 31), kOp, ": ", p.kept, " rows exceed one launch");
  cuda_kernels::CompactKernel<T><<<static_cast<unsigned>(blocks), cuda_kernels::kCompactThreads, 0,
                                   at::cuda::getCurrentCUDAStream()>>>(p);
  detail::CheckLaunch(kOp, "CompactKernel");
}

}  // namespace

LayerKV Compact(const at::Tensor& keys, const at::Tensor& values, const KeptPositions& kept,
                std::int64_t extra_capacity) {
  KVB_REQUIRE(keys.defined() && values.defined() && keys.dim() == 3 && values.sizes() == keys.sizes(), kOp,
              ": keys/values must be [H_kv, L, d]");
  const at::Device device = keys.device();
  detail::RequireCudaTensor(kOp, "keys", keys, device);
  detail::RequireCudaTensor(kOp, "values", values, device);
  KVB_REQUIRE(values.scalar_type() == keys.scalar_type(), kOp, ": values dtype ", values.scalar_type(),
              " != keys dtype ", keys.scalar_type());
  detail::RequireVectorAligned(kOp, "keys", keys);
  detail::RequireVectorAligned(kOp, "values", values);
  const std::int64_t kv_heads = keys.size(0), length = keys.size(1), head_dim = keys.size(2);
  const CompactPlan plan = PlanCompact(kept, kv_heads, length, extra_capacity);

  const c10::cuda::CUDAGuard guard(device);
  LayerKV layer = LayerFromPlan(plan, device);
  layer.keys = at::empty({plan.total_rows, head_dim}, keys.options());
  layer.values = at::empty({plan.total_rows, head_dim}, values.options());
  if (plan.source_rows.empty()) return layer;
  const auto int_options = at::TensorOptions().dtype(at::kInt);
  // One host-to-device copy for both maps.
  std::vector<std::int32_t> maps(plan.source_rows);
  maps.insert(maps.end(), plan.destination_rows.begin(), plan.destination_rows.end());
  const at::Tensor device_maps = at::tensor(maps, int_options).to(device);

  cuda_kernels::CompactParams p;
  p.keys = keys.data_ptr();
  p.values = values.data_ptr();
  p.out_keys = layer.keys.data_ptr();
  p.out_values = layer.values.data_ptr();
  p.kept = static_cast<std::int64_t>(plan.source_rows.size());
  p.source = device_maps.data_ptr<std::int32_t>();
  p.destination = p.source + p.kept;
  p.vectors_per_row = static_cast<int>(head_dim * keys.element_size() / 16);
  detail::DispatchElementType(kOp, keys.scalar_type(), [&](auto tag) { LaunchTyped<typename decltype(tag)::type>(p); });
  return layer;
}

}  // namespace kvb::ops::cuda
