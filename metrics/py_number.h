// Python and NumPy number semantics that decide the last printed digit (spec §0.1, §1.7).
#pragma once

#include <string>
#include <vector>

namespace kvb::metrics {

// Per-sample scores in file order.
using SampleScores = std::vector<double>;

// Built-in round(x, digits) on a Python float: the exact binary value correctly
// rounded to `digits` decimals (glibc printf is exact, strtod reads it back).
double PyRound(double x, int digits);

// round(np.float64(x), digits): NumPy's rint(x * 10^d) / 10^d (half-even on the
// product, which may differ from PyRound: 12.345 -> 12.34 here, 12.35 there).
double NumpyRound(double x, int digits);

// np.add.reduce over a contiguous float64 array: NumPy's pairwise summation
// (blocks of 8 accumulators below 128 elements, halving above).
double NumpyPairwiseSum(const SampleScores& values);

// np.mean(values): pairwise sum / count; NaN for an empty list (as NumPy warns and returns).
double NumpyMean(const SampleScores& values);

// Python's sum() of floats in 3.11: left to right from 0 (3.12+ compensates; see README).
double PySum(const SampleScores& values);

// repr(float) as json.dump writes it: shortest round-trip digits, "12.0" for integral
// values, "NaN"/"Infinity" for non-finite (json.dump's allow_nan spelling).
std::string PyFloatRepr(double x);

}  // namespace kvb::metrics
