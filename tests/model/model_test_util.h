// Helpers for the model tests: tensors from a reference .safetensors file, and a tiny
// random checkpoint written once per test binary.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <string>

#include "model/random_checkpoint.h"
#include "model/safetensors_file.h"
#include "tests/common/test_env.h"
#include "util/types.h"

namespace kvb::testing {

inline at::Tensor ReadReference(const SafetensorsFile& file, const std::string& name) {
  const SafetensorsTensor& t = file.Get(name);
  return at::from_blob(const_cast<std::byte*>(t.data), t.shape, at::TensorOptions().dtype(at::kFloat)).clone();
}

inline TokenIds ToTokenIds(const at::Tensor& t) {
  TokenIds ids;
  const at::Tensor c = t.to(at::kLong).contiguous();
  for (std::int64_t i = 0; i < c.numel(); ++i) ids.push_back(static_cast<TokenId>(c[i].item<std::int64_t>()));
  return ids;
}

// A tiny fp32 random checkpoint (make-model's writer) under the test's temp dir.
inline std::filesystem::path TinyCheckpoint(const std::string& name, const std::string& arch = "llama",
                                            std::uint64_t seed = 7) {
  const auto dir = TempDir(name) / arch;
  RandomCheckpointOptions options;
  options.arch = arch;
  options.preset = "tiny";
  options.seed = seed;
  options.dtype = "F32";
  WriteRandomCheckpoint(dir, options);
  return dir;
}

}  // namespace kvb::testing
