#include "util/file.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace kvb {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  KVB_REQUIRE(in.good(), "cannot open ", path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  KVB_REQUIRE(!in.bad(), "error reading ", path.string());
  return buffer.str();
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    KVB_REQUIRE(out.good(), "cannot write ", tmp.string());
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    KVB_REQUIRE(out.good(), "error writing ", tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace kvb
