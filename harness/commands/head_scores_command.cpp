// kvbench head-scores --model DIR --kind copy|reason -o FILE [--lengths ...] [--depths N]
//   [--haystack DIR|builtin] [--needles FILE.jsonl] [--max-new-tokens 50] [--min-f1 50]
//
// Retrieval (copy) or retrieval-reasoning (reason) head scores with the detection
// procedure of spec methods.md §6, written in the official file format so `headkv`
// (heads: <file>) runs on any model. Per needle x length x depth instance: the needle
// dataset builds the prompt (HeadKV profile), the model prefills all but the last prompt
// token, then greedy-decodes from it; after every step each query head's attention over
// the cache is scored (methods/head_detection.h). An instance's scores are kept only when
// the answer's QA-F1 exceeds --min-f1 (percent), as the detection scripts do.
#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "harness/command.h"
#include "methods/head_detection.h"
#include "metrics/longbench_metrics.h"
#include "model/decoder.h"
#include "model/tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/file.h"
#include "util/utf8.h"

namespace kvb {
namespace {

// One detection needle. `real_needle` locates the span the heads are scored on;
// `answer` is what the response must contain (QA-F1) for the instance to count.
struct DetectionNeedle {
  std::string needle;
  std::string question;
  std::string real_needle;
  std::string answer;
};

// kvbench's own needles (written for kvbench; the papers' needles.jsonl go in with
// --needles). copy: the answer is the needle sentence itself, so a retrieval head copies
// it token by token. reason: two facts whose answer must be inferred from both.
std::vector<DetectionNeedle> BuiltinNeedles(HeadScoreKind kind) {
  if (kind == HeadScoreKind::kCopy) {
    const std::vector<std::pair<std::string, std::string>> facts = {
        {"The best way to keep fresh basil is in a glass of water on a sunny windowsill.",
         "What is the best way to keep fresh basil?"},
        {"The old lighthouse keeper painted his front door bright orange every spring.",
         "What did the old lighthouse keeper do every spring?"},
        {"The key to the library's back room is hidden under the blue armchair.",
         "Where is the key to the library's back room hidden?"},
    };
    std::vector<DetectionNeedle> needles;
    for (const auto& [sentence, question] : facts)
      needles.push_back({"\n" + sentence + "\n", question, sentence, sentence});
    return needles;
  }
  return {
      {"\nMarta is older than Jonas. Jonas is older than Priya.\n", "Who is the youngest of Marta, Jonas and Priya?",
       "Marta is older than Jonas. Jonas is older than Priya.", "Priya"},
      {"\nThe red crate is heavier than the green crate. The green crate is heavier than the white crate.\n",
       "Which crate is the heaviest?",
       "The red crate is heavier than the green crate. The green crate is heavier than the white crate.",
       "the red crate"},
      {"\nLeo lives in Lisbon. Nadia's cousin is Leo.\n", "In which city does Nadia's cousin live?",
       "Leo lives in Lisbon. Nadia's cousin is Leo.", "Lisbon"},
  };
}

// --needles FILE: JSON lines {"needle", "question", "real_needle"?, "answer"?};
// real_needle defaults to the needle without surrounding whitespace, answer to real_needle.
std::vector<DetectionNeedle> LoadNeedles(const std::string& path) {
  std::ifstream in(path);
  KVB_REQUIRE(in.good(), "--needles ", path, ": cannot open");
  std::vector<DetectionNeedle> needles;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
      DetectionNeedle needle;
      needle.needle = record.at("needle").get<std::string>();
      needle.question = record.at("question").get<std::string>();
      const auto first = needle.needle.find_first_not_of(" \t\r\n");
      const auto last = needle.needle.find_last_not_of(" \t\r\n");
      needle.real_needle = record.value(
          "real_needle", first == std::string::npos ? std::string() : needle.needle.substr(first, last - first + 1));
      needle.answer = record.value("answer", needle.real_needle);
      needles.push_back(std::move(needle));
    } catch (const nlohmann::json::exception& e) {
      throw Error(StrCat("--needles ", path, ":", number, ": ", e.what()));
    }
  }
  KVB_REQUIRE(!needles.empty(), "--needles ", path, ": no needles");
  return needles;
}

struct HeadScoresArgs {
  std::string model;
  std::string kind;
  std::string output;
  std::vector<std::int64_t> lengths;
  std::int64_t min_length = 0;
  std::int64_t max_length = 10000;
  std::int64_t num_lengths = 5;
  std::int64_t depths = 10;
  std::string haystack = "builtin";
  std::string needles;
  std::int64_t max_new_tokens = 50;
  double min_f1 = 50;
  std::string dtype;
  std::string device;
};

// np.round(np.linspace(lo, hi, n)) (half to even); 0 becomes 1 because a 0-token
// haystack is the needle alone, which is what the needle dataset builds for length 1.
std::vector<std::int64_t> DefaultLengths(const HeadScoresArgs& args) {
  KVB_REQUIRE(args.num_lengths >= 1, "--num-lengths must be >= 1");
  std::vector<std::int64_t> lengths;
  for (std::int64_t i = 0; i < args.num_lengths; ++i) {
    const double t = args.num_lengths == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(args.num_lengths - 1);
    const double value = i == args.num_lengths - 1 && args.num_lengths > 1
                             ? static_cast<double>(args.max_length)
                             : args.min_length + t * static_cast<double>(args.max_length - args.min_length);
    lengths.push_back(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::nearbyint(value))));
  }
  return lengths;
}

YAML::Node NeedleDatasetOptions(const HeadScoresArgs& args, const std::vector<std::int64_t>& lengths,
                                const DetectionNeedle& needle) {
  YAML::Node options(YAML::NodeType::Map);
  for (auto length : lengths) options["lengths"].push_back(length);
  options["depths"] = args.depths;
  options["profile"] = "headkv";
  options["haystack"] = args.haystack;
  options["needle"] = needle.needle;
  options["question"] = needle.question;
  options["answer"] = needle.answer;
  // The detection scripts' prompt: context, then the question (no chat template).
  options["template"] = "{context}Based on the content of the book, Question: {question}\nAnswer:";
  options["max_new_tokens"] = args.max_new_tokens;
  return options;
}

// Length in characters of the decoded first `count` prompt tokens.
std::size_t DecodedLength(const Tokenizer& tokenizer, const TokenIds& prompt, std::size_t count) {
  return tokenizer.Decode(TokenIds(prompt.begin(), prompt.begin() + count), true).size();
}

// The real needle's token span: the detection scripts' 90%-token-set rule first. With a
// small vocabulary the needle's boundary tokens merge with their neighbours inside the
// prompt ("e." vs "e" "."), which can defeat that rule; then the needle text is found in
// the decoded prompt and mapped back to tokens by binary search over decoded prefixes.
TokenSpan LocateNeedle(const Tokenizer& tokenizer, const TokenIds& prompt, const TokenIds& needle_ids,
                       const std::string& needle_text) {
  const TokenSpan by_tokens = FindNeedleSpan(prompt, needle_ids);
  if (by_tokens.begin >= 0) return by_tokens;
  const std::size_t start = tokenizer.Decode(prompt, true).find(needle_text);
  if (start == std::string::npos) return {-1, -1};
  const std::size_t stop = start + needle_text.size();
  // First count whose decoded prefix reaches past `chars` (prefix lengths never shrink).
  const auto first_prefix_beyond = [&](std::size_t chars) {
    std::size_t lo = 0, hi = prompt.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (DecodedLength(tokenizer, prompt, mid) > chars) hi = mid; else lo = mid + 1;
    }
    return lo;
  };
  const auto begin = static_cast<std::int64_t>(first_prefix_beyond(start)) - 1;      // token holding char `start`
  const auto end = static_cast<std::int64_t>(first_prefix_beyond(stop - 1));         // one past the last char's token
  return begin >= 0 && end > begin ? TokenSpan{begin, end} : TokenSpan{-1, -1};
}

struct InstanceOutcome {
  std::string response;
  double f1 = 0;  // percent
};

// Prefill all but the last prompt token, then greedy-decode from it, scoring every
// step (spec §6). Stops after a newline token, at EOS (not scored), or once the
// response is as long as the answer in tokens (or max_new_tokens).
InstanceOutcome RunInstance(Decoder& decoder, const Tokenizer& tokenizer, const TokenIds& prompt,
                            const DetectionNeedle& needle, std::int64_t max_new_tokens, HeadScoreInstance& scores) {
  const ModelShape shape = decoder.config().shape();
  AttentionProbe probe(shape.num_layers);
  const TokenIds context(prompt.begin(), prompt.end() - 1);
  PrefillResult prefill =
      decoder.Prefill(context, {CacheConfig{&probe, static_cast<std::int64_t>(context.size())}}, max_new_tokens);
  SequenceState& state = prefill.sequences[0];
  const TokenIds eos = tokenizer.eos_ids();
  const auto answer_tokens = static_cast<std::int64_t>(tokenizer.Encode(needle.answer, false).size());
  const std::int64_t steps = std::min(max_new_tokens, std::max<std::int64_t>(1, answer_tokens));
  TokenIds output;
  TokenId input = prompt.back();
  for (std::int64_t step = 0; step < steps; ++step) {
    const at::Tensor logits = decoder.DecodeStep(state, input);
    const auto next = static_cast<TokenId>(logits.argmax().item<std::int64_t>());
    if (std::find(eos.begin(), eos.end(), next) != eos.end()) break;
    scores.AddStep(probe.attention(), next);
    output.push_back(next);
    if (tokenizer.Decode({next}, false).find('\n') != std::string::npos) break;
    input = next;
  }
  InstanceOutcome outcome;
  outcome.response = tokenizer.Decode(output, true);
  metrics::MetricContext metric_context;
  outcome.f1 = 100.0 * metrics::QaF1Score(DecodeUtf8(outcome.response, "response"),
                                          DecodeUtf8(needle.answer, "answer"), metric_context);
  return outcome;
}

void PrintTopHeads(const HeadScoreFile& file, const std::string& json) {
  const auto root = nlohmann::ordered_json::parse(json);
  std::vector<std::pair<double, std::string>> means;
  for (const auto& [key, list] : root.items()) {
    double sum = 0;
    for (const auto& v : list) sum += v.get<double>();
    means.push_back({list.empty() ? 0.0 : sum / list.size(), key});
  }
  std::stable_sort(means.begin(), means.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::cout << "top heads over " << file.num_instances() << " instances:";
  for (std::size_t i = 0; i < std::min<std::size_t>(10, means.size()); ++i)
    std::cout << " " << means[i].second << " (" << means[i].first << ")";
  std::cout << "\n";
}

std::function<int()> SetupHeadScores(CLI::App& app) {
  auto args = std::make_shared<HeadScoresArgs>();
  app.add_option("--model", args->model, "Hugging Face checkpoint directory")->required();
  app.add_option("--kind", args->kind, "copy (retrieval heads) or reason (retrieval-reasoning heads)")
      ->required()
      ->check(CLI::IsMember({"copy", "reason"}));
  app.add_option("-o,--output", args->output, "score file to write ({\"layer-head\": [scores]})")->required();
  app.add_option("--lengths", args->lengths, "context lengths (default: round(linspace(min, max, num)))");
  app.add_option("--min-length", args->min_length, "smallest default length")->capture_default_str();
  app.add_option("--max-length", args->max_length, "largest default length")->capture_default_str();
  app.add_option("--num-lengths", args->num_lengths, "number of default lengths")->capture_default_str();
  app.add_option("--depths", args->depths, "N depth percents, round(linspace(0, 100, N))")->capture_default_str();
  app.add_option("--haystack", args->haystack, "directory of .txt files, or builtin")->capture_default_str();
  app.add_option("--needles", args->needles, "JSONL of {needle, question, real_needle?, answer?} (default: kvbench's)");
  app.add_option("--max-new-tokens", args->max_new_tokens, "decode steps at most per instance")->capture_default_str();
  app.add_option("--min-f1", args->min_f1, "keep an instance when its answer QA-F1 (percent) exceeds this")
      ->capture_default_str();
  app.add_option("--dtype", args->dtype, "run dtype (default bf16 on CUDA, fp32 on CPU)")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  app.add_option("--device", args->device, "cpu or cuda (default cuda when available)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  return [args] {
    const HeadScoreKind kind = ParseHeadScoreKind(args->kind, "--kind");
    const std::vector<DetectionNeedle> needles = args->needles.empty() ? BuiltinNeedles(kind) : LoadNeedles(args->needles);
    const std::vector<std::int64_t> lengths = args->lengths.empty() ? DefaultLengths(*args) : args->lengths;
    KVB_REQUIRE(args->max_new_tokens >= 1, "--max-new-tokens must be >= 1");

    DecoderOptions options;
    const bool cuda = args->device.empty() ? at::hasCUDA() : args->device == "cuda";
    KVB_REQUIRE(!cuda || at::hasCUDA(), "--device cuda: no CUDA device is available");
    options.device = cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    const std::string dtype = args->dtype.empty() ? (cuda ? "bf16" : "fp32") : args->dtype;
    options.dtype = dtype == "bf16" ? at::kBFloat16 : dtype == "fp16" ? at::kHalf : at::kFloat;
    const auto tokenizer = Tokenizer::FromDirectory(args->model);
    auto decoder = Decoder::Load(args->model, options);
    const ModelShape shape = decoder->config().shape();

    PromptContext prompt_context;
    prompt_context.tokenizer = tokenizer.get();
    prompt_context.context_limit = decoder->config().max_position_embeddings;
    HeadScoreFile file(shape);
    std::int64_t instances = 0;
    for (std::size_t n = 0; n < needles.size(); ++n) {
      const auto dataset = CreateDataset("needle", NeedleDatasetOptions(*args, lengths, needles[n]), "head-scores");
      dataset->CheckFits(prompt_context);
      const TokenIds real_needle = tokenizer->Encode(needles[n].real_needle, false);
      for (SampleIndex i = 0; i < dataset->size(); ++i) {
        const Sample sample = dataset->Build(i, prompt_context);
        const TokenSpan span = LocateNeedle(*tokenizer, sample.prompt_ids, real_needle, needles[n].real_needle);
        ++instances;
        if (span.begin < 0) {
          std::cout << sample.id << " needle " << n << ": needle not found in the prompt, skipped\n";
          continue;
        }
        HeadScoreInstance scores(shape, kind, span, sample.prompt_ids);
        const InstanceOutcome outcome =
            RunInstance(*decoder, *tokenizer, sample.prompt_ids, needles[n], args->max_new_tokens, scores);
        const bool accepted = outcome.f1 > args->min_f1;
        if (accepted) file.Append(scores);
        std::cout << sample.id << " needle " << n << " (" << sample.prompt_ids.size() << " tokens, needle at ["
                  << span.begin << ", " << span.end << ")): F1 "
                  << outcome.f1 << (accepted ? " kept" : " dropped") << ", response "
                  << nlohmann::json(outcome.response).dump() << "\n";
      }
    }
    if (file.num_instances() == 0) {
      throw Error(StrCat("head-scores: none of ", instances, " instances scored an answer QA-F1 above --min-f1 ",
                         args->min_f1, "; nothing written to ", args->output,
                         " (a weaker model needs a lower --min-f1, e.g. -1 keeps every instance)"));
    }
    const std::string json = file.ToJson();
    WriteFileAtomically(args->output, json);
    std::cout << "wrote " << args->output << ": " << shape.num_layers << " layers x " << shape.num_q_heads
              << " heads, " << file.num_instances() << " of " << instances << " instances kept\n";
    PrintTopHeads(file, json);
    return 0;
  };
}

KVB_REGISTER_COMMAND("head-scores", "Detect retrieval (copy) or retrieval-reasoning (reason) heads for HeadKV",
                     SetupHeadScores);

}  // namespace
}  // namespace kvb
