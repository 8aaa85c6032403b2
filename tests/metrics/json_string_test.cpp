// util/json_string.h against Python's json.dumps(s, ensure_ascii=False): every ASCII
// character, U+007F, non-ASCII letters, U+2028 and an astral character.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/common/test_env.h"
#include "util/json_string.h"

namespace kvb {
namespace {

TEST(PyJsonString, ShortEscapesAndLowerCaseHex) {
  EXPECT_EQ(PyJsonString("a\"b\\c\n\r\t\b\f"), "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(PyJsonString(std::string("\x00\x1f\x7f", 3)), "\"\\u0000\\u001f\x7f\"");
  EXPECT_EQ(PyJsonString("caf\xC3\xA9 \xE2\x80\xA8"), "\"caf\xC3\xA9 \xE2\x80\xA8\"");
}

TEST(PyJsonString, EqualsPythonJsonDumps) {
  std::string text;
  for (int c = 0; c < 0x80; ++c) text += static_cast<char>(c);
  text += "\xC3\xA9\xE4\xB8\xAD\xE2\x80\xA8\xF0\x9F\x98\x80/";
  const auto dir = testing::TempDir("json_string");
  { std::ofstream(dir / "in.bin", std::ios::binary) << text; }
  const std::string script =
      "import json,sys; s=open(sys.argv[1],'rb').read().decode('utf-8'); "
      "open(sys.argv[2],'w',encoding='utf-8',newline='').write(json.dumps(s, ensure_ascii=False))";
  const auto result = testing::RunCommand(testing::ShellQuote(testing::PythonExe()) + " -c " +
                                          testing::ShellQuote(script) + " " + testing::ShellQuote((dir / "in.bin").string()) +
                                          " " + testing::ShellQuote((dir / "out.json").string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(dir / "out.json", std::ios::binary);
  const std::string python((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(PyJsonString(text), python);
}

}  // namespace
}  // namespace kvb
