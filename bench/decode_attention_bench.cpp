// decode_attention on the GPU as a fraction of a device-to-device copy measured in the
// same binary (STYLE P9). Each timed call is preceded by an L2 flush and timed with CUDA
// events (UseManualTime). Two timings (arg `graph`):
//   graph:0  the op called from the host after a memset flush (the first method used here:
//            the host-side launch cost and the write-back of the ~50 MB of dirty lines the
//            memset leaves in L2 both land inside the timed call);
//   graph:1  the op replayed from a CUDA graph, as the decoder runs it, after a flush that
//            reads twice the L2 size (it leaves clean lines, as the GEMMs before a decode
//            step's attention do). The copy baseline is measured the same way.
// Bytes processed are the K and V rows the op must read: sum(length) * d * 2 * element
// size. Counters:
//   copy_ratio  achieved bytes/s over the copy's (read + write) bytes/s; goal >= 0.85 from 16k
//   same_copy_ratio  time of a copy moving the same bytes (read + write, same flush and
//               launch path) over the op's time: the fixed cost of a launch cancels out
//   kv_MiB      K+V bytes per call
//   host_us     host time to issue one call (graph:1: the replay's share)
// Grid: context per KV head 4k..128k, GQA 4 and 8 (8 KV heads), uniform or Ada-style
// skewed lengths (same mean), head_dim 64/128, bf16; plus batched calls over N caches.
//   build-cuda/bench/kvb_decode_attention_bench --benchmark_out=decode.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(KVB_WITH_CUDA)
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime.h>
#include <torch/cuda.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
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

// Evicts the previous call's data from L2 so every timed call reads from HBM. Dirty: a
// memset of twice the L2 size, whose dirty lines the next kernel must write back. Clean: a
// reduction that reads twice the L2 size (any dirty lines are written back during it).
class L2Flusher {
 public:
  L2Flusher() {
    int device = 0;
    CudaCheck(cudaGetDevice(&device), "cudaGetDevice");
    int l2_bytes = 0;
    CudaCheck(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device), "L2 size");
    const std::int64_t floats = std::max<std::int64_t>(2 * std::int64_t{l2_bytes}, 1 << 20) / 4;
    buffer_ = at::ones({floats}, at::TensorOptions().device(at::kCUDA).dtype(at::kFloat));
  }
  void Flush(bool clean) {
    if (clean) {
      at::sum_out(sum_, buffer_);
    } else {
      CudaCheck(cudaMemsetAsync(buffer_.data_ptr(), 0, buffer_.nbytes(), at::cuda::getCurrentCUDAStream()), "L2 flush");
    }
  }

 private:
  at::Tensor buffer_;
  at::Tensor sum_ = at::empty({}, at::TensorOptions().device(at::kCUDA).dtype(at::kFloat));
};

// `calls` recorded once into a CUDA graph after one eager run (allocations such as the
// split-K arrival counters happen outside the capture, as in the decoder).
std::unique_ptr<at::cuda::CUDAGraph> CaptureGraph(const std::function<void()>& calls) {
  calls();
  CudaCheck(cudaDeviceSynchronize(), "sync");
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  {
    const c10::cuda::CUDAStreamGuard side(c10::cuda::getStreamFromPool());
    graph->capture_begin();
    calls();
    graph->capture_end();
  }
  CudaCheck(cudaDeviceSynchronize(), "sync");
  return graph;
}

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
// bandwidth-bound kernel is measured against, after each kind of flush (index: clean).
// Measured once, before the grid.
std::array<double, 2>& CopyBytesPerSecond() {
  static std::array<double, 2> value{};
  return value;
}

cudaStream_t Stream() { return at::cuda::getCurrentCUDAStream(); }

// A device buffer for the copy rows, freed with its owner.
struct DeviceBuffer {
  explicit DeviceBuffer(std::size_t bytes) {
    CudaCheck(cudaMalloc(&data, bytes), "cudaMalloc(copy)");
    CudaCheck(cudaMemset(data, 1, bytes), "memset");
  }
  ~DeviceBuffer() { cudaFree(data); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* data = nullptr;
};

// Seconds of one flushed copy of `bytes`.
double TimeCopy(const DeviceBuffer& source, const DeviceBuffer& target, std::size_t bytes, bool clean,
                L2Flusher& flusher, EventTimer& timer) {
  flusher.Flush(clean);
  timer.Start(Stream());
  CudaCheck(cudaMemcpyAsync(target.data, source.data, bytes, cudaMemcpyDeviceToDevice, Stream()), "copy");
  return timer.StopSeconds(Stream());
}

double MeasureCopy(std::size_t bytes, int repeats, bool clean) {
  const DeviceBuffer source(bytes), target(bytes);
  L2Flusher flusher;
  EventTimer timer;
  double best = 0.0;
  for (int i = 0; i < repeats; ++i) best = std::max(best, 2.0 * bytes / TimeCopy(source, target, bytes, clean, flusher, timer));
  return best;
}

// Seconds of a copy that moves `moved_bytes` (read + write), timed as the decode rows
// are: after the same flush, replayed from a CUDA graph when `graph`; median of 15. The
// copy pays the same launch and ramp-up as the op, so the ratio to it says how far the op
// is from a copy of its own size, where copy_ratio (against 512 MiB) also counts the
// fixed cost every short launch has.
double SameTrafficCopySeconds(double moved_bytes, bool graph, L2Flusher& flusher, EventTimer& timer) {
  const auto bytes = static_cast<std::size_t>(moved_bytes / 2);
  const DeviceBuffer source(bytes), target(bytes);
  const auto copy = [&] {
    CudaCheck(cudaMemcpyAsync(target.data, source.data, bytes, cudaMemcpyDeviceToDevice, Stream()), "copy");
  };
  const std::unique_ptr<at::cuda::CUDAGraph> captured = graph ? CaptureGraph(copy) : nullptr;
  std::vector<double> seconds;
  for (int i = 0; i < 15; ++i) {
    flusher.Flush(/*clean=*/graph);
    timer.Start(Stream());
    if (captured) {
      captured->replay();
    } else {
      copy();
    }
    seconds.push_back(timer.StopSeconds(Stream()));
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return seconds[seconds.size() / 2];
}

// The copy as a benchmark row too, so the JSON holds the baseline next to the ratios.
void BM_DeviceCopy(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) << 20;
  const bool clean = state.range(1) != 0;
  const DeviceBuffer source(bytes), target(bytes);
  L2Flusher flusher;
  EventTimer timer;
  double seconds = 0.0;
  for (auto _ : state) {
    const double elapsed = TimeCopy(source, target, bytes, clean, flusher, timer);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  const double moved = 2.0 * bytes * state.iterations();
  state.SetBytesProcessed(static_cast<std::int64_t>(moved));
  state.counters["copy_ratio"] = moved / seconds / CopyBytesPerSecond()[clean];
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
  // decode step issues them (one per layer); time per call.
  const int calls = std::max(1, static_cast<int>(state.range(5)));
  const bool graph = state.range(6) != 0;
  const auto run_calls = [&] {
    for (int call = 0; call < calls; ++call) {
      benchmark::DoNotOptimize(ops::cuda::DecodeAttentionBatched(pointers, queries, 0.0));
    }
  };
  const std::unique_ptr<at::cuda::CUDAGraph> captured = graph ? CaptureGraph(run_calls) : nullptr;
  L2Flusher flusher;
  EventTimer timer;
  double seconds = 0.0;
  double host_seconds = 0.0;  // spent issuing the calls (or the replay) on the host
  for (auto _ : state) {
    flusher.Flush(/*clean=*/graph);
    timer.Start(Stream());
    const auto host_start = std::chrono::steady_clock::now();
    if (captured) {
      captured->replay();
    } else {
      run_calls();
    }
    host_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start).count() / calls;
    const double elapsed = timer.StopSeconds(Stream()) / calls;
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  state.counters["host_us"] = 1e6 * host_seconds / state.iterations();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * state.iterations()));
  state.counters["copy_ratio"] = bytes * state.iterations() / seconds / CopyBytesPerSecond()[graph];
  state.counters["kv_MiB"] = bytes / (1 << 20);
  state.counters["same_copy_ratio"] =
      SameTrafficCopySeconds(bytes, graph, flusher, timer) * state.iterations() / seconds;
}

void RegisterAll() {
  benchmark::RegisterBenchmark("device_copy", BM_DeviceCopy)
      ->ArgNames({"MiB", "clean"})
      ->ArgsProduct({{16, 64, 512}, {0, 1}})
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("decode_attention", BM_DecodeAttention)
      ->ArgNames({"ctx", "gqa", "skew", "hd", "n", "b2b", "graph"})
      ->ArgsProduct({{4096, 16384, 32768, 65536, 131072}, {4, 8}, {0, 1}, {128}, {1}, {0}, {0, 1}})
      ->ArgsProduct({{4096, 16384, 32768}, {4}, {0, 1}, {64}, {1}, {0}, {1}})
      // Calls back to back (a decode step's layers): KV beyond the 50 MB L2 from 16k.
      ->ArgsProduct({{16384, 32768, 131072}, {4, 8}, {0}, {128}, {1}, {16}, {1}})
      // Batched sweep decoding: N configurations of one sample, budget-sized caches.
      ->ArgsProduct({{1024, 4096}, {4}, {1}, {128}, {8, 32}, {0}, {1}})
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
  auto& copy = kvb::bench::CopyBytesPerSecond();
  for (const bool clean : {false, true}) {
    copy[clean] = kvb::bench::MeasureCopy(std::size_t{512} << 20, 20, clean);
    const char* flush = clean ? "clean" : "dirty";
    std::printf("device-to-device copy (512 MiB, read + write) after a %s flush: %.1f GB/s\n", flush, copy[clean] / 1e9);
    benchmark::AddCustomContext(std::string("copy_GBps_") + flush, std::to_string(copy[clean] / 1e9));
  }
  std::printf("copy_ratio is relative to the copy after the same flush (graph:0 dirty, graph:1 clean)\n");
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
