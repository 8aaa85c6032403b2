#include "model/rotary_embedding.h"

#include <cmath>

#include "kernels/ops.h"

namespace kvb {
namespace {

at::Tensor BaseInverseFrequencies(double base, int head_dim, at::Device device) {
  const auto exponents =
      at::arange(0, head_dim, 2, at::TensorOptions().dtype(at::kLong).device(device)).to(at::kFloat) / head_dim;
  return 1.0 / at::pow(base, exponents);
}

// Llama 3: long wavelengths are divided by `factor`, short ones kept, and the band in
// between blended smoothly (Meta's reference `apply_scaling`).
at::Tensor Llama3Scaled(const at::Tensor& inv_freq, const RopeScaling& scaling) {
  const double old_context = static_cast<double>(scaling.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / scaling.low_freq_factor;
  const double high_freq_wavelen = old_context / scaling.high_freq_factor;
  const at::Tensor wavelen = 2 * M_PI / inv_freq;
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / scaling.factor, inv_freq);
  const at::Tensor smooth = (old_context / wavelen - scaling.low_freq_factor) /
                            (scaling.high_freq_factor - scaling.low_freq_factor);
  const at::Tensor smoothed = (1 - smooth) * scaled / scaling.factor + smooth * scaled;
  const at::Tensor medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return at::where(medium, smoothed, scaled);
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const ModelConfig& config, at::Device device) : config_(config), device_(device) {
  const at::Tensor base = BaseInverseFrequencies(config.rope_theta, config.head_dim, device);
  switch (config.rope_scaling.type) {
    case RopeScalingType::kNone:
    case RopeScalingType::kDynamic:
      inv_freq_ = base;
      break;
    case RopeScalingType::kLinear:
      inv_freq_ = base / config.rope_scaling.factor;
      break;
    case RopeScalingType::kLlama3:
      inv_freq_ = Llama3Scaled(base, config.rope_scaling);
      break;
  }
}

at::Tensor RotaryEmbedding::InverseFrequencies(std::int64_t sequence_length) const {
  if (config_.rope_scaling.type != RopeScalingType::kDynamic ||
      sequence_length <= config_.max_position_embeddings) {
    return inv_freq_;
  }
  // Dynamic NTK: grow the base so the longest wavelength spans the sequence.
  const double factor = config_.rope_scaling.factor;
  const double dim = config_.head_dim;
  const double ratio = factor * static_cast<double>(sequence_length) / config_.max_position_embeddings - (factor - 1);
  const double base = config_.rope_theta * std::pow(ratio, dim / (dim - 2));
  return BaseInverseFrequencies(base, config_.head_dim, device_);
}

std::pair<at::Tensor, at::Tensor> RotaryEmbedding::CosSin(const at::Tensor& positions, std::int64_t sequence_length,
                                                          at::ScalarType dtype) const {
  const at::Tensor freqs = at::outer(positions.to(at::kFloat), InverseFrequencies(sequence_length));  // [n, d/2]
  const at::Tensor angles = at::cat({freqs, freqs}, -1);                                              // [n, d]
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

at::Tensor RotaryEmbedding::Apply(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return ops::ApplyRotary(x, cos, sin);
}

}  // namespace kvb
