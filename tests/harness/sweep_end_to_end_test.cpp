// End to end on a tiny random model (kvbench make-model): 3 methods x 2 budgets x 2
// generated datasets. The store, the JSONL files and the report hold the same numbers;
// a SIGKILLed sweep resumes to the uninterrupted result; 3 merged shards equal the
// unsharded run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "store/results_store.h"
#include "tests/common/test_env.h"
#include "util/file.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using testing::ShellQuote;

std::string Kvbench() { return ShellQuote(testing::KvbenchExe()); }

// Three registered methods, preferring ones that evict differently.
std::vector<std::string> ThreeMethods() {
  const auto listing = testing::RunCommand(Kvbench() + " methods 2>&1").output;
  std::vector<std::string> chosen;
  for (const char* name : {"full", "snapkv", "streamingllm", "h2o", "pyramidkv", "ada_snapkv"}) {
    if (listing.find(name) != std::string::npos && chosen.size() < 3) chosen.push_back(name);
  }
  return chosen;
}

class SweepEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::TempDir("sweep_end_to_end");
    const auto made = testing::RunCommand(Kvbench() + " make-model --arch llama --preset tiny --seed 7 --dtype fp32 " +
                                          ShellQuote((dir_ / "model").string()) + " 2>&1");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }

  void SetUp() override {
    methods_ = ThreeMethods();
    if (methods_.size() < 3) GTEST_SKIP() << "fewer than 3 eviction methods registered yet";
    std::ostringstream yaml;
    yaml << "model: {path: model, dtype: float32, device: cpu}\nmethods:\n";
    for (const auto& m : methods_) yaml << "  - name: " << m << "\n";
    yaml << "budgets: [64, 128]\n"
            "datasets:\n"
            "  - name: needle\n"
            "    options: {lengths: [300, 600], depths: [0, 100]}\n"
            "  - name: ruler\n"
            // fwe, not vt: vt's shortest prompt (984 tokens on this tokenizer) exceeds 512.
            "    options: {tasks: [niah_single_1, fwe], lengths: [512], num_samples: 1}\n"
            "generation: {max_new_tokens: 6}\n"
            "seed: 3\n"
            "output: out\n";
    sweep_ = dir_ / "sweep.yaml";
    std::ofstream(sweep_) << yaml.str();
  }

  testing::CommandResult Kv(const std::string& args) {
    return testing::RunCommand(Kvbench() + " " + args + " 2>&1");
  }
  std::string Run(const fs::path& out, const std::string& extra = "") {
    return "run " + ShellQuote(sweep_.string()) + " --set output=" + ShellQuote(out.string()) + " " + extra;
  }

  static fs::path dir_;
  std::vector<std::string> methods_;
  fs::path sweep_;
};
fs::path SweepEndToEndTest::dir_;

constexpr std::size_t kRuns = 6;     // 3 methods x 2 budgets
constexpr std::size_t kSamples = 6;  // needle 2 x 2, ruler 2 tasks x 1

// (run name, dataset, sample id) -> "prediction|metric=value,..." : what must not
// depend on how the sweep was run (timings may).
std::map<std::string, std::string> Outcomes(const fs::path& out) {
  const ResultsStore store = ResultsStore::OpenReadOnly(out / "results.db");
  std::map<std::string, std::string> names;
  for (const auto& run : store.Runs()) names[run.run_id] = run.name;
  std::map<std::string, std::string> outcomes;
  for (const auto& row : store.Results()) {
    const auto& r = row.result;
    std::string value = (r.failed ? "FAILED " + r.error : r.prediction) + "|";
    for (const auto& s : r.scores) value += s.metric + "=" + std::to_string(s.value) + ",";
    const std::string key = names.at(row.run_id) + " " + r.sample.dataset + " " + r.sample.sample_id;
    EXPECT_TRUE(outcomes.emplace(key, value).second) << "stored twice: " << key;
  }
  return outcomes;
}

TEST_F(SweepEndToEndTest, DryRunCountsThenRunStoreJsonlAndReportAgree) {
  const auto dry = Kv(Run(dir_ / "out_dry", "--dry-run"));
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("runs: 6"), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("samples: 6\n"), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("prefills: 6 "), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("generations: 36"), std::string::npos) << dry.output;
  EXPECT_FALSE(fs::exists(dir_ / "out_dry" / "results.db"));

  const fs::path out = dir_ / "out_full";
  const auto run = Kv(Run(out));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // Not a terminal: one plain progress line per sample (done/total, rate, ETA, dataset).
  EXPECT_NE(run.output.find("1/6 samples  "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("6/6 samples  "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("/s  ETA "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("  ruler\n"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find('\r'), std::string::npos) << "a redrawn bar in a log";
  // A whole sweep ends with its report and says where it is.
  EXPECT_NE(run.output.find("report: " + (out / "report" / "report.md").string()), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(out / "report" / "report.html"));
  const auto outcomes = Outcomes(out);
  EXPECT_EQ(outcomes.size(), kRuns * kSamples);
  for (const auto& [key, value] : outcomes) EXPECT_EQ(value.rfind("FAILED", 0), std::string::npos) << key << value;

  // pred/<run>/<dataset>.jsonl: one line per stored sample.
  const ResultsStore store = ResultsStore::OpenReadOnly(out / "results.db");
  std::size_t lines = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out / "pred")) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) ++lines;
  }
  EXPECT_EQ(lines, kRuns * kSamples);

  // The report's CSV cells are 100 x the mean of the stored per-sample scores.
  const auto report = Kv("report " + ShellQuote(out.string()) + " -o " + ShellQuote((out / "report").string()));
  ASSERT_EQ(report.exit_code, 0) << report.output;
  std::map<std::string, std::string> name_method;
  std::map<std::string, std::int64_t> name_budget;
  for (const auto& r : store.Runs()) name_method[r.run_id] = r.method, name_budget[r.run_id] = r.budget;
  const std::string csv = ReadFile(out / "report" / "scores.csv");
  std::istringstream rows(csv);
  std::string line;
  std::getline(rows, line);  // header
  std::size_t cells = 0;
  while (std::getline(rows, line)) {
    std::vector<std::string> f;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, ',');) f.push_back(field);
    ASSERT_EQ(f.size(), 8u) << line;
    double sum = 0;
    int n = 0;
    for (const auto& row : store.Results()) {
      if (name_method[row.run_id] != f[0] || std::to_string(name_budget[row.run_id]) != f[1] ||
          row.result.sample.dataset != f[2]) {
        continue;
      }
      for (const auto& score : row.result.scores) {
        if (score.metric == f[3]) sum += 100 * score.value, ++n;
      }
    }
    ASSERT_GT(n, 0) << line;
    char text[32];
    std::snprintf(text, sizeof(text), "%.2f", sum / n);
    EXPECT_EQ(f[5], text) << line;
    ++cells;
  }
  EXPECT_EQ(cells, 3u * 2u * 3u);  // methods x budgets x (needle + 2 ruler tasks)
  EXPECT_TRUE(fs::exists(out / "report" / "report.html"));
  EXPECT_NE(ReadFile(out / "report" / "report.md").find("### Budget 128"), std::string::npos);

  // Every run records its resolved config, the source commit, library versions and device.
  const std::string head = testing::RunCommand("git -C " + ShellQuote(testing::SourceDir().string()) +
                                               " rev-parse HEAD 2>/dev/null").output;
  ASSERT_EQ(store.Runs().size(), kRuns);
  for (const auto& r : store.Runs()) {
    EXPECT_NE(r.config_json.find("\"method\":\"" + r.method + "\""), std::string::npos) << r.config_json;
    EXPECT_NE(r.config_json.find("\"budget\":" + std::to_string(r.budget)), std::string::npos) << r.config_json;
    if (head.size() >= 40) EXPECT_EQ(r.git_commit.substr(0, 40), head.substr(0, 40));
    EXPECT_NE(r.library_versions_json.find("\"libtorch\""), std::string::npos) << r.library_versions_json;
    EXPECT_NE(r.library_versions_json.find("\"sqlite\""), std::string::npos) << r.library_versions_json;
    EXPECT_EQ(r.device.rfind("cpu@", 0), 0u) << r.device;
    EXPECT_FALSE(r.finished_at.empty()) << r.name;
  }
  // Peak device bytes are not measured on CPU: stored as 0 (harness/README.md).
  for (const auto& row : store.Results()) EXPECT_EQ(row.result.memory.peak_bytes, 0) << row.result.sample.sample_id;
  EXPECT_TRUE(fs::exists(out / "sweep.resolved.yaml"));

  // Re-running stores nothing new.
  const auto again = Kv(Run(out));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("6 samples (6 already stored), 0 results written"), std::string::npos) << again.output;
}

TEST_F(SweepEndToEndTest, SigkillMidSweepThenResumeEqualsUninterrupted) {
  const fs::path reference = dir_ / "out_reference";
  ASSERT_EQ(Kv(Run(reference)).exit_code, 0);
  const fs::path out = dir_ / "out_killed";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string command = Kvbench() + " " + Run(out) + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill as soon as some, but not all, results are stored.
  std::size_t stored_at_kill = 0;
  for (int i = 0; i < 6000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!fs::exists(out / "results.db")) continue;
    try {
      stored_at_kill = ResultsStore::OpenReadOnly(out / "results.db").Results().size();
    } catch (const std::exception&) {
      continue;  // the schema is being created
    }
    if (stored_at_kill > 0) break;
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be killed";
  EXPECT_GT(stored_at_kill, 0u);
  EXPECT_LT(ResultsStore::OpenReadOnly(out / "results.db").Results().size(), kRuns * kSamples);

  const auto resumed = Kv(Run(out));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(Outcomes(out), Outcomes(reference));
  const auto report_a = Kv("report " + ShellQuote(out.string()) + " -o " + ShellQuote((out / "r").string()));
  const auto report_b = Kv("report " + ShellQuote(reference.string()) + " -o " + ShellQuote((reference / "r").string()));
  ASSERT_EQ(report_a.exit_code, 0) << report_a.output;
  EXPECT_EQ(ReadFile(out / "r" / "scores.csv"), ReadFile(reference / "r" / "scores.csv"));
  EXPECT_EQ(ReadFile(out / "pred" / "full_b64" / "needle.jsonl"),
            ReadFile(reference / "pred" / "full_b64" / "needle.jsonl"));
}

TEST_F(SweepEndToEndTest, ThreeShardsMergedEqualTheUnshardedRun) {
  const fs::path whole = dir_ / "out_whole";
  ASSERT_EQ(Kv(Run(whole)).exit_code, 0);
  std::string inputs;
  for (int k = 0; k < 3; ++k) {
    const fs::path shard = dir_ / ("out_shard" + std::to_string(k));
    const auto result = Kv(Run(shard, "--shard " + std::to_string(k) + "/3"));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(Outcomes(shard).size(), kRuns * 2) << "shard " << k;  // 6 samples / 3
    inputs += " " + ShellQuote(shard.string());
  }
  const fs::path merged = dir_ / "out_merged";
  const auto merge = Kv("merge" + inputs + " -o " + ShellQuote(merged.string()));
  ASSERT_EQ(merge.exit_code, 0) << merge.output;
  EXPECT_EQ(Outcomes(merged), Outcomes(whole));
  // Merging again adds nothing; compare finds no drop at zero tolerance.
  const auto again = Kv("merge" + inputs + " -o " + ShellQuote(merged.string()));
  EXPECT_NE(again.output.find(": 0 results added"), std::string::npos) << again.output;
  const auto compare = Kv("compare " + ShellQuote(whole.string()) + " " + ShellQuote(merged.string()) + " --tolerance 0");
  EXPECT_EQ(compare.exit_code, 0) << compare.output;
}

// A sample that cannot be built (RULER vt needs more than 512 tokens on this tokenizer) is
// stored as failed with its error, the sweep goes on and exits 0, and a re-run retries it.
TEST_F(SweepEndToEndTest, AFailedSampleIsStoredWithItsErrorAndTheSweepGoesOn) {
  const fs::path out = dir_ / "out_failed";
  const std::string args = Run(out, "--set " + ShellQuote("methods=[{name: full}]") + " --set 'budgets=[64]'" +
                                    " --set 'datasets.0.options.lengths=[300]' --set 'datasets.0.options.depths=[50]'" +
                                    " --set 'datasets.1.options.tasks=[vt, niah_single_1]'");
  const auto run = Kv(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("3 samples (0 already stored), 3 results written, 1 failed"), std::string::npos) << run.output;
  std::size_t failed = 0, succeeded = 0;
  for (const auto& row : ResultsStore::OpenReadOnly(out / "results.db").Results()) {
    if (row.result.failed) {
      ++failed;
      EXPECT_NE(row.result.error.find("vt"), std::string::npos) << row.result.error;
      EXPECT_NE(row.result.error.find("512"), std::string::npos) << row.result.error;
      EXPECT_TRUE(row.result.scores.empty());
    } else {
      ++succeeded;
    }
  }
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(succeeded, 2u);
  // The report counts it as failed, outside the mean.
  const auto report = Kv("report " + ShellQuote(out.string()) + " -o " + ShellQuote((out / "report").string()));
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(ReadFile(out / "report" / "scores.csv").find(",0,1\n"), std::string::npos);
  // Resume retries the failed pair only.
  const auto again = Kv(args);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("3 samples (2 already stored), 1 results written, 1 failed"), std::string::npos)
      << again.output;
  EXPECT_EQ(ResultsStore::OpenReadOnly(out / "results.db").Results().size(), 3u);
}

// --gpus splits the plan like --shard: worker k runs shard k/n on cuda:<gpu k>. On a CPU
// machine only the split can be checked (the dry run prints it).
TEST_F(SweepEndToEndTest, GpusDryRunSplitsThePlanOneShardPerGpu) {
  const auto dry = Kv(Run(dir_ / "out_gpus", "--gpus 0,1 --dry-run"));
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("worker 0: cuda:0 shard 0/2, 3 samples"), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("worker 1: cuda:1 shard 1/2, 3 samples"), std::string::npos) << dry.output;
  const auto bad = Kv(Run(dir_ / "out_gpus", "--gpus 0,x --dry-run"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

}  // namespace
}  // namespace kvb
