// ops::cuda::Append(Batched): checks the inputs and the host mirror (room in every
// segment, no device sync), launches kernels/cuda/append_kernel.cuh, then advances the
// host mirror as ops.h promises.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/append_kernel.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/launch_utils.h"
#include "util/error.h"

namespace kvb::ops::cuda {
namespace {

using cuda_kernels::AppendParams;
using cuda_kernels::kAppendMaxCachesPerLaunch;

constexpr const char* kOp = "append";

template <typename T>
void LaunchTyped(const AppendParams& params) {
  const dim3 grid(params.num_segments, params.num_caches);
  cuda_kernels::AppendKernel<T>
      <<<grid, cuda_kernels::kAppendThreads, 0, at::cuda::getCurrentCUDAStream()>>>(params);
  detail::CheckLaunch(kOp, "AppendKernel");
}

void Launch(const AppendParams& params, at::ScalarType dtype) {
  detail::DispatchElementType(kOp, dtype, [&](auto tag) { LaunchTyped<typename decltype(tag)::type>(params); });
}

}  // namespace

void AppendBatched(const std::vector<LayerKV*>& layers, const at::Tensor& keys, const at::Tensor& values) {
  KVB_REQUIRE(!layers.empty(), kOp, ": no layers given");
  KVB_REQUIRE(keys.defined() && keys.dim() == 3, kOp, ": keys must be [N, S, d], got ",
              keys.defined() ? keys.sizes() : at::IntArrayRef{});
  KVB_REQUIRE(values.defined() && values.sizes() == keys.sizes(), kOp, ": values must match keys ", keys.sizes());
  KVB_REQUIRE(values.scalar_type() == keys.scalar_type(), kOp, ": values dtype ", values.scalar_type(),
              " != keys dtype ", keys.scalar_type());
  const at::Device device = keys.device();
  detail::RequireCudaTensor(kOp, "keys", keys, device);
  detail::RequireCudaTensor(kOp, "values", values, device);
  detail::RequireVectorAligned(kOp, "keys", keys);
  detail::RequireVectorAligned(kOp, "values", values);
  const std::int64_t num_caches = keys.size(0);
  const std::int64_t segments = keys.size(1);
  const std::int64_t head_dim = keys.size(2);
  KVB_REQUIRE(static_cast<std::int64_t>(layers.size()) == num_caches, kOp, ": ", layers.size(),
              " layers for keys of ", num_caches, " caches");
  std::vector<FlatKVView> views;
  for (std::size_t n = 0; n < layers.size(); ++n) {
    KVB_REQUIRE(layers[n] != nullptr, kOp, ": layer ", n, " is null");
    const LayerKV& layer = *layers[n];
    views.push_back(detail::CheckedView(kOp, layer, keys.scalar_type(), head_dim, device));
    KVB_REQUIRE(layer.num_segments() == segments, kOp, ": cache ", n, " has ", layer.num_segments(),
                " segments, keys have ", segments);
    for (int s = 0; s < layer.num_segments(); ++s) {
      KVB_REQUIRE(layer.host_length[s] < layer.host_capacity[s], kOp, ": cache ", n, " segment ", s,
                  " is full (", layer.host_capacity[s], " rows); reserve more decode room");
    }
  }
  const c10::cuda::CUDAGuard guard(device);
  for (std::int64_t first = 0; first < num_caches; first += kAppendMaxCachesPerLaunch) {
    const int count = static_cast<int>(std::min<std::int64_t>(kAppendMaxCachesPerLaunch, num_caches - first));
    AppendParams params;
    params.num_caches = count;
    params.num_segments = static_cast<int>(segments);
    params.keys = keys[first].data_ptr();
    params.values = values[first].data_ptr();
    for (int n = 0; n < count; ++n) params.caches[n] = views[first + n];
    Launch(params, keys.scalar_type());
  }
  for (LayerKV* layer : layers) {
    for (std::int32_t& length : layer->host_length) ++length;
  }
}

void Append(LayerKV& layer, const at::Tensor& keys, const at::Tensor& values) {
  KVB_REQUIRE(keys.defined() && keys.dim() == 2, kOp, ": keys must be [S, d], got ",
              keys.defined() ? keys.sizes() : at::IntArrayRef{});
  KVB_REQUIRE(values.defined() && values.dim() == 2, kOp, ": values must be [S, d], got ",
              values.defined() ? values.sizes() : at::IntArrayRef{});
  AppendBatched({&layer}, keys.unsqueeze(0), values.unsqueeze(0));
}

}  // namespace kvb::ops::cuda
