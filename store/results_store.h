// The results store: <output>/results.db, one SQLite database (WAL) per sweep output.
//
// A *run* is one configuration: model x method x method parameters x budget x generation
// settings. Its id is the hash of that resolved configuration, and its name (unique in a
// store) names the pred/<name>/ directory. A *sample* is one prompt of one dataset,
// keyed by (dataset, sample_id). A *result* is what one run produced on one sample:
// prediction, per-metric scores with their direction, timings, memory, or the error that
// stopped it.
//
// Contracts:
//  - WriteResult is one transaction: a (run, sample) result, its scores and its sample
//    row appear whole or not at all, even under SIGKILL.
//  - Opening a store creates missing tables and never drops or rewrites existing rows.
//  - A run name bound to one config hash stays bound to it: adding the same name with a
//    different hash is a ConfigError (that is what "incompatible configs" means).
//  - A sample key bound to one prompt hash stays bound to it (same dataset options and seed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kvb {

class SqliteDb;

struct RunRecord {
  std::string run_id;              // hash of the resolved configuration (hex)
  std::string name;                // human-readable, unique in a store: pred/<name>/
  std::string method;              // registered method name
  std::string method_params_json;  // the method's resolved parameters, a JSON object
  std::int64_t budget = 0;         // tokens per segment, window included
  std::string model;               // checkpoint path or name, for display
  std::string config_json;         // the full resolved configuration of this run
  std::string git_commit;
  std::string library_versions_json;
  std::string device;
  std::string started_at;   // set by the store (UTC, ISO 8601) on first AddRun
  std::string finished_at;  // set by MarkRunFinished; empty while running
};

struct SampleRecord {
  std::string dataset;    // the dataset's label in the sweep
  std::string sample_id;  // unique within the dataset
  std::int64_t sample_index = 0;   // order within the dataset (JSONL and report order)
  std::int64_t prompt_tokens = 0;  // after truncation to the context limit
  std::string prompt_hash;         // hash of the prompt text: same key, same prompt
  std::string references_json;     // JSON array of reference answers
  std::string metadata_json;       // JSON object: length, depth, task, all_classes, ...
};

struct MetricScore {
  std::string metric;
  double value = 0.0;  // as the scorer returns it (LongBench scorers: 0..1)
  bool higher_is_better = true;
};

struct SampleTimings {
  double prefill_ms = 0.0;
  double decode_ms_per_token = 0.0;
  double end_to_end_ms = 0.0;
  std::int64_t new_tokens = 0;
};

struct SampleMemory {
  std::int64_t peak_bytes = 0;     // peak device bytes during the sample
  std::int64_t kv_bytes_kept = 0;  // KV cache bytes held after prefill
  std::int64_t kv_bytes_full = 0;  // what the full cache would hold
  std::int64_t tokens_kept = 0;    // summed over layers and segments
  std::int64_t tokens_full = 0;
};

struct ResultRecord {
  std::string run_id;
  SampleRecord sample;
  std::string prediction;
  bool failed = false;
  std::string error;  // why, when failed
  SampleTimings timings;
  SampleMemory memory;
  std::vector<MetricScore> scores;
};

// One stored result with its run's name, as reports read them.
struct StoredResult {
  std::string run_id;
  ResultRecord result;
};

// One invocation of `kvbench run` (or merge) against this store.
struct SessionRecord {
  std::string command;
  std::string git_commit;
  std::string library_versions_json;
  std::string device;
  std::string shard;  // "i/n" or empty
};

class ResultsStore {
 public:
  // Opens <path> (creating it and its tables when missing) for reading and writing.
  static ResultsStore Open(const std::filesystem::path& db_path);
  // Opens an existing store read-only (reports, compare); an error names a missing path.
  static ResultsStore OpenReadOnly(const std::filesystem::path& db_path);
  // <output>/results.db for an output directory, or the path itself when it is a file.
  static std::filesystem::path DatabasePath(const std::filesystem::path& output);

  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;
  ~ResultsStore();

  // Inserts the run, or checks that a stored run of the same name has the same id.
  void AddRun(const RunRecord& run);
  void MarkRunFinished(const std::string& run_id);

  // (dataset, sample_id) pairs with a successful result for this run: what a resumed
  // sweep skips. Failed results are retried and replaced.
  std::set<std::pair<std::string, std::string>> CompletedSamples(const std::string& run_id) const;

  // Writes one result (and its sample row) in one transaction.
  void WriteResult(const ResultRecord& result);

  std::int64_t BeginSession(const SessionRecord& session);
  void EndSession(std::int64_t session_id);

  std::vector<RunRecord> Runs() const;
  std::optional<RunRecord> FindRun(const std::string& run_id) const;
  // Every result, ordered by run name, dataset, sample index.
  std::vector<StoredResult> Results() const;

  // Copies every run, sample and result of `other` into this store in one transaction.
  // Idempotent. Refuses (kvb::ConfigError, nothing written) a run name bound to another
  // config hash, a sample key with another prompt, or a (run, sample) whose successful
  // predictions differ. Returns the number of results added or replaced.
  std::int64_t MergeFrom(const ResultsStore& other);

  const std::filesystem::path& path() const;

 private:
  explicit ResultsStore(std::unique_ptr<SqliteDb> db);
  void CreateSchema();
  void CheckSchemaVersion() const;
  void UpsertSample(const SampleRecord& sample);
  void InsertResult(const ResultRecord& result);

  std::unique_ptr<SqliteDb> db_;
};

// A hex digest (64-bit FNV-1a, twice with different seeds) of a string: run ids and
// prompt hashes. Stable across platforms and versions; not cryptographic.
std::string StableHash(const std::string& text);

// The current UTC time as 2026-01-31T12:00:00Z.
std::string UtcNow();

}  // namespace kvb
