// A read-only view of a GGUF file (v2/v3): metadata key/values, tensor infos, and the
// tensor data (mmap). Every offset and size is validated against the file size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kvb::gguf {

// ggml tensor types kvbench can read (the values are GGUF's).
enum class TensorType : std::uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

const char* TensorTypeName(std::uint32_t type);

struct TensorInfo {
  std::string name;
  // ggml order: dims[0] is the fastest-varying (columns); a PyTorch shape is the reverse.
  std::vector<std::int64_t> dims;
  std::uint32_t type = 0;
  std::uint64_t offset = 0;  // from the start of the data section
  std::int64_t num_elements() const;
  std::vector<std::int64_t> torch_shape() const { return {dims.rbegin(), dims.rend()}; }
};

class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  // Metadata as JSON values: numbers, bools, strings, arrays.
  const nlohmann::json& metadata() const { return metadata_; }
  // The value of `key`; an error naming the file and key when it is absent.
  const nlohmann::json& Get(const std::string& key) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* FindTensor(const std::string& name) const;
  // The raw bytes of a tensor (validated to lie inside the file).
  const std::uint8_t* TensorData(const TensorInfo& info) const;
  std::uint64_t TensorBytes(const TensorInfo& info) const;

 private:
  std::filesystem::path path_;
  std::uint32_t version_ = 0;
  nlohmann::json metadata_ = nlohmann::json::object();
  std::vector<TensorInfo> tensors_;
  const std::uint8_t* map_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t data_start_ = 0;
};

}  // namespace kvb::gguf
