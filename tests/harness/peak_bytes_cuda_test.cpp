// peak_bytes on CUDA (harness/README.md): the allocator's peak of allocated bytes, reset
// before each sample's prefill. A one-sample sweep on TinyStories must store a peak that
// holds at least the run's own KV cache and the `full` run's (they share one prefill). Label gpu: skips
// without a CUDA device; the CPU side (0 stored) is checked by sweep_end_to_end_test.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <fstream>

#include "store/results_store.h"
#include "tests/common/test_env.h"

namespace kvb {
namespace {

TEST(PeakBytesCudaTest, PeakHoldsTheKvCacheOfEachRun) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  KVB_REQUIRE_SHARED(model, "models/tinystories-656K");
  const auto dir = testing::TempDir("peak_bytes_cuda");
  std::ofstream(dir / "sweep.yaml") << "model: {path: " << model.string() << ", dtype: float32, device: cuda}\n"
                                       "methods: [{name: full}, {name: snapkv, params: {window: 8}}]\n"
                                       "budgets: [32]\n"
                                       "datasets:\n"
                                       "  - name: needle\n"
                                       "    options: {lengths: [256], depths: [50], buffer: 64, max_new_tokens: 8}\n"
                                       "output: out\n";
  const auto run = testing::RunCommand(testing::ShellQuote(testing::KvbenchExe()) + " run " +
                                       testing::ShellQuote((dir / "sweep.yaml").string()) + " --no-report 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto results = ResultsStore::OpenReadOnly(dir / "out" / "results.db").Results();
  ASSERT_EQ(results.size(), 2u);
  for (const auto& row : results) {
    const SampleMemory& m = row.result.memory;
    EXPECT_GT(m.kv_bytes_kept, 0);
    EXPECT_GE(m.peak_bytes, m.kv_bytes_kept) << row.run_id;
    // Both runs share one prefill, whose caches live until the sample is done: the peak
    // of either includes the `full` run's whole cache.
    EXPECT_GE(m.peak_bytes, m.kv_bytes_full) << row.run_id;
  }
}

}  // namespace
}  // namespace kvb
