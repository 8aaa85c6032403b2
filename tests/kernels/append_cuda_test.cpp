// cuda::Append(Batched) against ops::Append (the ATen reference) on the same inputs on the
// CPU: after several steps the whole K/V buffers, NaN sentinels included, must be equal
// bit for bit (a copy is exact), and the device and host lengths must agree. Label gpu.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/ops.h"
#include "tests/kernels/cuda_test_util.h"
#include "util/error.h"

namespace kvb::testing {
namespace {

void ExpectSameLayer(const LayerKV& gpu, const LayerKV& cpu, const std::string& context) {
  EXPECT_TRUE(at::equal(BitsOf(gpu.keys), BitsOf(cpu.keys))) << context << ": keys (or sentinels) differ";
  EXPECT_TRUE(at::equal(BitsOf(gpu.values), BitsOf(cpu.values))) << context << ": values (or sentinels) differ";
  EXPECT_TRUE(at::equal(gpu.length.cpu(), cpu.length)) << context << ": device lengths differ";
  EXPECT_EQ(gpu.host_length, cpu.host_length) << context << ": host lengths differ";
  EXPECT_TRUE(at::equal(gpu.length.cpu(), at::tensor(gpu.host_length, at::kInt))) << context
                                                                                   << ": host mirror is stale";
}

TEST(AppendCudaTest, MatchesAtenReferenceBitForBit) {
  KVB_SKIP_WITHOUT_CUDA();
  constexpr int kSteps = 3;
  std::uint64_t seed = 500;
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf, at::kFloat}) {
    for (const int head_dim : {64, 128, 96}) {
      for (const int segments : {1, 4, 32}) {
        ++seed;
        std::mt19937 rng(static_cast<std::uint32_t>(seed));
        std::uniform_int_distribution<int> length_of(0, 41);
        std::vector<std::int32_t> lengths;
        std::vector<std::int32_t> capacities;
        for (int s = 0; s < segments; ++s) {
          lengths.push_back(s == 0 ? 0 : length_of(rng));
          // The last segment ends full after kSteps appends.
          capacities.push_back(lengths.back() + (s == segments - 1 ? kSteps : kSteps + s % 3));
        }
        LayerKV cpu = MakeCpuLayer(lengths, capacities, head_dim, dtype, seed);
        LayerKV gpu = CopyLayerTo(cpu, at::kCUDA);
        for (int step = 0; step < kSteps; ++step) {
          const at::Tensor keys = at::randn({segments, head_dim}).to(dtype);
          const at::Tensor values = at::randn({segments, head_dim}).to(dtype);
          ops::Append(cpu, keys, values);
          ops::cuda::Append(gpu, keys.cuda(), values.cuda());
          ExpectSameLayer(gpu, cpu,
                          StrCat("dtype=", dtype, " d=", head_dim, " S=", segments, " seed=", seed, " step ", step,
                                 " lengths=", Describe(lengths)));
        }
        // The last segment is now full: the next append is refused before any write.
        const at::Tensor keys = at::randn({segments, head_dim}).to(dtype).cuda();
        EXPECT_THROW(ops::cuda::Append(gpu, keys, keys), Error);
        ExpectSameLayer(gpu, cpu, StrCat("after a refused append, seed=", seed));
      }
    }
  }
}

TEST(AppendCudaTest, BatchedMatchesPerCacheReference) {
  KVB_SKIP_WITHOUT_CUDA();
  const int num_caches = 35;  // more than one launch (32 per launch)
  const int segments = 8;
  const int head_dim = 128;
  std::vector<LayerKV> cpu_layers;
  std::vector<LayerKV> gpu_layers;
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> length_of(0, 30);
  for (int n = 0; n < num_caches; ++n) {
    std::vector<std::int32_t> lengths;
    std::vector<std::int32_t> capacities;
    for (int s = 0; s < segments; ++s) {
      lengths.push_back(length_of(rng));
      capacities.push_back(lengths.back() + 1 + s % 2);
    }
    cpu_layers.push_back(MakeCpuLayer(lengths, capacities, head_dim, at::kBFloat16, 900 + n));
    gpu_layers.push_back(CopyLayerTo(cpu_layers.back(), at::kCUDA));
  }
  const at::Tensor keys = at::randn({num_caches, segments, head_dim}).to(at::kBFloat16);
  const at::Tensor values = at::randn({num_caches, segments, head_dim}).to(at::kBFloat16);
  std::vector<LayerKV*> gpu_pointers;
  for (LayerKV& layer : gpu_layers) gpu_pointers.push_back(&layer);
  ops::cuda::AppendBatched(gpu_pointers, keys.cuda(), values.cuda());
  for (int n = 0; n < num_caches; ++n) {
    ops::Append(cpu_layers[n], keys[n], values[n]);
    ExpectSameLayer(gpu_layers[n], cpu_layers[n], StrCat("batched append, cache ", n, " seed 9"));
  }
}

TEST(AppendCudaTest, RejectsBadInputsWithNamedErrors) {
  KVB_SKIP_WITHOUT_CUDA();
  LayerKV gpu = CopyLayerTo(MakeCpuLayer({1, 2}, {4, 4}, 64, at::kHalf, 4), at::kCUDA);
  const at::Tensor keys = at::randn({2, 64}).to(at::kHalf).cuda();
  EXPECT_THROW(ops::cuda::Append(gpu, keys.to(at::kFloat), keys.to(at::kFloat)), Error);
  EXPECT_THROW(ops::cuda::Append(gpu, keys.cpu(), keys.cpu()), Error);
  EXPECT_THROW(ops::cuda::Append(gpu, keys.narrow(0, 0, 1), keys.narrow(0, 0, 1)), Error);
  EXPECT_EQ(gpu.host_length, (std::vector<std::int32_t>{1, 2})) << "a refused append changed the host mirror";
}

}  // namespace
}  // namespace kvb::testing
