// Bad checkpoints fail with messages naming the file and the tensor; good ones load
// from one file or from shards, with tied embeddings stored either way.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/decoder.h"
#include "model/safetensors_file.h"
#include "tests/model/model_test_util.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

// The message of the kvb::Error thrown by `load`, or "" when nothing was thrown.
template <typename F>
std::string ErrorOf(F&& load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string LoadError(const std::filesystem::path& dir) {
  return ErrorOf([&] {
    const ModelConfig config = ModelConfig::FromDirectory(dir);
    LoadWeights(dir, config, WeightLoadOptions{});
  });
}

// Rewrites the JSON header of a single-file checkpoint with `edit`; the data block is
// kept as is (its offsets are relative to the end of the header).
template <typename F>
void EditHeader(const std::filesystem::path& file, F&& edit) {
  const std::string bytes = ReadFile(file);
  std::uint64_t size = 0;
  for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(bytes[i]);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, size));
  edit(header);
  const std::string text = header.dump();
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  WriteFileAtomically(file, prefix + text + bytes.substr(8 + size));
}

class BadCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TinyCheckpoint(std::string("bad_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    file_ = dir_ / "model.safetensors";
  }
  std::filesystem::path dir_, file_;
};

TEST_F(BadCheckpoint, TruncatedFile) {
  const std::string bytes = ReadFile(file_);
  WriteFileAtomically(file_, bytes.substr(0, bytes.size() - 100));
  const std::string error = LoadError(dir_);
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
  EXPECT_NE(error.find("lm_head.weight"), std::string::npos) << error;  // the last tensor is cut
  EXPECT_NE(error.find("past the end"), std::string::npos) << error;
}

TEST_F(BadCheckpoint, HeaderOffsetsPastTheEnd) {
  EditHeader(file_, [](nlohmann::json& h) { h["model.norm.weight"]["data_offsets"][1] = 1u << 30; });
  const std::string error = LoadError(dir_);
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
  EXPECT_NE(error.find("model.norm.weight"), std::string::npos) << error;
}

TEST_F(BadCheckpoint, WrongDtypeString) {
  EditHeader(file_, [](nlohmann::json& h) { h["model.norm.weight"]["dtype"] = "Q4"; });
  const std::string error = LoadError(dir_);
  EXPECT_NE(error.find("model.norm.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("\"Q4\""), std::string::npos) << error;
}

TEST_F(BadCheckpoint, MissingTensor) {
  EditHeader(file_, [](nlohmann::json& h) {
    h["model.layers.1.mlp.up_projX.weight"] = h["model.layers.1.mlp.up_proj.weight"];
    h.erase("model.layers.1.mlp.up_proj.weight");
  });
  const std::string error = LoadError(dir_);
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
  EXPECT_NE(error.find("model.layers.1.mlp.up_proj.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST_F(BadCheckpoint, ShapeMismatchAgainstConfig) {
  nlohmann::json config = nlohmann::json::parse(ReadFile(dir_ / "config.json"));
  config["intermediate_size"] = 96;
  WriteFileAtomically(dir_ / "config.json", config.dump());
  const std::string error = LoadError(dir_);
  EXPECT_NE(error.find("model.layers.0.mlp.gate_proj.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("[128, 64]"), std::string::npos) << error;
  EXPECT_NE(error.find("[96, 64]"), std::string::npos) << error;
}

TEST_F(BadCheckpoint, NoWeightsFile) {
  std::filesystem::remove(file_);
  EXPECT_NE(LoadError(dir_).find("no model.safetensors"), std::string::npos);
}

TEST(Checkpoint, ShardedEqualsSingleFile) {
  const auto single = testing::TinyCheckpoint("sharded_single", "qwen2", 3);
  const auto sharded = testing::TempDir("sharded_many") / "qwen2";
  RandomCheckpointOptions options{"qwen2", "tiny", 3, "F32", 40000};
  WriteRandomCheckpoint(sharded, options);
  ASSERT_TRUE(std::filesystem::exists(sharded / "model.safetensors.index.json"));
  const CheckpointSummary summary = InspectCheckpoint(sharded);
  EXPECT_GT(summary.files.size(), 2u);
  EXPECT_EQ(summary.parameter_count, InspectCheckpoint(single).parameter_count);

  auto a = Decoder::Load(single, DecoderOptions{});
  auto b = Decoder::Load(sharded, DecoderOptions{});
  const TokenIds prompt = {5, 9, 200, 31, 77};
  EXPECT_TRUE(at::equal(a->PromptLogits(prompt), b->PromptLogits(prompt)));
}

TEST(Checkpoint, TiedEmbeddingStoredOnlyAsLmHead) {
  // qwen3 tiny stores only embed_tokens; rename it to lm_head.weight (as TinyStories stores it).
  const auto dir = testing::TinyCheckpoint("tied_lm_head", "qwen3", 4);
  const TokenIds prompt = {3, 4, 5, 6};
  const at::Tensor before = Decoder::Load(dir, DecoderOptions{})->PromptLogits(prompt);
  EditHeader(dir / "model.safetensors", [](nlohmann::json& h) {
    h["lm_head.weight"] = h["model.embed_tokens.weight"];
    h.erase("model.embed_tokens.weight");
  });
  EXPECT_TRUE(at::equal(Decoder::Load(dir, DecoderOptions{})->PromptLogits(prompt), before));
}

// q/k/v (and gate/up) are loaded straight into one fused buffer: each part must be a row
// range of it (no second copy) holding exactly the file's values, converted to the run dtype.
TEST(Checkpoint, FusedProjectionsAreRowRangesHoldingTheFileValues) {
  const auto dir = testing::TinyCheckpoint("fused_rows", "qwen2", 5);  // qwen2: q/k/v biases
  const ModelConfig config = ModelConfig::FromDirectory(dir);
  const SafetensorsFile file(dir / "model.safetensors");
  auto file_tensor = [&](const std::string& name) {
    const SafetensorsTensor& t = file.Get(name);
    EXPECT_EQ(t.dtype, "F32");
    return at::from_blob(const_cast<std::byte*>(t.data), t.shape, at::kFloat);
  };
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const ModelWeights weights = LoadWeights(dir, config, WeightLoadOptions{at::kCPU, dtype});
    const LayerWeights& layer = weights.layers.at(1);
    const std::string prefix = "model.layers.1.";
    auto expect_parts = [&](const at::Tensor& fused, std::vector<std::pair<const at::Tensor*, std::string>> parts) {
      ASSERT_TRUE(fused.defined());
      EXPECT_EQ(fused.scalar_type(), dtype);
      std::int64_t row = 0;
      for (const auto& [part, name] : parts) {
        SCOPED_TRACE(name);
        EXPECT_EQ(part->data_ptr(), fused.narrow(0, row, part->size(0)).data_ptr());
        EXPECT_TRUE(at::equal(*part, file_tensor(name).to(dtype)));
        row += part->size(0);
      }
      EXPECT_EQ(row, fused.size(0));
    };
    expect_parts(layer.qkv_proj, {{&layer.q_proj, prefix + "self_attn.q_proj.weight"},
                                  {&layer.k_proj, prefix + "self_attn.k_proj.weight"},
                                  {&layer.v_proj, prefix + "self_attn.v_proj.weight"}});
    expect_parts(layer.qkv_bias, {{&layer.q_bias, prefix + "self_attn.q_proj.bias"},
                                  {&layer.k_bias, prefix + "self_attn.k_proj.bias"},
                                  {&layer.v_bias, prefix + "self_attn.v_proj.bias"}});
    expect_parts(layer.gate_up_proj, {{&layer.gate_proj, prefix + "mlp.gate_proj.weight"},
                                      {&layer.up_proj, prefix + "mlp.up_proj.weight"}});
    EXPECT_FALSE(layer.gate_up_bias.defined());  // qwen2 has no MLP bias
  }
}

TEST(Checkpoint, RandomCheckpointIsDeterministicPerSeed) {
  const auto a = testing::TinyCheckpoint("seed_a", "mistral", 11);
  const auto b = testing::TinyCheckpoint("seed_b", "mistral", 11);
  const auto c = testing::TinyCheckpoint("seed_c", "mistral", 12);
  EXPECT_EQ(ReadFile(a / "model.safetensors"), ReadFile(b / "model.safetensors"));
  EXPECT_NE(ReadFile(a / "model.safetensors"), ReadFile(c / "model.safetensors"));
}

}  // namespace
}  // namespace kvb
