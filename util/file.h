// Whole-file reads and atomic writes with errors that name the path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kvb {

std::string ReadFile(const std::filesystem::path& path);

// Writes to a temporary file beside `path` and renames it over `path`, so a crash
// never leaves a half-written result file.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace kvb
