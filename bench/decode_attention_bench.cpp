// decode_attention on the GPU as a fraction of a device-to-device copy measured in the
// same binary (STYLE P9). Each timed call is preceded by an L2 flush (a memset of twice
// the L2 size) and timed with CUDA events (UseManualTime). Bytes processed are the K and
// V rows the op must read: sum(length) * d * 2 * element size. Counters:
//   copy_ratio  achieved bytes/s over the copy's (read + write) bytes/s; goal >= 0.85 from 16k
//   kv_MiB      K+V bytes per call
// Grid: context per KV head 4k..128k, GQA 4 and 8 (8 KV heads), uniform or Ada-style
// skewed lengths (same mean), head_dim 64/128, bf16; plus batched calls over N caches.
//   build-cuda/bench/kvb_decode_attention_bench --benchmark_out=decode.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(KVB_WITH_CUDA)
#include <ATen/ATen.h>
#include <cuda_runtime.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/flat_kv_cache.h"

namespace kvb::bench {
namespace {

void CudaCheck(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// Evicts the previous call's data from L2 so every timed call reads from HBM.
class L2Flusher {
 public:
  L2Flusher() {
    int device = 0;
    CudaCheck(cudaGetDevice(&device), "cudaGetDevice");
    int l2_bytes = 0;
    CudaCheck(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device), "L2 size");
    bytes_ = std::max<std::size_t>(2 * static_cast<std::size_t>(l2_bytes), 1 << 20);
    CudaCheck(cudaMalloc(&buffer_, bytes_), "cudaMalloc(L2 flush)");
  }
  ~L2Flusher() { cudaFree(buffer_); }
  void Flush(cudaStream_t stream) { CudaCheck(cudaMemsetAsync(buffer_, 0, bytes_, stream), "L2 flush"); }

 private:
  void* buffer_ = nullptr;
  std::size_t bytes_ = 0;
};

class EventTimer {
 public:
  EventTimer() {
    CudaCheck(cudaEventCreate(&start_), "event");
    CudaCheck(cudaEventCreate(&stop_), "event");
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  void Start(cudaStream_t stream) { CudaCheck(cudaEventRecord(start_, stream), "event record"); }
  double StopSeconds(cudaStream_t stream) {
    CudaCheck(cudaEventRecord(stop_, stream), "event record");
    CudaCheck(cudaEventSynchronize(stop_), "event sync");
    float ms = 0.f;
    CudaCheck(cudaEventElapsedTime(&ms, start_, stop_), "elapsed");
    return ms * 1e-3;
  }

 private:
  cudaEvent_t start_{};
  cudaEvent_t stop_{};
};

// Bytes/s of a large device-to-device copy, counting read + write: the floor a
// bandwidth-bound kernel is measured against. Measured once, before the grid.
double& CopyBytesPerSecond() {
  static double value = 0.0;
  return value;
}

double MeasureCopy(std::size_t bytes, int repeats) {
  void* source = nullptr;
  void* target = nullptr;
  CudaCheck(cudaMalloc(&source, bytes), "cudaMalloc(copy)");
  CudaCheck(cudaMalloc(&target, bytes), "cudaMalloc(copy)");
  CudaCheck(cudaMemset(source, 1, bytes), "memset");
  L2Flusher flusher;
  EventTimer timer;
  double best = 0.0;
  for (int i = 0; i < repeats; ++i) {
    flusher.Flush(nullptr);
    timer.Start(nullptr);
    CudaCheck(cudaMemcpyAsync(target, source, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy");
    best = std::max(best, 2.0 * bytes / timer.StopSeconds(nullptr));
  }
  cudaFree(source);
  cudaFree(target);
  return best;
}

// The copy as a benchmark row too, so the JSON holds the baseline next to the ratios.
void BM_DeviceCopy(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) << 20;
  void* source = nullptr;
  void* target = nullptr;
  CudaCheck(cudaMalloc(&source, bytes), "cudaMalloc");
  CudaCheck(cudaMalloc(&target, bytes), "cudaMalloc");
  CudaCheck(cudaMemset(source, 1, bytes), "memset");
  L2Flusher flusher;
  EventTimer timer;
  double seconds = 0.0;
  for (auto _ : state) {
    flusher.Flush(nullptr);
    timer.Start(nullptr);
    CudaCheck(cudaMemcpyAsync(target, source, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy");
    const double elapsed = timer.StopSeconds(nullptr);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  const double moved = 2.0 * bytes * state.iterations();
  state.SetBytesProcessed(static_cast<std::int64_t>(moved));
  state.counters["copy_ratio"] = moved / seconds / CopyBytesPerSecond();
  cudaFree(source);
  cudaFree(target);
}

constexpr int kKvHeads = 8;  // Llama-3-8B shape: 8 KV heads per layer

// Lengths per KV head with mean `context`: equal, or Ada-style skewed (log-normal weights,
// sigma 1: a few heads hold several times the mean, many hold a fraction of it).
std::vector<std::int32_t> SegmentLengths(int context, bool skewed, int segments, std::uint32_t seed) {
  std::vector<std::int32_t> lengths(segments, context);
  if (!skewed) return lengths;
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> weights(segments);
  double total = 0.0;
  for (double& w : weights) total += (w = std::exp(normal(rng)));
  for (int s = 0; s < segments; ++s) {
    lengths[s] = std::max<std::int32_t>(32, static_cast<std::int32_t>(context * segments * weights[s] / total));
  }
  return lengths;
}

// A flat layer on the GPU with random K/V (bf16/fp16/fp32), capacity = length + 64.
LayerKV MakeDeviceLayer(const std::vector<std::int32_t>& lengths, int head_dim, at::ScalarType dtype) {
  LayerKV layer;
  std::int32_t row = 0;
  for (const std::int32_t length : lengths) {
    layer.host_offset.push_back(row);
    layer.host_length.push_back(length);
    layer.host_capacity.push_back(length + 64);
    row += length + 64;
  }
  const auto options = at::TensorOptions().device(at::kCUDA).dtype(dtype);
  layer.keys = at::randn({row, head_dim}, options);
  layer.values = at::randn({row, head_dim}, options);
  const auto n = static_cast<std::int64_t>(lengths.size());
  const auto int_options = at::TensorOptions().dtype(at::kInt);
  layer.offset = at::from_blob(layer.host_offset.data(), {n}, int_options).to(at::kCUDA);
  layer.length = at::from_blob(layer.host_length.data(), {n}, int_options).to(at::kCUDA);
  layer.capacity = at::from_blob(layer.host_capacity.data(), {n}, int_options).to(at::kCUDA);
  return layer;
}

// Args: ctx (mean tokens per KV head), gqa (G), skew (0/1), hd (head_dim), n (caches).
void BM_DecodeAttention(benchmark::State& state) {
  const int context = static_cast<int>(state.range(0));
  const int group = static_cast<int>(state.range(1));
  const bool skewed = state.range(2) != 0;
  const int head_dim = static_cast<int>(state.range(3));
  const int num_caches = static_cast<int>(state.range(4));
  const at::ScalarType dtype = at::kBFloat16;
  std::vector<LayerKV> layers;
  std::int64_t rows = 0;
  for (int n = 0; n < num_caches; ++n) {
    layers.push_back(MakeDeviceLayer(SegmentLengths(context, skewed, kKvHeads, 17 + n), head_dim, dtype));
    for (const std::int32_t length : layers.back().host_length) rows += length;
  }
  std::vector<const LayerKV*> pointers;
  for (const LayerKV& layer : layers) pointers.push_back(&layer);
  const at::Tensor queries =
      at::randn({num_caches, kKvHeads * group, head_dim}, at::TensorOptions().device(at::kCUDA).dtype(dtype));
  const double bytes = 2.0 * rows * head_dim * at::elementSize(dtype);

  // back_to_back > 0: that many calls between two events with no flush in between, as a
  // decode step issues them (one per layer); time per call. Separates the kernel's own
  // time from the gap a flush + a host-side launch leave at the start of a lone call.
  const int back_to_back = static_cast<int>(state.range(5));
  L2Flusher flusher;
  EventTimer timer;
  double seconds = 0.0;
  for (auto _ : state) {
    flusher.Flush(nullptr);
    timer.Start(nullptr);
    for (int call = 0; call < std::max(1, back_to_back); ++call) {
      benchmark::DoNotOptimize(ops::cuda::DecodeAttentionBatched(pointers, queries, 0.0));
    }
    const double elapsed = timer.StopSeconds(nullptr) / std::max(1, back_to_back);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * state.iterations()));
  state.counters["copy_ratio"] = bytes * state.iterations() / seconds / CopyBytesPerSecond();
  state.counters["kv_MiB"] = bytes / (1 << 20);
}

void RegisterAll() {
  benchmark::RegisterBenchmark("device_copy", BM_DeviceCopy)
      ->ArgName("MiB")
      ->Arg(16)
      ->Arg(64)
      ->Arg(512)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("decode_attention", BM_DecodeAttention)
      ->ArgNames({"ctx", "gqa", "skew", "hd", "n", "b2b"})
      ->ArgsProduct({{4096, 16384, 32768, 65536, 131072}, {4, 8}, {0, 1}, {128}, {1}, {0}})
      ->ArgsProduct({{4096, 16384, 32768}, {4}, {0, 1}, {64}, {1}, {0}})
      // Calls back to back (a decode step's layers): KV beyond the 50 MB L2 from 16k.
      ->ArgsProduct({{16384, 32768, 131072}, {4, 8}, {0}, {128}, {1}, {16}})
      // Batched sweep decoding: N configurations of one sample, budget-sized caches.
      ->ArgsProduct({{1024, 4096}, {4}, {1}, {128}, {8, 32}, {0}})
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace kvb::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!torch::cuda::is_available()) {
    std::printf("decode_attention_bench: no CUDA device; nothing to measure\n");
    return 0;
  }
  kvb::bench::CopyBytesPerSecond() = kvb::bench::MeasureCopy(std::size_t{512} << 20, 20);
  std::printf("device-to-device copy (512 MiB, read + write): %.1f GB/s; copy_ratio is relative to it\n",
              kvb::bench::CopyBytesPerSecond() / 1e9);
  benchmark::AddCustomContext("copy_GBps", std::to_string(kvb::bench::CopyBytesPerSecond() / 1e9));
  kvb::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
#else
int main() {
  std::printf("decode_attention_bench: built without CUDA kernels (KVB_ENABLE_CUDA off); nothing to measure\n");
  return 0;
}
#endif
