// Retrieval / retrieval-reasoning head detection (spec methods.md §6, "How the scores
// were produced"): the per-step scoring rules and the score file that `kvbench
// head-scores` writes and `headkv` reads (methods/head_scores.h).
//
// The attention rows come from the decoder's own decode steps through AttentionProbe,
// an eviction method that evicts nothing and records, per layer, the weights of the
// step's queries over the cache (ops::DecodeAttentionWeights): no decoder hook needed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "methods/eviction_method.h"
#include "util/types.h"

namespace kvb {

// copy = retrieval heads (HeadKV-R), reason = retrieval-reasoning heads (HeadKV-R2).
enum class HeadScoreKind { kCopy, kReason };

// "copy" | "reason"; ConfigError naming `what` (the option) otherwise.
HeadScoreKind ParseHeadScoreKind(const std::string& name, const std::string& what);

// Half-open token range [begin, end) of the prompt.
struct TokenSpan {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
  bool contains(std::int64_t i) const { return begin <= i && i < end; }
};

// The detection scripts' needle locator: the first i where the token *set* of
// prompt[i, i + |needle|) covers more than 90% of the needle's distinct tokens.
// Returns nullopt-like {-1, -1} when there is none.
TokenSpan FindNeedleSpan(const TokenIds& prompt, const TokenIds& needle);

// One detection instance (one needle prompt): per-head scores, layer-major [Lyr * H].
class HeadScoreInstance {
 public:
  // `prompt`: every prompt id (cache row i holds position i); `needle`: the real
  // needle's span in it.
  HeadScoreInstance(const ModelShape& shape, HeadScoreKind kind, TokenSpan needle, TokenIds prompt);

  // One decode step. attention[l]: [H, T] f32 weights of the query fed at this step
  // over cache rows 0..T-1 (prompt positions first); `generated`: the token this step
  // produced (argmax of its logits).
  //   copy:   head += 1/|needle| when its top-1 row is inside the needle span and the
  //           prompt token there equals `generated`.
  //   reason: head += weight/|needle| for each of its top-|needle| rows inside the span.
  void AddStep(const std::vector<at::Tensor>& attention, TokenId generated);

  const std::vector<double>& scores() const { return scores_; }

 private:
  void AddCopyStep(int layer, const at::Tensor& weights, TokenId generated);
  void AddReasonStep(int layer, const at::Tensor& weights);

  ModelShape shape_;
  HeadScoreKind kind_;
  TokenSpan needle_;
  TokenIds prompt_;
  std::vector<double> scores_;
};

// The score lists of all accepted instances, written in the official format: one JSON
// object on one line, keys "layer-head" in layer-major order over query heads, each a
// list with one score per accepted instance (zeros written as 0, as the originals).
class HeadScoreFile {
 public:
  explicit HeadScoreFile(const ModelShape& shape) : shape_(shape) {}
  void Append(const HeadScoreInstance& instance);
  std::int64_t num_instances() const { return num_instances_; }
  std::string ToJson() const;

 private:
  ModelShape shape_;
  std::int64_t num_instances_ = 0;
  std::vector<std::vector<double>> lists_;  // [Lyr * H][instance]
};

// An eviction "method" that keeps every prompt token and, after each decode step,
// records the step's attention weights per layer ([H, T] f32, on the CPU). Not
// registered: `kvbench head-scores` creates it directly.
class AttentionProbe : public EvictionMethod {
 public:
  explicit AttentionProbe(int num_layers) : attention_(num_layers) {}

  KeptPositions SelectPrefill(const LayerView& view) override;
  bool evicts_while_decoding() const override { return true; }
  void OnDecodeStep(const DecodeView& view, LayerKV& layer) override;

  // The last decode step's weights, one [H, T] tensor per layer.
  const std::vector<at::Tensor>& attention() const { return attention_; }

 private:
  std::vector<at::Tensor> attention_;
};

}  // namespace kvb
