#include "util/safetensors_writer.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace kvb {

std::int64_t SafetensorsElementSize(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  throw Error(StrCat("safetensors writer: unsupported dtype '", dtype, "'"));
}

void WriteSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsEntry>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const SafetensorsEntry& t : tensors) {
    std::int64_t elements = 1;
    for (std::int64_t d : t.shape) elements *= d;
    const std::uint64_t bytes = static_cast<std::uint64_t>(elements * SafetensorsElementSize(t.dtype));
    KVB_REQUIRE(bytes == t.data.size(), "safetensors writer: tensor ", t.name, " has ", t.data.size(),
                " bytes, its shape and dtype need ", bytes);
    KVB_REQUIRE(!header.contains(t.name), "safetensors writer: tensor ", t.name, " given twice");
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    KVB_REQUIRE(out.good(), "cannot write ", tmp.string());
    const std::uint64_t size = json.size();
    unsigned char size_le[8];
    for (int i = 0; i < 8; ++i) size_le[i] = static_cast<unsigned char>(size >> (8 * i));
    out.write(reinterpret_cast<const char*>(size_le), 8);
    out.write(json.data(), static_cast<std::streamsize>(json.size()));
    for (const SafetensorsEntry& t : tensors) {
      out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
    }
    KVB_REQUIRE(out.good(), "error writing ", tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace kvb
