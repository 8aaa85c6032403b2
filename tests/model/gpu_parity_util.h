// The GPU parity check shared by tests/model/gpu_*_parity_test.cpp: transformers
// (python/gpu_reference.py) and kvbench's Decoder each run a checkpoint on CUDA in bf16;
// the last prompt position's logits must agree within bf16 tolerance, and the first
// greedy tokens must be equal except where the reference's top two logits are within
// that tolerance of each other (then either choice is right, and the texts part ways).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <string>

#include "model/decoder.h"
#include "model/generation.h"
#include "tests/common/test_env.h"
#include "tests/model/model_test_util.h"
#include "util/error.h"

namespace kvb::testing {

// bf16 keeps 8 bits of mantissa; two implementations that round at different points
// (fused vs unfused kernels, summation order over 4096-wide dot products) differ by a
// few bf16 ulps of the largest logit after a few layers.
constexpr double kBf16LogitTolerance = 2e-2;  // max |a - b| / max |b|
constexpr int kGreedyTokens = 8;

// KVB_GPU_PARITY_ON_CPU=1 runs the same comparison on the CPU (bf16), to check the test
// itself on a machine without a GPU; CI leaves it unset and the test skips.
inline bool ParityOnCpu() {
  const char* value = std::getenv("KVB_GPU_PARITY_ON_CPU");
  return value != nullptr && std::string(value) == "1";
}

#define KVB_SKIP_WITHOUT_CUDA_PARITY()                                                               \
  if (!torch::cuda::is_available() && !::kvb::testing::ParityOnCpu())                               \
  GTEST_SKIP() << "no CUDA device: the gpu parity tests need one (KVB_GPU_PARITY_ON_CPU=1 runs them " \
                  "on the CPU)"

inline at::Device ParityDevice() { return torch::cuda::is_available() ? at::Device(at::kCUDA) : at::Device(at::kCPU); }

// Compares kvbench with transformers on `dir` for `prompt`; `name` labels temp files.
inline void ExpectBf16ParityWithTransformers(const std::filesystem::path& dir, const TokenIds& prompt,
                                             const std::string& name) {
  const at::Device device = ParityDevice();
  std::string ids;
  for (TokenId id : prompt) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const auto reference_file = TempDir(name + "_reference") / "reference.safetensors";
  const auto script = SourceDir() / "tests/model/python/gpu_reference.py";
  const auto python = RunCommand(PythonExe() + " " + ShellQuote(script.string()) + " " + ShellQuote(dir.string()) +
                                 " " + ShellQuote(reference_file.string()) + " " + ids + " " +
                                 std::to_string(kGreedyTokens) + " " + (device.is_cuda() ? "cuda" : "cpu") +
                                 " bfloat16 2>&1");
  ASSERT_EQ(python.exit_code, 0) << python.output;
  std::cout << python.output;
  SafetensorsFile reference(reference_file);
  const at::Tensor step_logits = ReadReference(reference, "step_logits");  // [kGreedyTokens, V]
  const TokenIds reference_greedy = ToTokenIds(ReadReference(reference, "greedy"));

  auto decoder = Decoder::Load(dir, DecoderOptions{device, at::kBFloat16});
  const at::Tensor logits = decoder->PromptLogits(prompt).select(0, -1).to(at::kCPU, at::kFloat);
  const at::Tensor expected = step_logits[0];
  ASSERT_EQ(logits.sizes(), expected.sizes());
  const double scale = expected.abs().max().item<double>();
  const double error = (logits - expected).abs().max().item<double>();
  EXPECT_LE(error, kBf16LogitTolerance * scale)
      << name << ": last-position logits differ by " << error << " (max |logit| " << scale << ")";
  std::cout << name << ": last-position logits max abs diff " << error << ", max |logit| " << scale
            << ", relative " << error / scale << "\n";

  GenerationOptions options;
  options.max_new_tokens = kGreedyTokens;
  const TokenIds greedy = GenerateForConfigs(*decoder, prompt, {CacheConfig{}}, options, nullptr)[0].tokens;
  ASSERT_EQ(greedy.size(), reference_greedy.size()) << name;
  for (int step = 0; step < kGreedyTokens; ++step) {
    if (greedy[step] == reference_greedy[step]) continue;
    // The first difference is allowed only if the reference itself nearly tied there.
    const at::Tensor row = step_logits[step];
    const auto top2 = row.topk(2);
    const double margin = (std::get<0>(top2)[0] - std::get<0>(top2)[1]).item<double>();
    const double row_scale = row.abs().max().item<double>();
    EXPECT_LE(margin, kBf16LogitTolerance * row_scale)
        << name << ": greedy token " << step << " is " << greedy[step] << ", transformers chose "
        << reference_greedy[step] << " by a margin of " << margin << " (max |logit| " << row_scale << ")";
    std::cout << name << ": greedy paths part at step " << step << " on a near tie (margin " << margin << ")\n";
    break;  // after a tie the two continuations are different texts
  }
}

}  // namespace kvb::testing
