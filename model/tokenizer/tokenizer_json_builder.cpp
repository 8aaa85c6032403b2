#include "model/tokenizer/tokenizer_json_builder.h"

#include "model/tokenizer/components.h"

namespace kvb {

const char* const kLlama3SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

using nlohmann::ordered_json;

ordered_json AddedTokenJson(const AddedTokenSpec& token) {
  return {{"id", token.id},          {"content", token.content}, {"single_word", false},
          {"lstrip", false},         {"rstrip", false},          {"normalized", token.normalized},
          {"special", token.special}};
}

ordered_json ByteLevelJson(bool use_regex, bool trim_offsets) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", trim_offsets},
          {"use_regex", use_regex}};
}

ordered_json PreTokenizerJson(const ByteLevelBpeSpec& spec) {
  const ordered_json byte_level = ByteLevelJson(spec.byte_level_regex, true);
  if (spec.split_patterns.empty()) return byte_level;
  ordered_json steps = ordered_json::array();
  for (const std::string& pattern : spec.split_patterns) {
    steps.push_back({{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}});
  }
  steps.push_back(byte_level);
  return {{"type", "Sequence"}, {"pretokenizers", steps}};
}

ordered_json PostProcessorJson(const std::optional<AddedTokenSpec>& bos) {
  if (!bos) return {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  const std::string& name = bos->content;
  const auto special = [&](int type_id) { return ordered_json{{"SpecialToken", {{"id", name}, {"type_id", type_id}}}}; };
  const auto sequence = [](const char* id, int type_id) {
    return ordered_json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
  };
  return {{"type", "TemplateProcessing"},
          {"single", {special(0), sequence("A", 0)}},
          {"pair", {special(0), sequence("A", 0), special(1), sequence("B", 1)}},
          {"special_tokens", {{name, {{"id", name}, {"ids", {bos->id}}, {"tokens", {name}}}}}}};
}

}  // namespace

std::vector<std::string> ByteLevelAlphabet() {
  std::vector<std::string> symbols;
  symbols.reserve(256);
  for (int b = 0; b < 256; ++b) symbols.push_back(tokenizer_internal::ByteToChar(static_cast<unsigned char>(b)));
  return symbols;
}

nlohmann::ordered_json BuildByteLevelBpeTokenizerJson(const ByteLevelBpeSpec& spec) {
  ordered_json added = ordered_json::array();
  for (const AddedTokenSpec& token : spec.added_tokens) added.push_back(AddedTokenJson(token));
  ordered_json tokenizer;
  tokenizer["version"] = "1.0";
  tokenizer["truncation"] = nullptr;
  tokenizer["padding"] = nullptr;
  tokenizer["added_tokens"] = added;
  tokenizer["normalizer"] = nullptr;
  tokenizer["pre_tokenizer"] = PreTokenizerJson(spec);
  tokenizer["post_processor"] = PostProcessorJson(spec.bos);
  tokenizer["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                          {"use_regex", true}};
  tokenizer["model"] = {{"type", "BPE"},
                        {"dropout", nullptr},
                        {"unk_token", nullptr},
                        {"continuing_subword_prefix", nullptr},
                        {"end_of_word_suffix", nullptr},
                        {"fuse_unk", false},
                        {"byte_fallback", false},
                        {"ignore_merges", spec.ignore_merges},
                        {"vocab", spec.vocab},
                        {"merges", spec.merges}};
  return tokenizer;
}

}  // namespace kvb
