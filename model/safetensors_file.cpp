#include "model/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace kvb {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // the format's own limit is 100 MB

std::int64_t ElementSize(const std::string& dtype, const std::string& where) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  throw Error(StrCat(where, ": dtype \"", dtype, "\" is not supported (F32, F16, BF16)"));
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY);
  KVB_REQUIRE(fd >= 0, name, ": cannot open: ", std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    throw Error(StrCat(name, ": cannot stat: ", std::strerror(errno)));
  }
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error(StrCat(name, ": truncated safetensors file (", size_, " bytes, no header)"));
  }
  mapping_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  KVB_REQUIRE(mapping_ != MAP_FAILED, name, ": mmap failed: ", std::strerror(errno));
  try {
    const auto* bytes = static_cast<const std::byte*>(mapping_);
    std::uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<std::uint8_t>(bytes[i]);
    KVB_REQUIRE(header_size <= kMaxHeaderBytes && 8 + header_size <= size_, name, ": header size ", header_size,
                " runs past the end of the file (", size_, " bytes): truncated or not a safetensors file");
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8),
                                     reinterpret_cast<const char*>(bytes + 8 + header_size));
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(name, ": header is not valid JSON: ", e.what()));
    }
    KVB_REQUIRE(header.is_object(), name, ": header is not a JSON object");
    const std::byte* data_start = bytes + 8 + header_size;
    const std::uint64_t data_size = size_ - 8 - header_size;
    for (const auto& [tensor_name, entry] : header.items()) {
      if (tensor_name == "__metadata__") continue;
      const std::string where = StrCat(name, ": tensor \"", tensor_name, "\"");
      KVB_REQUIRE(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                      entry.contains("data_offsets"),
                  where, ": entry needs dtype, shape and data_offsets");
      SafetensorsTensor tensor;
      KVB_REQUIRE(entry["dtype"].is_string(), where, ": dtype is not a string");
      tensor.dtype = entry["dtype"].get<std::string>();
      const std::int64_t element_size = ElementSize(tensor.dtype, where);
      std::uint64_t elements = 1;
      for (const auto& dim : entry["shape"]) {
        KVB_REQUIRE(dim.is_number_unsigned(), where, ": shape must hold non-negative integers");
        tensor.shape.push_back(dim.get<std::int64_t>());
        elements *= dim.get<std::uint64_t>();
      }
      const auto& offsets = entry["data_offsets"];
      KVB_REQUIRE(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                      offsets[1].is_number_unsigned(),
                  where, ": data_offsets must be [begin, end]");
      const auto begin = offsets[0].get<std::uint64_t>();
      const auto end = offsets[1].get<std::uint64_t>();
      KVB_REQUIRE(begin <= end && end <= data_size, where, ": data_offsets [", begin, ", ", end,
                  "] run past the end of the data (", data_size, " bytes): file truncated or corrupt");
      KVB_REQUIRE(end - begin == elements * static_cast<std::uint64_t>(element_size), where, ": data_offsets span ",
                  end - begin, " bytes but shape and dtype need ", elements * element_size);
      tensor.data = data_start + begin;
      tensor.num_bytes = static_cast<std::size_t>(end - begin);
      tensors_.emplace(tensor_name, std::move(tensor));
    }
  } catch (...) {
    ::munmap(mapping_, size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr && mapping_ != MAP_FAILED) ::munmap(mapping_, size_);
}

const SafetensorsTensor& SafetensorsFile::Get(const std::string& name) const {
  auto it = tensors_.find(name);
  KVB_REQUIRE(it != tensors_.end(), path_.string(), ": tensor \"", name, "\" not found");
  return it->second;
}

}  // namespace kvb
