// A read-only, memory-mapped .safetensors file: 8-byte little-endian header size, a JSON
// header {name: {dtype, shape, data_offsets}}, then raw little-endian data. Every entry
// is validated against the file size when the file is opened, so a truncated or
// corrupt file fails with its name and the tensor's name before any weight is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kvb {

struct SafetensorsTensor {
  std::string dtype;                // "F32", "F16" or "BF16"
  std::vector<std::int64_t> shape;  // row-major
  const std::byte* data = nullptr;  // into the mapping; valid while the file is open
  std::size_t num_bytes = 0;
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool Contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws naming the file and the tensor when absent.
  const SafetensorsTensor& Get(const std::string& name) const;
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }

 private:
  std::filesystem::path path_;
  void* mapping_ = nullptr;
  std::size_t size_ = 0;
  std::map<std::string, SafetensorsTensor> tensors_;
};

}  // namespace kvb
