#include "model/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "model/gguf/dequantize.h"
#include "util/error.h"

namespace kvb::gguf {
namespace {

enum class ValueType : std::uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

constexpr std::uint64_t kDefaultAlignment = 32;

// Sequential reader over the mapped header with bounds checks that name the file.
class Cursor {
 public:
  Cursor(const std::uint8_t* data, std::uint64_t size, const std::string& file)
      : data_(data), size_(size), file_(file) {}

  template <typename T>
  T Read(const char* what) {
    Need(sizeof(T), what);
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string ReadString(const char* what) {
    const auto length = Read<std::uint64_t>(what);
    Need(length, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return s;
  }

  std::uint64_t position() const { return pos_; }

 private:
  void Need(std::uint64_t bytes, const char* what) {
    KVB_REQUIRE(bytes <= size_ && pos_ <= size_ - bytes, file_, ": truncated GGUF file while reading ", what,
                " at byte ", pos_, " (file has ", size_, " bytes)");
  }

  const std::uint8_t* data_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  const std::string& file_;
};

nlohmann::json ReadValue(Cursor& in, std::uint32_t type, const std::string& key, const std::string& file);

nlohmann::json ReadScalar(Cursor& in, ValueType type, const std::string& key, const std::string& file) {
  switch (type) {
    case ValueType::kUint8: return in.Read<std::uint8_t>("a value");
    case ValueType::kInt8: return in.Read<std::int8_t>("a value");
    case ValueType::kUint16: return in.Read<std::uint16_t>("a value");
    case ValueType::kInt16: return in.Read<std::int16_t>("a value");
    case ValueType::kUint32: return in.Read<std::uint32_t>("a value");
    case ValueType::kInt32: return in.Read<std::int32_t>("a value");
    case ValueType::kFloat32: return in.Read<float>("a value");
    case ValueType::kBool: return in.Read<std::uint8_t>("a value") != 0;
    case ValueType::kString: return in.ReadString("a string value");
    case ValueType::kUint64: return in.Read<std::uint64_t>("a value");
    case ValueType::kInt64: return in.Read<std::int64_t>("a value");
    case ValueType::kFloat64: return in.Read<double>("a value");
    case ValueType::kArray: break;
  }
  throw Error(StrCat(file, ": metadata key '", key, "' has unknown value type ", static_cast<std::uint32_t>(type)));
}

nlohmann::json ReadValue(Cursor& in, std::uint32_t type, const std::string& key, const std::string& file) {
  if (static_cast<ValueType>(type) != ValueType::kArray) {
    return ReadScalar(in, static_cast<ValueType>(type), key, file);
  }
  const auto element_type = in.Read<std::uint32_t>("an array type");
  const auto count = in.Read<std::uint64_t>("an array length");
  nlohmann::json array = nlohmann::json::array();
  for (std::uint64_t i = 0; i < count; ++i) array.push_back(ReadValue(in, element_type, key, file));
  return array;
}

}  // namespace

const char* TensorTypeName(std::uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kF32: return "F32";
    case TensorType::kF16: return "F16";
    case TensorType::kQ4_0: return "Q4_0";
    case TensorType::kQ4_1: return "Q4_1";
    case TensorType::kQ8_0: return "Q8_0";
    case TensorType::kQ4_K: return "Q4_K";
    case TensorType::kQ6_K: return "Q6_K";
    case TensorType::kBF16: return "BF16";
  }
  return "unsupported";
}

std::int64_t TensorInfo::num_elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : dims) n *= d;
  return n;
}

GgufFile::GgufFile(const std::filesystem::path& path) : path_(path) {
  const std::string file = path.string();
  const int fd = ::open(file.c_str(), O_RDONLY);
  KVB_REQUIRE(fd >= 0, "cannot open GGUF file ", file);
  struct stat st {};
  ::fstat(fd, &st);
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (size_ > 0) {
    void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    KVB_REQUIRE(map != MAP_FAILED, "cannot mmap GGUF file ", file);
    map_ = static_cast<const std::uint8_t*>(map);
  } else {
    ::close(fd);
  }
  Cursor in(map_, size_, file);
  const auto magic = in.Read<std::uint32_t>("the magic number");
  KVB_REQUIRE(magic == 0x46554747, file, ": not a GGUF file (bad magic)");  // "GGUF" little-endian
  version_ = in.Read<std::uint32_t>("the version");
  KVB_REQUIRE(version_ == 2 || version_ == 3, file, ": GGUF version ", version_, " is not supported (2 or 3)");
  const auto tensor_count = in.Read<std::uint64_t>("the tensor count");
  const auto kv_count = in.Read<std::uint64_t>("the metadata count");
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = in.ReadString("a metadata key");
    const auto type = in.Read<std::uint32_t>("a metadata type");
    metadata_[key] = ReadValue(in, type, key, file);
  }
  KVB_REQUIRE(tensor_count <= size_, file, ": implausible tensor count ", tensor_count);
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    TensorInfo info;
    info.name = in.ReadString("a tensor name");
    const auto n_dims = in.Read<std::uint32_t>("a tensor rank");
    KVB_REQUIRE(n_dims >= 1 && n_dims <= 4, file, ": tensor ", info.name, " has rank ", n_dims);
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto dim = in.Read<std::uint64_t>("a tensor dimension");
      KVB_REQUIRE(dim > 0 && dim < (1ull << 40), file, ": tensor ", info.name, " has dimension ", dim);
      info.dims.push_back(static_cast<std::int64_t>(dim));
    }
    info.type = in.Read<std::uint32_t>("a tensor type");
    info.offset = in.Read<std::uint64_t>("a tensor offset");
    tensors_.push_back(std::move(info));
  }
  std::uint64_t alignment = kDefaultAlignment;
  if (metadata_.contains("general.alignment")) alignment = metadata_["general.alignment"].get<std::uint64_t>();
  KVB_REQUIRE(alignment > 0 && (alignment & (alignment - 1)) == 0, file, ": general.alignment ", alignment,
              " is not a power of two");
  data_start_ = (in.position() + alignment - 1) / alignment * alignment;
  for (const TensorInfo& info : tensors_) {
    const std::uint64_t bytes = TensorBytes(info);
    KVB_REQUIRE(data_start_ + info.offset + bytes <= size_, file, ": tensor ", info.name, " (", bytes,
                " bytes at data offset ", info.offset, ") runs past the end of the file (", size_, " bytes)");
  }
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(const_cast<std::uint8_t*>(map_), size_);
}

const nlohmann::json& GgufFile::Get(const std::string& key) const {
  auto it = metadata_.find(key);
  KVB_REQUIRE(it != metadata_.end(), path_.string(), ": GGUF metadata key '", key, "' is missing");
  return *it;
}

const TensorInfo* GgufFile::FindTensor(const std::string& name) const {
  for (const TensorInfo& info : tensors_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::uint64_t GgufFile::TensorBytes(const TensorInfo& info) const {
  const std::int64_t block = BlockSize(info.type);
  KVB_REQUIRE(info.dims[0] % block == 0, path_.string(), ": tensor ", info.name, " row of ", info.dims[0],
              " values is not a multiple of the ", TensorTypeName(info.type), " block size ", block);
  return static_cast<std::uint64_t>(info.num_elements() / block * BlockBytes(info.type));
}

const std::uint8_t* GgufFile::TensorData(const TensorInfo& info) const { return map_ + data_start_ + info.offset; }

}  // namespace kvb::gguf
