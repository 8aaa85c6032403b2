#include "methods/head_detection.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include "util/error.h"

namespace kvb {

HeadScoreKind ParseHeadScoreKind(const std::string& name, const std::string& what) {
  if (name == "copy") return HeadScoreKind::kCopy;
  if (name == "reason") return HeadScoreKind::kReason;
  throw ConfigError(StrCat(what, ": '", name, "' is not a head-score kind (copy | reason)"));
}

TokenSpan FindNeedleSpan(const TokenIds& prompt, const TokenIds& needle) {
  const std::set<TokenId> wanted(needle.begin(), needle.end());
  const auto span = static_cast<std::int64_t>(needle.size());
  if (wanted.empty()) return {-1, -1};
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(prompt.size()); ++i) {
    // The reference slices past the end too (a shorter window near the end).
    const auto end = std::min<std::int64_t>(i + span, prompt.size());
    const std::set<TokenId> window(prompt.begin() + i, prompt.begin() + end);
    std::size_t overlap = 0;
    for (TokenId id : window) overlap += wanted.count(id);
    if (static_cast<double>(overlap) / static_cast<double>(wanted.size()) > 0.9) return {i, i + span};
  }
  return {-1, -1};
}

HeadScoreInstance::HeadScoreInstance(const ModelShape& shape, HeadScoreKind kind, TokenSpan needle, TokenIds prompt)
    : shape_(shape), kind_(kind), needle_(needle), prompt_(std::move(prompt)),
      scores_(static_cast<std::size_t>(shape.num_layers) * shape.num_q_heads, 0.0) {
  KVB_REQUIRE(needle_.size() > 0 && needle_.begin >= 0, "head detection: empty needle span");
}

void HeadScoreInstance::AddStep(const std::vector<at::Tensor>& attention, TokenId generated) {
  KVB_REQUIRE(static_cast<int>(attention.size()) == shape_.num_layers, "head detection: ", attention.size(),
              " layers of attention, the model has ", shape_.num_layers);
  for (int layer = 0; layer < shape_.num_layers; ++layer) {
    const at::Tensor weights = attention[layer].to(at::kCPU, at::kFloat).contiguous();
    KVB_REQUIRE(weights.dim() == 2 && weights.size(0) == shape_.num_q_heads, "head detection: layer ", layer,
                " attention is ", weights.sizes(), ", expected [", shape_.num_q_heads, ", T]");
    if (kind_ == HeadScoreKind::kCopy) {
      AddCopyStep(layer, weights, generated);
    } else {
      AddReasonStep(layer, weights);
    }
  }
}

// Top-1 (ties: the lower row, as at::argmax on CPU) inside the span, and the token
// there is the one this step produced: the head copied it.
void HeadScoreInstance::AddCopyStep(int layer, const at::Tensor& weights, TokenId generated) {
  const at::Tensor top = weights.argmax(1);
  const auto* rows = top.data_ptr<int64_t>();
  const double unit = 1.0 / static_cast<double>(needle_.size());
  for (int h = 0; h < shape_.num_q_heads; ++h) {
    const int64_t row = rows[h];
    if (needle_.contains(row) && row < static_cast<int64_t>(prompt_.size()) && prompt_[row] == generated)
      scores_[static_cast<std::size_t>(layer) * shape_.num_q_heads + h] += unit;
  }
}

// The head's top-|needle| rows; each inside the span adds its weight / |needle|.
void HeadScoreInstance::AddReasonStep(int layer, const at::Tensor& weights) {
  const int64_t k = std::min<int64_t>(needle_.size(), weights.size(1));
  const auto [values, indices] = weights.topk(k, 1);
  const auto* v = values.contiguous().data_ptr<float>();
  const auto* idx = indices.contiguous().data_ptr<int64_t>();
  const double size = static_cast<double>(needle_.size());
  for (int h = 0; h < shape_.num_q_heads; ++h)
    for (int64_t j = 0; j < k; ++j)
      if (needle_.contains(idx[h * k + j]))
        scores_[static_cast<std::size_t>(layer) * shape_.num_q_heads + h] += v[h * k + j] / size;
}

void HeadScoreFile::Append(const HeadScoreInstance& instance) {
  const auto heads = static_cast<std::size_t>(shape_.num_layers) * shape_.num_q_heads;
  KVB_REQUIRE(instance.scores().size() == heads, "head-score file: instance has ", instance.scores().size(),
              " heads, expected ", heads);
  lists_.resize(heads);
  for (std::size_t i = 0; i < heads; ++i) lists_[i].push_back(instance.scores()[i]);
  ++num_instances_;
}

std::string HeadScoreFile::ToJson() const {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();  // layer-major key order
  for (int l = 0; l < shape_.num_layers; ++l)
    for (int h = 0; h < shape_.num_q_heads; ++h) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      if (!lists_.empty())
        for (double s : lists_[static_cast<std::size_t>(l) * shape_.num_q_heads + h]) {
          if (s == 0.0) {
            list.push_back(0);  // the detection scripts' untouched int 0
          } else {
            list.push_back(s);
          }
        }
      root[StrCat(l, "-", h)] = std::move(list);
    }
  return root.dump() + "\n";
}

KeptPositions AttentionProbe::SelectPrefill(const LayerView& view) {
  std::vector<int64_t> all(static_cast<std::size_t>(view.prompt_length));
  std::iota(all.begin(), all.end(), int64_t{0});
  KeptPositions kept;
  kept.per_segment.assign(view.shape.num_kv_heads, all);
  return kept;
}

void AttentionProbe::OnDecodeStep(const DecodeView& view, LayerKV& layer) {
  // 0 = 1/sqrt(d), the decoder's own scale.
  attention_.at(view.layer) = ops::DecodeAttentionWeights(layer, view.queries, 0.0).to(at::kCPU);
}

}  // namespace kvb
