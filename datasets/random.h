// A deterministic random source whose draws are the same on every platform and
// standard library (std::uniform_int_distribution is not: its algorithm is
// implementation-defined). Generated datasets seed one per sample, so sample i
// does not depend on which other samples were built (sharding, resume).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace kvb {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  // SplitMix64 (Steele, Lea, Flood 2014): full-period 64-bit output.
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), n > 0, without modulo bias (rejection sampling).
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return x % n;
  }

  // Uniform in [lo, hi] inclusive.
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  double Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  template <typename T>
  void Shuffle(std::vector<T>& items) {  // Fisher-Yates
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[Below(i)]);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& items) { return items[Below(items.size())]; }

  // k distinct indices from [0, n), in draw order.
  std::vector<std::size_t> SampleIndices(std::size_t n, std::size_t k) {
    std::vector<std::size_t> pool(n);
    for (std::size_t i = 0; i < n; ++i) pool[i] = i;
    for (std::size_t i = 0; i < k; ++i) std::swap(pool[i], pool[i + Below(n - i)]);
    pool.resize(k);
    return pool;
  }

 private:
  std::uint64_t state_;
};

// A per-sample seed: mixes the user's seed with the sample's identity.
inline std::uint64_t SampleSeed(std::uint64_t seed, std::string_view key) {
  std::uint64_t hash = 1469598103934665603ULL ^ seed;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  Rng mix(hash);
  return mix.Next();
}

}  // namespace kvb
