#include "methods/head_scores.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace kvb {

HeadImportance LoadHeadImportance(const std::string& path) {
  std::ifstream in(path);
  KVB_REQUIRE(in.good(), "head-score file ", path, ": cannot open");
  nlohmann::json root;
  try {
    in >> root;
  } catch (const std::exception& e) {
    throw Error(StrCat("head-score file ", path, ": not JSON: ", e.what()));
  }
  KVB_REQUIRE(root.is_object() && !root.empty(), "head-score file ", path, ": expected a {\"layer-head\": [...]} object");
  HeadImportance importance;
  std::vector<std::pair<std::pair<int, int>, double>> entries;
  for (const auto& [key, scores] : root.items()) {
    int layer = -1, head = -1;
    char dash = 0;
    std::istringstream parse(key);
    parse >> layer >> dash >> head;
    KVB_REQUIRE(parse && dash == '-' && layer >= 0 && head >= 0 && parse.peek() == EOF, "head-score file ", path,
                ": key '", key, "' is not \"layer-head\"");
    KVB_REQUIRE(scores.is_array(), "head-score file ", path, ": key '", key, "' holds no list");
    double sum = 0;
    for (const auto& v : scores) sum += v.get<double>();
    entries.push_back({{layer, head}, scores.empty() ? 0.0 : sum / scores.size()});
    importance.num_layers = std::max(importance.num_layers, layer + 1);
    importance.num_heads = std::max(importance.num_heads, head + 1);
  }
  KVB_REQUIRE(static_cast<int64_t>(entries.size()) == int64_t{importance.num_layers} * importance.num_heads,
              "head-score file ", path, ": ", entries.size(), " keys do not fill a ", importance.num_layers, " x ",
              importance.num_heads, " layer x head grid");
  importance.mean.assign(entries.size(), 0.0);
  for (const auto& [index, mean] : entries) importance.mean[index.first * importance.num_heads + index.second] = mean;
  return importance;
}

std::vector<std::vector<std::int64_t>> HeadCapacities(const HeadImportance& importance,
                                                      const HeadCapacityOptions& options) {
  const double pool = std::floor(options.base / options.beta);  // P: Python // on floats
  const double floor_tokens = options.base - pool;               // minN
  std::vector<double> p(importance.mean.size());
  double total = 0;
  for (double m : importance.mean) total += m;
  double powered_total = 0;
  for (size_t i = 0; i < p.size(); ++i) powered_total += p[i] = std::pow(importance.mean[i] / total, options.temp);
  const double heads = static_cast<double>(p.size());
  std::vector<std::vector<std::int64_t>> caps(importance.num_layers, std::vector<std::int64_t>(importance.num_heads));
  for (int l = 0; l < importance.num_layers; ++l)
    for (int h = 0; h < importance.num_heads; ++h) {
      const double share = p[l * importance.num_heads + h] / powered_total;
      caps[l][h] = static_cast<std::int64_t>(std::nearbyint(share * pool * heads + floor_tokens));
    }
  return caps;
}

std::vector<std::vector<std::int64_t>> GroupMeanCapacities(const std::vector<std::vector<std::int64_t>>& caps,
                                                           int num_kv_heads) {
  std::vector<std::vector<std::int64_t>> grouped(caps.size(), std::vector<std::int64_t>(num_kv_heads));
  for (size_t l = 0; l < caps.size(); ++l) {
    const int group = static_cast<int>(caps[l].size()) / num_kv_heads;
    for (int s = 0; s < num_kv_heads; ++s) {
      double sum = 0;
      for (int g = 0; g < group; ++g) sum += caps[l][s * group + g];
      grouped[l][s] = static_cast<std::int64_t>(std::nearbyint(sum / group));
    }
  }
  return grouped;
}

}  // namespace kvb
