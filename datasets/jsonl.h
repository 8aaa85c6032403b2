// JSON Lines input with errors that name the file and line (DESIGN.md "Errors").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/dataset.h"

namespace kvb {

struct JsonlRecord {
  std::filesystem::path file;
  std::int64_t line = 0;  // 1-based
  nlohmann::json value;   // an object
};

// Reads every non-blank line; a line that is not a JSON object is an Error with
// file:line. A missing file is an Error naming it.
std::vector<JsonlRecord> ReadJsonl(const std::filesystem::path& path);

// Reads a whole JSON file (Error naming the file on a parse error).
nlohmann::json ReadJsonFile(const std::filesystem::path& path);

// Field accessors: a missing field or a wrong type is an Error "file:line: field 'x' ...".
std::string RequireStringField(const JsonlRecord& record, std::string_view field);
Strings RequireStringListField(const JsonlRecord& record, std::string_view field);
// A list of strings, or null -> empty.
Strings OptionalStringListField(const JsonlRecord& record, std::string_view field);
std::int64_t OptionalIntField(const JsonlRecord& record, std::string_view field, std::int64_t fallback);

}  // namespace kvb
