// One JSON string literal exactly as Python's json.dumps(s, ensure_ascii=False)
// writes it, for the files kvbench must reproduce byte for byte (LongBench's
// result.json, the `tojson` filter of chat templates).
#pragma once

#include <string>
#include <string_view>

namespace kvb {

// Appends `"..."` to `out`: `"` `\` and \n \r \t \b \f get their short escapes, the
// other U+0000–U+001F become \u00xx (lower-case hex); everything else, non-ASCII and
// U+007F included, is copied as it is (ensure_ascii=False). `text` is UTF-8 and is
// not validated here.
void AppendPyJsonString(std::string_view text, std::string& out);

// The same, returned.
std::string PyJsonString(std::string_view text);

}  // namespace kvb
