// tokenizer.json as the `tokenizers` package reads it: added tokens split out first
// (non-normalized ones on the raw text, normalized ones after the normalizer), then
// normalizer -> pre-tokenizer -> BPE per piece -> post-processor.
#include "model/tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "model/tokenizer/bpe_model.h"
#include "model/tokenizer/components.h"
#include "model/tokenizer/unicode_class.h"
#include "util/error.h"
#include "util/file.h"
#include "util/utf8.h"

namespace kvb::tokenizer_internal {
namespace {

using nlohmann::json;

struct AddedToken {
  TokenId id;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
  // What decoding shows: `tokenizers` keeps a normalized token by its normalized form
  // ("▁<unk>" under a Prepend("▁") normalizer), so it decodes with that prefix.
  std::string decoded;
};

// Leftmost-longest matching of a set of strings (what `tokenizers` does with an
// Aho-Corasick automaton): candidates are bucketed by first byte, longest first.
class AddedTokenMatcher {
 public:
  void Add(std::string pattern, std::size_t token_index) {
    if (pattern.empty()) return;
    auto& bucket = buckets_[static_cast<unsigned char>(pattern[0])];
    bucket.push_back({std::move(pattern), token_index});
    std::stable_sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) {
      return a.pattern.size() > b.pattern.size();
    });
    empty_ = false;
  }
  bool empty() const { return empty_; }

  struct Match {
    std::size_t begin, end, token_index;
  };
  // The next match at or after `from`, or nullopt.
  std::optional<Match> Find(std::string_view text, std::size_t from) const {
    for (std::size_t pos = from; pos < text.size(); ++pos) {
      const auto& bucket = buckets_[static_cast<unsigned char>(text[pos])];
      for (const Entry& e : bucket) {
        if (text.compare(pos, e.pattern.size(), e.pattern) == 0)
          return Match{pos, pos + e.pattern.size(), e.token_index};
      }
    }
    return std::nullopt;
  }

 private:
  struct Entry {
    std::string pattern;
    std::size_t token_index;
  };
  std::array<std::vector<Entry>, 256> buckets_;
  bool empty_ = true;
};

// char::is_alphanumeric in Rust: alphabetic or numeric.
bool IsWordChar(char32_t c) {
  const CharClass cls = ClassOf(c);
  return cls == CharClass::kLetter || cls == CharClass::kNumber;
}

bool IsSpace(char32_t c) { return ClassOf(c) == CharClass::kWhitespace; }

char32_t LastChar(std::string_view s) {
  std::size_t pos = s.size() - 1;
  while (pos > 0 && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) --pos;
  std::size_t len = 0;
  return DecodeAt(s, pos, len);
}

struct Segment {
  std::string text;
  std::optional<TokenId> id;  // set for an added token
  bool first = false;         // starts the input
};

struct TemplateItem {
  bool is_sequence = false;  // the text itself ("A")
  TokenIds special_ids;      // otherwise the ids of a special token
};

class HfTokenizer : public Tokenizer {
 public:
  HfTokenizer(const std::filesystem::path& file, const json& root) {
    const std::string name = file.string();
    const JsonPlace top{name, ""};
    const auto place = [&](const char* key) { return JsonPlace{name, key}; };
    KVB_REQUIRE(root.is_object() && root.contains("model"), name, ": missing key model");
    LoadModel(root.at("model"), name);
    normalizer_ = MakeNormalizer(root.value("normalizer", json()), place("normalizer"));
    pre_tokenizer_ = MakePreTokenizer(root.value("pre_tokenizer", json()), place("pre_tokenizer"));
    decoder_ = MakeDecoder(root.value("decoder", json()), place("decoder"));
    LoadPostProcessor(root.value("post_processor", json()), place("post_processor"));
    LoadAddedTokens(root.value("added_tokens", json::array()), name);
    byte_level_ = pre_tokenizer_ && pre_tokenizer_->MapsBytes();
  }

  TokenIds Encode(std::string_view text, bool add_special_tokens) const override {
    if (!IsValidUtf8(text)) DecodeUtf8(text, "the text to tokenize");  // throws with the offset
    std::vector<Segment> segments = SplitAddedTokens(text);
    TokenIds ids;
    ids.reserve(text.size() / 3 + 8);
    std::vector<PreToken> pieces;
    std::string mapped;
    for (Segment& seg : segments) {
      if (seg.id) {
        ids.push_back(*seg.id);
        continue;
      }
      pieces.clear();
      pieces.push_back({std::move(seg.text), seg.first});
      if (pre_tokenizer_) pre_tokenizer_->Apply(pieces);
      for (const PreToken& piece : pieces) {
        if (piece.text.empty()) continue;
        if (byte_level_) {
          mapped.clear();
          MapBytes(piece.text, mapped);
          model_->Tokenize(mapped, ids);
        } else {
          model_->Tokenize(piece.text, ids);
        }
      }
    }
    if (!add_special_tokens) return ids;
    TokenIds out;
    out.reserve(ids.size() + 4);
    for (const TemplateItem& item : template_) {
      if (item.is_sequence) out.insert(out.end(), ids.begin(), ids.end());
      else out.insert(out.end(), item.special_ids.begin(), item.special_ids.end());
    }
    return out;
  }

  std::string Decode(const TokenIds& ids, bool skip_special_tokens) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (TokenId id : ids) {
      if (auto it = added_by_id_.find(id); it != added_by_id_.end()) {
        const AddedToken& t = added_[it->second];
        // Skipping tests the decoded form against the special contents, so a normalized
        // special token whose form changed is kept, exactly as `tokenizers` does.
        if (skip_special_tokens && special_contents_.count(t.decoded)) continue;
        tokens.push_back(t.decoded);
      } else if (const std::string* token = model_->IdToToken(id)) {
        tokens.push_back(*token);
      }  // ids outside the vocabulary are skipped, as `tokenizers` does
    }
    if (!decoder_) {
      std::string out;
      for (std::size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
      return out;
    }
    decoder_->Apply(tokens);
    std::string out;
    for (const std::string& t : tokens) out += t;
    return out;
  }

  std::int64_t vocab_size() const override {
    std::int64_t n = model_->vocab_size();
    for (const AddedToken& t : added_) n = std::max<std::int64_t>(n, t.id + 1);
    return n;
  }

  std::optional<TokenId> TokenToId(std::string_view token) const override {
    for (const AddedToken& t : added_)
      if (t.content == token) return t.id;
    return model_->TokenToId(token);
  }

  std::optional<std::string> IdToToken(TokenId id) const override {
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return added_[it->second].decoded;
    if (const std::string* token = model_->IdToToken(id)) return *token;
    return std::nullopt;
  }

  std::optional<TokenId> bos_id() const override { return bos_id_; }
  TokenIds eos_ids() const override { return eos_ids_; }

  void SetSpecialTokens(std::optional<TokenId> bos, TokenIds eos) {
    bos_id_ = bos;
    eos_ids_ = std::move(eos);
  }

 private:
  void LoadModel(const json& model, const std::string& name) {
    const JsonPlace place{name, "model"};
    const std::string type = model.value("type", std::string("BPE"));
    KVB_REQUIRE(type == "BPE", name, ": unsupported model type '", type,
                "' at key model.type (supported: BPE)");
    KVB_REQUIRE(model.contains("vocab") && model.at("vocab").is_object(), name,
                ": missing or non-object key model.vocab");
    KVB_REQUIRE(model.value("dropout", json()).is_null() || model.at("dropout").get<double>() == 0.0,
                name, ": model.dropout is not supported (tokenization would be random)");
    Vocab vocab;
    vocab.reserve(model.at("vocab").size());
    for (const auto& [token, id] : model.at("vocab").items()) vocab.emplace(token, id.get<TokenId>());
    MergeList merges;
    const json& list = model.value("merges", json::array());
    merges.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& m = list[i];
      if (m.is_string()) {
        // "a b": the parts are split at the first space (tokens never hold one).
        const std::string s = m.get<std::string>();
        const std::size_t space = s.find(' ', 1);
        KVB_REQUIRE(space != std::string::npos, name, ": model.merges[", i, "] = '", s,
                    "' is not of the form 'a b'");
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else {
        KVB_REQUIRE(m.is_array() && m.size() == 2, name, ": model.merges[", i,
                    "] must be \"a b\" or [\"a\", \"b\"]");
        merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      }
    }
    BpeOptions options;
    if (model.contains("unk_token") && model.at("unk_token").is_string())
      options.unk_token = model.at("unk_token").get<std::string>();
    const auto flag = [&](const char* key) { return model.value(key, json(false)).is_boolean() && model.value(key, false); };
    options.fuse_unk = flag("fuse_unk");
    options.byte_fallback = flag("byte_fallback");
    options.ignore_merges = flag("ignore_merges");
    if (model.contains("continuing_subword_prefix") && model.at("continuing_subword_prefix").is_string())
      options.continuing_subword_prefix = model.at("continuing_subword_prefix").get<std::string>();
    if (model.contains("end_of_word_suffix") && model.at("end_of_word_suffix").is_string())
      options.end_of_word_suffix = model.at("end_of_word_suffix").get<std::string>();
    (void)place;
    model_ = std::make_unique<BpeModel>(std::move(vocab), merges, std::move(options), name);
  }

  void LoadPostProcessor(const json& node, const JsonPlace& place) {
    template_.clear();
    template_.push_back({true, {}});
    if (node.is_null()) return;
    const std::string type = node.value("type", std::string());
    if (type == "ByteLevel") return;  // offsets only: ids are unchanged
    if (type == "Sequence") {
      const json& items = node.value("processors", json::array());
      for (std::size_t i = 0; i < items.size(); ++i)
        LoadPostProcessor(items[i], place.Child("processors").Index(i));
      return;
    }
    if (type == "TemplateProcessing") {
      template_.clear();
      const json& single = node.value("single", json::array());
      const json& specials = node.value("special_tokens", json::object());
      for (std::size_t i = 0; i < single.size(); ++i) {
        const json& item = single[i];
        if (item.contains("Sequence")) {
          template_.push_back({true, {}});
        } else if (item.contains("SpecialToken")) {
          const std::string id = item.at("SpecialToken").at("id").get<std::string>();
          KVB_REQUIRE(specials.contains(id), place.file, ": ", place.key, ".single[", i,
                      "] names special token '", id, "' missing from ", place.key, ".special_tokens");
          TemplateItem t;
          for (const json& v : specials.at(id).at("ids")) t.special_ids.push_back(v.get<TokenId>());
          template_.push_back(std::move(t));
        } else {
          throw Error(StrCat(place.file, ": ", place.key, ".single[", i,
                             "] must be a Sequence or a SpecialToken"));
        }
      }
      return;
    }
    if (type == "BertProcessing" || type == "RobertaProcessing") {
      template_.clear();
      template_.push_back({false, {node.at("cls").at(1).get<TokenId>()}});
      template_.push_back({true, {}});
      template_.push_back({false, {node.at("sep").at(1).get<TokenId>()}});
      return;
    }
    throw Error(StrCat(place.file, ": unsupported post_processor type '", type, "' at key ",
                       place.key, ".type"));
  }

  void LoadAddedTokens(const json& list, const std::string& name) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& t = list[i];
      KVB_REQUIRE(t.contains("id") && t.contains("content"), name, ": added_tokens[", i,
                  "] needs id and content");
      AddedToken token;
      token.id = t.at("id").get<TokenId>();
      token.content = t.at("content").get<std::string>();
      token.single_word = t.value("single_word", false);
      token.lstrip = t.value("lstrip", false);
      token.rstrip = t.value("rstrip", false);
      token.normalized = t.value("normalized", !t.value("special", false));
      token.special = t.value("special", false);
      added_by_id_[token.id] = added_.size();
      added_.push_back(std::move(token));
    }
    for (std::size_t i = 0; i < added_.size(); ++i) {
      AddedToken& t = added_[i];
      if (t.special) special_contents_.insert(t.content);
      t.decoded = t.content;
      if (!t.normalized) {
        raw_matcher_.Add(t.content, i);
      } else {
        // `tokenizers` matches a normalized token by its normalized form.
        if (normalizer_) normalizer_->Apply(t.decoded);
        normalized_matcher_.Add(t.decoded, i);
      }
    }
  }

  // Splits `text` at the matches of `matcher`, honouring single_word/lstrip/rstrip.
  void SplitWith(const AddedTokenMatcher& matcher, Segment seg, std::vector<Segment>& out) const {
    const std::string_view text = seg.text;
    std::size_t start_offset = 0;
    bool first = seg.first;
    std::size_t from = 0;
    const auto push_text = [&](std::size_t b, std::size_t e) {
      if (e > b) out.push_back({std::string(text.substr(b, e - b)), std::nullopt, first && b == 0});
    };
    while (!matcher.empty()) {
      auto m = matcher.Find(text, from);
      if (!m) break;
      from = m->end;
      const AddedToken& t = added_[m->token_index];
      std::size_t start = m->begin, stop = m->end;
      if (t.single_word) {
        const bool start_ok = start == 0 || !IsWordChar(LastChar(text.substr(0, start)));
        std::size_t len = 0;
        const bool stop_ok = stop == text.size() || !IsWordChar(DecodeAt(text, stop, len));
        if (!start_ok || !stop_ok) continue;
      }
      if (t.lstrip) {
        std::size_t s = start;
        while (s > 0) {
          std::size_t p = s - 1;
          while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
          std::size_t len = 0;
          if (!IsSpace(DecodeAt(text, p, len))) break;
          s = p;
        }
        start = std::max(s, start_offset);
      }
      if (t.rstrip) {
        while (stop < text.size()) {
          std::size_t len = 0;
          if (!IsSpace(DecodeAt(text, stop, len))) break;
          stop += len;
        }
        from = stop;
      }
      push_text(start_offset, start);
      out.push_back({std::string(text.substr(start, stop - start)), t.id, false});
      start_offset = stop;
    }
    if (start_offset == 0) {
      out.push_back(std::move(seg));
      return;
    }
    push_text(start_offset, text.size());
  }

  std::vector<Segment> SplitAddedTokens(std::string_view text) const {
    std::vector<Segment> raw;
    SplitWith(raw_matcher_, Segment{std::string(text), std::nullopt, true}, raw);
    std::vector<Segment> out;
    out.reserve(raw.size());
    for (Segment& seg : raw) {
      if (seg.id) {
        out.push_back(std::move(seg));
        continue;
      }
      if (normalizer_) normalizer_->Apply(seg.text);
      if (seg.text.empty()) continue;
      SplitWith(normalized_matcher_, std::move(seg), out);
    }
    return out;
  }

  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  bool byte_level_ = false;
  std::vector<TemplateItem> template_;
  std::vector<AddedToken> added_;
  std::unordered_map<TokenId, std::size_t> added_by_id_;
  std::unordered_set<std::string> special_contents_;
  AddedTokenMatcher raw_matcher_;
  AddedTokenMatcher normalized_matcher_;
  std::optional<TokenId> bos_id_;
  TokenIds eos_ids_;
};

}  // namespace

std::unique_ptr<Tokenizer> LoadHfTokenizer(const std::filesystem::path& file,
                                           const SpecialTokenNames& names) {
  json root;
  try {
    root = json::parse(ReadFile(file));
  } catch (const json::exception& e) {
    throw Error(StrCat(file.string(), ": invalid JSON: ", e.what()));
  }
  std::unique_ptr<HfTokenizer> tokenizer;
  try {
    tokenizer = std::make_unique<HfTokenizer>(file, root);
  } catch (const json::exception& e) {
    throw Error(StrCat(file.string(), ": unexpected structure: ", e.what()));
  }
  std::optional<TokenId> bos;
  if (names.bos) bos = tokenizer->TokenToId(*names.bos);
  TokenIds eos;
  if (names.eos) {
    if (auto id = tokenizer->TokenToId(*names.eos)) eos.push_back(*id);
  }
  tokenizer->SetSpecialTokens(bos, std::move(eos));
  return tokenizer;
}

}  // namespace kvb::tokenizer_internal
