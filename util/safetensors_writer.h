// Writes a .safetensors file (8-byte little-endian header size, JSON header, raw data),
// torch-free, so converters and `make-model` produce checkpoints `transformers` loads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kvb {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;                 // "F32", "F16" or "BF16"
  std::vector<std::int64_t> shape;   // row-major
  std::vector<std::uint8_t> data;    // little-endian, product(shape) * element size bytes
};

// Tensors are written in the order given. `metadata` becomes the "__metadata__" object
// (transformers expects {"format": "pt"}). Written atomically (temporary file + rename).
void WriteSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsEntry>& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

std::int64_t SafetensorsElementSize(const std::string& dtype);

}  // namespace kvb
