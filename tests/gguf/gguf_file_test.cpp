// GGUF parsing: a file built byte by byte here, then the ways a file can be broken.
#include "model/gguf/gguf_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/common/test_env.h"

namespace kvb::gguf {
namespace {

class GgufBuilder {
 public:
  GgufBuilder& Version(std::uint32_t v) { version_ = v; return *this; }
  GgufBuilder& MetaString(const std::string& key, const std::string& value) {
    Str(meta_, key); U32(meta_, 8); Str(meta_, value); ++kv_count_; return *this;
  }
  GgufBuilder& MetaU32(const std::string& key, std::uint32_t value) {
    Str(meta_, key); U32(meta_, 4); U32(meta_, value); ++kv_count_; return *this;
  }
  GgufBuilder& MetaStringArray(const std::string& key, const std::vector<std::string>& values) {
    Str(meta_, key); U32(meta_, 9); U32(meta_, 8); U64(meta_, values.size());
    for (const auto& v : values) Str(meta_, v);
    ++kv_count_;
    return *this;
  }
  // An F32 tensor; `offset_override` lets a test point it past the data.
  GgufBuilder& TensorF32(const std::string& name, std::vector<std::uint64_t> dims, const std::vector<float>& values,
                         std::int64_t offset_override = -1) {
    Str(infos_, name); U32(infos_, static_cast<std::uint32_t>(dims.size()));
    for (auto d : dims) U64(infos_, d);
    U32(infos_, 0);
    while (data_.size() % 32) data_.push_back(0);
    U64(infos_, offset_override >= 0 ? static_cast<std::uint64_t>(offset_override) : data_.size());
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(values.data());
    data_.insert(data_.end(), bytes, bytes + values.size() * sizeof(float));
    ++tensor_count_;
    return *this;
  }
  std::vector<std::uint8_t> Bytes() const {
    std::vector<std::uint8_t> out;
    U32(out, 0x46554747); U32(out, version_); U64(out, tensor_count_); U64(out, kv_count_);
    out.insert(out.end(), meta_.begin(), meta_.end());
    out.insert(out.end(), infos_.begin(), infos_.end());
    while (out.size() % 32) out.push_back(0);
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
  }

 private:
  static void U32(std::vector<std::uint8_t>& b, std::uint32_t v) { Raw(b, &v, 4); }
  static void U64(std::vector<std::uint8_t>& b, std::uint64_t v) { Raw(b, &v, 8); }
  static void Str(std::vector<std::uint8_t>& b, const std::string& s) { U64(b, s.size()); Raw(b, s.data(), s.size()); }
  static void Raw(std::vector<std::uint8_t>& b, const void* p, size_t n) {
    const auto* c = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
  std::uint32_t version_ = 3;
  std::uint64_t kv_count_ = 0, tensor_count_ = 0;
  std::vector<std::uint8_t> meta_, infos_, data_;
};

std::filesystem::path WriteBytes(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const auto path = testing::TempDir("gguf_file_test") / name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

GgufBuilder ValidFile() {
  GgufBuilder b;
  b.MetaString("general.architecture", "llama")
      .MetaU32("llama.block_count", 2)
      .MetaStringArray("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .TensorF32("token_embd.weight", {2, 3}, {1, 2, 3, 4, 5, 6});
  return b;
}

std::string ErrorOf(const std::filesystem::path& path) {
  try {
    GgufFile file(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(GgufFile, ReadsMetadataAndTensors) {
  const auto path = WriteBytes("valid.gguf", ValidFile().Bytes());
  GgufFile file(path);
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.Get("general.architecture"), "llama");
  EXPECT_EQ(file.Get("llama.block_count"), 2);
  EXPECT_EQ(file.Get("tokenizer.ggml.tokens").size(), 3u);
  const TensorInfo* embd = file.FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->torch_shape(), (std::vector<std::int64_t>{3, 2}));
  float values[6];
  std::memcpy(values, file.TensorData(*embd), sizeof values);
  EXPECT_EQ(values[5], 6.0f);
}

TEST(GgufFile, MissingKeyNamesFileAndKey) {
  const auto path = WriteBytes("valid.gguf", ValidFile().Bytes());
  GgufFile file(path);
  try {
    file.Get("llama.context_length");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("llama.context_length"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("valid.gguf"), std::string::npos);
  }
}

TEST(GgufFile, TruncatedHeaderIsAnError) {
  auto bytes = ValidFile().Bytes();
  bytes.resize(40);
  const std::string error = ErrorOf(WriteBytes("truncated.gguf", bytes));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated.gguf"), std::string::npos) << error;
}

TEST(GgufFile, TruncatedDataIsAnError) {
  auto bytes = ValidFile().Bytes();
  bytes.resize(bytes.size() - 4);
  const std::string error = ErrorOf(WriteBytes("short_data.gguf", bytes));
  EXPECT_NE(error.find("token_embd.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("past the end"), std::string::npos) << error;
}

TEST(GgufFile, OffsetPastTheEndIsAnError) {
  GgufBuilder b;
  b.MetaString("general.architecture", "llama").TensorF32("w", {2}, {1, 2}, 4096);
  const std::string error = ErrorOf(WriteBytes("offset.gguf", b.Bytes()));
  EXPECT_NE(error.find("tensor w"), std::string::npos) << error;
}

TEST(GgufFile, BadMagicAndVersion) {
  auto bytes = ValidFile().Bytes();
  bytes[0] = 'X';
  EXPECT_NE(ErrorOf(WriteBytes("magic.gguf", bytes)).find("not a GGUF file"), std::string::npos);
  GgufBuilder v1 = ValidFile();
  v1.Version(1);
  EXPECT_NE(ErrorOf(WriteBytes("v1.gguf", v1.Bytes())).find("version 1"), std::string::npos);
}

TEST(GgufFile, MissingFileIsAnError) {
  EXPECT_NE(ErrorOf("/nonexistent/model.gguf").find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace kvb::gguf
