// The parity corpus every tokenizer test encodes: English prose, code, digit runs, CJK,
// emoji/ZWJ, mixed whitespace, CRLF, tabs, leading/trailing and repeated spaces, long
// words, the sentencepiece space marker, and special-token strings inside the text.
#pragma once

#include <string>
#include <vector>

namespace kvb::testing {

inline std::vector<std::string> Corpus() {
  std::vector<std::string> c = {
      "The quick brown fox jumps over the lazy dog. It's a sunny day, isn't it? We'll see.",
      "Once upon a time, there was a little girl named Lily. She loved to play outside.",
      "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
      "int main() {\r\n\tstd::vector<int> v{1, 2, 3};\r\n\treturn v[0] != 0 ? -1 : 0;\r\n}\r\n",
      "3.14159265358979 1234567890123 000 42x 7,000,000 2024-01-31 ١٢٣ ⅷ ²³",
      "日本語のテキストです。中文文本，包括标点符号！한국어 텍스트",
      "Emoji: 😀🎉👍🏽 👨‍👩‍👧‍👦 family, flags 🇫🇷🇯🇵 and ❤️ hearts",
      "   leading spaces and trailing spaces   ",
      " a  b   c    d\t\te \t f\n\n\ng \n \n h",
      "\n\nstarts with newlines\r\n\r\nand CRLF\r\r\n",
      "tabs\tbetween\twords\t\t\tand\t",
      "Supercalifragilisticexpialidocious" + std::string(300, 'a') + "pneumonoultramicroscopic",
      std::string(400, ' ') + "x" + std::string(50, '\n'),
      "CAPITALS'RE 'S 'T 'LL 'Ve 'ſ 'd 'm 'x don't I'M",
      "Ünïcödé çömbïnïng: e\xCC\x81 a\xCC\x8A n\xCC\x83 ﬁ ligature, Å vs Å",
      "special tokens inside: <s> </s> <unk> <|begin_of_text|> <|eot_id|> <|im_start|>user\nhi<|im_end|>",
      "<|start_story|>Once<|end_story|> a <|start_story|> b <|im_end|><|im_end|>",
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>",
      "mixed     whitespace\u00a0nbsp\u2003em\u3000ideographic space",
      "punctuation!!! ??? ... --- ((())) [[]] {{}} <<>> @#$%^&*_+=|\\/~`",
      "",
      " ",
      "a",
      "\xE2\x96\x81 already has the sentencepiece space ▁▁ marker",
      "<0x41> looks like a byte token",
      "  two leading, then  double  spaces and   triple ",
      "<s> Hello</s>  world <s>again </s>",
  };
  // A long English paragraph, deterministic.
  std::string long_text;
  const char* words[] = {"the", "model", "keeps", "tokens", "that", "matter", "most,", "and",
                         "evicts", "others;", "budgets", "of", "1024", "tokens", "work."};
  for (int i = 0; i < 600; ++i) {
    long_text += words[(i * 7 + i / 13) % 15];
    long_text += (i % 29 == 28) ? "\n" : " ";
  }
  c.push_back(long_text);
  return c;
}

}  // namespace kvb::testing
