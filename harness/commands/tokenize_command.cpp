// kvbench tokenize --model DIR [--text T | --file F] [--no-special] [--chat] [--decode] [--verbose]
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <sstream>

#include "harness/command.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace kvb {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string file;
  bool no_special = false;
  bool chat = false;
  bool decode = false;
  bool verbose = false;
};

// --decode reads ids separated by spaces or commas.
TokenIds ParseIds(const std::string& text) {
  TokenIds ids;
  std::string cleaned = text;
  for (char& c : cleaned)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(cleaned);
  std::string word;
  while (in >> word) {
    try {
      std::size_t used = 0;
      const long id = std::stol(word, &used);
      KVB_REQUIRE(used == word.size(), "");
      ids.push_back(static_cast<TokenId>(id));
    } catch (...) {
      throw ConfigError(StrCat("--decode: '", word, "' is not a token id"));
    }
  }
  return ids;
}

int RunTokenize(const TokenizeArgs& args) {
  KVB_REQUIRE(!args.text.empty() || !args.file.empty(), "give --text or --file");
  const std::string input = args.file.empty() ? args.text : ReadFile(args.file);
  const auto tokenizer = Tokenizer::FromDirectory(args.model);
  if (args.decode) {
    std::cout << tokenizer->Decode(ParseIds(input), args.no_special) << "\n";
    return 0;
  }
  std::string text = input;
  bool add_special = !args.no_special;
  if (args.chat) {
    const auto chat = ChatTemplate::FromDirectory(args.model);
    KVB_REQUIRE(chat.has_value(), args.model, ": no chat template (tokenizer_config.json chat_template)");
    text = chat->Render({{"user", input}}, true);
    add_special = false;  // the template already holds BOS, as transformers' chat pipelines assume
    if (args.verbose) std::cout << "rendered: " << text << "\n";
  }
  const TokenIds ids = tokenizer->Encode(text, add_special);
  for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  if (args.verbose) {
    for (TokenId id : ids) std::cout << id << "\t" << tokenizer->IdToToken(id).value_or("<?>") << "\n";
    std::cout << ids.size() << " tokens\n";
  }
  return 0;
}

std::function<int()> SetupTokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  app.add_option("--model", args->model, "directory with tokenizer.json or tokenizer.model")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* text = app.add_option("--text", args->text, "text to encode (or ids to decode)");
  app.add_option("--file", args->file, "file whose contents to encode (or decode)")
      ->check(CLI::ExistingFile)
      ->excludes(text);
  app.add_flag("--no-special", args->no_special,
               "encode without the post-processor's special tokens (BOS); with --decode, skip special tokens");
  app.add_flag("--chat", args->chat, "wrap the text as one user message in the chat template first");
  app.add_flag("--decode", args->decode, "decode the token ids given instead of encoding");
  app.add_flag("-v,--verbose", args->verbose, "print each id with its token");
  return [args] { return RunTokenize(*args); };
}

KVB_REGISTER_COMMAND("tokenize", "Encode text to token ids (or decode ids) with a model's tokenizer",
                     SetupTokenize);

}  // namespace
}  // namespace kvb
