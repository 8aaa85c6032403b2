#include "datasets/jsonl.h"

#include <fstream>

#include "util/error.h"
#include "util/file.h"

namespace kvb {

std::vector<JsonlRecord> ReadJsonl(const std::filesystem::path& path) {
  KVB_REQUIRE(std::filesystem::is_regular_file(path), path.string(), ": file not found");
  std::ifstream in(path, std::ios::binary);
  KVB_REQUIRE(in.good(), path.string(), ": cannot open");
  std::vector<JsonlRecord> records;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonlRecord record{path, number, {}};
    try {
      record.value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat(path.string(), ":", number, ": not valid JSON: ", e.what()));
    }
    KVB_REQUIRE(record.value.is_object(), path.string(), ":", number, ": expected a JSON object");
    records.push_back(std::move(record));
  }
  return records;
}

nlohmann::json ReadJsonFile(const std::filesystem::path& path) {
  const std::string text = ReadFile(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(StrCat(path.string(), ": not valid JSON: ", e.what()));
  }
}

namespace {

std::string At(const JsonlRecord& record, std::string_view field) {
  return StrCat(record.file.string(), ":", record.line, ": field '", field, "'");
}

}  // namespace

std::string RequireStringField(const JsonlRecord& record, std::string_view field) {
  const auto it = record.value.find(std::string(field));
  KVB_REQUIRE(it != record.value.end(), At(record, field), " is missing");
  KVB_REQUIRE(it->is_string(), At(record, field), " must be a string, got ", it->type_name());
  return it->get<std::string>();
}

Strings RequireStringListField(const JsonlRecord& record, std::string_view field) {
  const auto it = record.value.find(std::string(field));
  KVB_REQUIRE(it != record.value.end(), At(record, field), " is missing");
  return OptionalStringListField(record, field);
}

Strings OptionalStringListField(const JsonlRecord& record, std::string_view field) {
  Strings out;
  const auto it = record.value.find(std::string(field));
  if (it == record.value.end() || it->is_null()) return out;
  KVB_REQUIRE(it->is_array(), At(record, field), " must be a list of strings, got ", it->type_name());
  for (const auto& item : *it) {
    KVB_REQUIRE(item.is_string(), At(record, field), " must hold strings, found ", item.type_name());
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::int64_t OptionalIntField(const JsonlRecord& record, std::string_view field, std::int64_t fallback) {
  const auto it = record.value.find(std::string(field));
  if (it == record.value.end() || it->is_null()) return fallback;
  KVB_REQUIRE(it->is_number_integer(), At(record, field), " must be an integer, got ", it->type_name());
  return it->get<std::int64_t>();
}

}  // namespace kvb
