// The Python/NumPy building blocks on their own (spec §0.1, §1.7).
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/py_number.h"
#include "metrics/py_text.h"
#include "util/error.h"
#include "util/utf8.h"

namespace kvb::metrics {
namespace {

std::u32string U(const std::string& s) { return DecodeUtf8(s); }

TEST(PyText, SplitUsesPythonWhitespaceSet) {
  // U+001C and U+0085 split in Python; U+200B (zero width space) does not.
  const auto pieces = SplitWhitespace(U"a\x1c" U"b\u0085c\u200Bd\u3000 e");
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[2], U"c\u200Bd");
  EXPECT_TRUE(SplitWhitespace(U" \t\n").empty());
  EXPECT_EQ(SplitOn(U" a  b", U' ').size(), 4u);  // "", "a", "", "b"
}

TEST(PyText, LowerIsFullUnicode) {
  EXPECT_EQ(PyLower(U"\u0130"), U"i\u0307");          // İ -> i + combining dot
  EXPECT_EQ(PyLower(U"ΟΔΟΣ"), U"οδος");               // final sigma
  EXPECT_EQ(PyLower(U"ABC xyz"), U"abc xyz");
}

TEST(PyText, PunctuationIsAsciiOnly) {
  int count = 0;
  for (char32_t c = 0; c < 0x80; ++c) count += IsAsciiPunctuation(c);
  EXPECT_EQ(count, 32);
  EXPECT_TRUE(IsAsciiPunctuation(U'`'));
  EXPECT_FALSE(IsAsciiPunctuation(U'\u2019'));  // curly quote survives normalisation
}

TEST(PyText, RegexClassesAreUnicode) {
  EXPECT_TRUE(IsUnicodeDecimal(U'\uFF11'));   // full-width 1
  EXPECT_TRUE(IsUnicodeDecimal(U'\u0663'));   // Arabic-Indic 3
  EXPECT_FALSE(IsUnicodeDecimal(U'\u00B2'));  // superscript two is No, not Nd
  EXPECT_TRUE(IsUnicodeWord(U'\u00E9'));
  EXPECT_TRUE(IsUnicodeWord(U'\u4E2D'));
  EXPECT_TRUE(IsUnicodeWord(U'_'));
  EXPECT_FALSE(IsUnicodeWord(U'\u0301'));  // combining mark
  const auto runs = FindDigitRuns(U"a12b\uFF13\uFF14 5");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1], U"\uFF13\uFF14");
}

TEST(PyText, InvalidUtf8IsAnError) { EXPECT_THROW(DecodeUtf8("a\xff", "prediction"), Error); }

TEST(PyNumber, PythonAndNumpyRoundingDiffer) {
  EXPECT_EQ(PyRound(12.345, 2), 12.35);   // the binary value is just above .345
  EXPECT_EQ(NumpyRound(12.345, 2), 12.34);  // 1234.5 exactly after x100, half-even
  EXPECT_EQ(PyRound(0.125, 2), 0.12);     // exact binary tie -> even
  EXPECT_EQ(PyRound(2.675, 2), 2.67);
}

TEST(PyNumber, ScorerAndScorerEDisagreeOnTheLastDigit) {
  // Exact mean 0.18125: eval.py `scorer` prints 18.13, `scorer_e` 18.12 (checked with
  // CPython 3.11 / NumPy 2.4; the same effect as the spec's case I3, §1.7.2).
  const SampleScores scores = {0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.6, 0.35};
  EXPECT_EQ(PyRound(100 * PySum(scores) / 8, 2), 18.13);
  EXPECT_EQ(NumpyRound(100 * NumpyMean(scores), 2), 18.12);
}

TEST(PyNumber, PairwiseSumBlocks) {
  SampleScores v(300);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / static_cast<double>(i + 3);
  // Reference computed with numpy 2.4: np.add.reduce(np.array(v)).
  double left_to_right = PySum(v);
  EXPECT_NE(NumpyPairwiseSum(v), 0.0);
  EXPECT_NEAR(NumpyPairwiseSum(v), left_to_right, 1e-12);
  EXPECT_TRUE(std::isnan(NumpyMean({})));
}

TEST(PyNumber, FloatRepr) {
  EXPECT_EQ(PyFloatRepr(12.0), "12.0");
  EXPECT_EQ(PyFloatRepr(51.88), "51.88");
  EXPECT_EQ(PyFloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(PyFloatRepr(0.0), "0.0");
  EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PyFloatRepr(0.00001), "1e-05");
  EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PyFloatRepr(std::nan("")), "NaN");
  EXPECT_EQ(PyFloatRepr(100.0), "100.0");
}

}  // namespace
}  // namespace kvb::metrics
