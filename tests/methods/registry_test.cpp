// The registry fails loudly and helpfully (STYLE P2), holds exactly the seed methods
// (STYLE P1), and parameters are typed (STYLE P3).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "methods/registry.h"
#include "util/edit_distance.h"
#include "util/error.h"

namespace kvb {
namespace {

const std::vector<std::string> kSeedMethods = {"ada_pyramidkv", "ada_snapkv", "full", "h2o",
                                               "headkv", "pyramidkv", "snapkv", "streamingllm"};

// A registry holding the seed names, so error messages can be tested on their own.
MethodRegistry SeedNameRegistry() {
  MethodRegistry registry;
  for (const auto& name : kSeedMethods) registry.Add({name, "", {}, nullptr, "test"});
  return registry;
}

TEST(RegistryTest, HoldsExactlyTheSeedMethods) { EXPECT_EQ(MethodRegistry::Get().Names(), kSeedMethods); }

TEST(RegistryTest, CreatesByNameWithDefaults) {
  auto method = CreateMethod("full");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->name(), "full");
  EXPECT_EQ(method->granularity(), Granularity::kKvHead);
}

TEST(RegistryTest, FullKeepsEveryPosition) {
  auto method = CreateMethod("full", YAML::Node());
  LayerView view;
  view.shape = {2, 4, 2, 8};
  view.prompt_length = 5;
  KeptPositions kept = method->SelectPrefill(view);
  ASSERT_EQ(kept.num_segments(), 2);
  for (const auto& seg : kept.per_segment) EXPECT_EQ(seg, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(RegistryTest, DuplicateNameNamesBothRegistrations) {
  MethodRegistry registry;
  registry.Add({"toy", "a", {}, nullptr, "a.cpp:1"});
  try {
    registry.Add({"toy", "b", {}, nullptr, "b.cpp:2"});
    FAIL() << "duplicate accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("a.cpp:1"), std::string::npos) << what;
    EXPECT_NE(what.find("b.cpp:2"), std::string::npos) << what;
  }
}

struct DuplicateFull : EvictionMethod {
  static constexpr const char kName[] = "full";
  static constexpr const char kSummary[] = "clash";
  KeptPositions SelectPrefill(const LayerView&) override { return {}; }
};

TEST(RegistryDeathTest, DuplicateRegistrationAbortsAtStartUp) {
  EXPECT_DEATH(method_registry_internal::Registrar<DuplicateFull>("dup_test.cpp", 7),
               "registered twice.*dup_test.cpp:7");
}

TEST(RegistryTest, UnknownNameListsRegisteredNames) {
  try {
    SeedNameRegistry().Find("quux");
    FAIL() << "unknown name accepted";
  } catch (const ConfigError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("unknown eviction method 'quux'"), std::string::npos) << what;
    EXPECT_NE(what.find("snapkv"), std::string::npos) << what;
    EXPECT_NE(what.find("streamingllm"), std::string::npos) << what;
    EXPECT_EQ(what.find("did you mean"), std::string::npos) << what;
  }
}

TEST(RegistryTest, OneLetterTypoSuggestsTheNearestName) {
  try {
    SeedNameRegistry().Find("snapvk");
    FAIL() << "typo accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'snapkv'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(NearestName("h20", kSeedMethods), "h2o");
  EXPECT_EQ(NearestName("streaming", kSeedMethods), "streamingllm");
  EXPECT_EQ(NearestName("quux", kSeedMethods), "");
}

// A toy schema exercising every type and error.
ParamSchema ToySchema() {
  ParamSchema schema;
  schema.Int("window", 32, 1, 1024, "window")
      .Float("beta", 20, 1, 1000, "beta")
      .Bool("normalize", false, "normalize")
      .Choice("pooling", "max", {"max", "avg", "none"}, "pooling")
      .String("heads", "copy", "heads")
      .AddPreset("adakv", {{"window", "32"}, {"normalize", "false"}})
      .AddPreset("headkv", {{"window", "8"}, {"normalize", "true"}});
  return schema;
}

std::string ParseError(const std::string& yaml) {
  try {
    ToySchema().Parse("toy", YAML::Load(yaml));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ParamSchemaTest, DefaultsPresetsAndOverrides) {
  ParamValues defaults = ToySchema().Parse("toy", YAML::Node());
  EXPECT_EQ(defaults.GetInt("window"), 32);
  EXPECT_EQ(defaults.GetString("protocol"), "none");
  ParamValues preset = ToySchema().Parse("toy", YAML::Load("{protocol: headkv}"));
  EXPECT_EQ(preset.GetInt("window"), 8);
  EXPECT_TRUE(preset.GetBool("normalize"));
  ParamValues both = ToySchema().Parse("toy", YAML::Load("{window: 16, protocol: headkv}"));
  EXPECT_EQ(both.GetInt("window"), 16) << "the user's key overrides the preset";
  EXPECT_DOUBLE_EQ(ToySchema().Parse("toy", YAML::Load("{beta: 1.5}")).GetFloat("beta"), 1.5);
  EXPECT_DOUBLE_EQ(ToySchema().Parse("toy", YAML::Load("{beta: 2}")).GetFloat("beta"), 2.0);
}

TEST(ParamSchemaTest, ErrorsNameMethodAndKey) {
  std::string unknown = ParseError("{windw: 3}");
  EXPECT_NE(unknown.find("method 'toy', key 'windw'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("unknown parameter"), std::string::npos) << unknown;
  std::string range = ParseError("{window: 0}");
  EXPECT_NE(range.find("key 'window'"), std::string::npos) << range;
  EXPECT_NE(range.find("out of range"), std::string::npos) << range;
  EXPECT_NE(ParseError("{window: 3.5}").find("key 'window'"), std::string::npos);
  EXPECT_NE(ParseError("{window: abc}").find("is not an int"), std::string::npos);
  EXPECT_NE(ParseError("{normalize: maybe}").find("key 'normalize'"), std::string::npos);
  EXPECT_NE(ParseError("{pooling: mean}").find("not one of max|avg|none"), std::string::npos);
  EXPECT_NE(ParseError("{protocol: kvf}").find("key 'protocol'"), std::string::npos);
  EXPECT_NE(ParseError("\n\n{window: [1]}").find("line 3"), std::string::npos) << ParseError("\n\n{window: [1]}");
}

}  // namespace
}  // namespace kvb
