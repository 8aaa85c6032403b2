#include "store/results_store.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "store/sqlite_db.h"
#include "util/error.h"

namespace kvb {
namespace {

// Bump when a table changes shape; an old store then gets a clear error instead of a
// silent misread (and is never rewritten).
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  method TEXT NOT NULL,
  method_params TEXT NOT NULL,
  budget INTEGER NOT NULL,
  model TEXT NOT NULL,
  config TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  library_versions TEXT NOT NULL,
  device TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS samples (
  dataset TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  prompt_hash TEXT NOT NULL,
  references_json TEXT NOT NULL,
  metadata TEXT NOT NULL,
  PRIMARY KEY (dataset, sample_id));
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  dataset TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  prediction TEXT NOT NULL,
  failed INTEGER NOT NULL,
  error TEXT NOT NULL,
  prefill_ms REAL NOT NULL,
  decode_ms_per_token REAL NOT NULL,
  end_to_end_ms REAL NOT NULL,
  new_tokens INTEGER NOT NULL,
  peak_bytes INTEGER NOT NULL,
  kv_bytes_kept INTEGER NOT NULL,
  kv_bytes_full INTEGER NOT NULL,
  tokens_kept INTEGER NOT NULL,
  tokens_full INTEGER NOT NULL,
  written_at TEXT NOT NULL,
  PRIMARY KEY (run_id, dataset, sample_id),
  FOREIGN KEY (dataset, sample_id) REFERENCES samples(dataset, sample_id));
CREATE TABLE IF NOT EXISTS scores (
  run_id TEXT NOT NULL,
  dataset TEXT NOT NULL,
  sample_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL NOT NULL,
  higher_is_better INTEGER NOT NULL,
  PRIMARY KEY (run_id, dataset, sample_id, metric),
  FOREIGN KEY (run_id, dataset, sample_id) REFERENCES results(run_id, dataset, sample_id)
    ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS sessions (
  session_id INTEGER PRIMARY KEY AUTOINCREMENT,
  command TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  library_versions TEXT NOT NULL,
  device TEXT NOT NULL,
  shard TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '');
)sql";

constexpr const char* kRunColumns =
    "run_id, name, method, method_params, budget, model, config, git_commit, "
    "library_versions, device, started_at, finished_at";

RunRecord ReadRun(const SqliteStatement& row) {
  RunRecord run;
  run.run_id = row.Text(0);
  run.name = row.Text(1);
  run.method = row.Text(2);
  run.method_params_json = row.Text(3);
  run.budget = row.Int(4);
  run.model = row.Text(5);
  run.config_json = row.Text(6);
  run.git_commit = row.Text(7);
  run.library_versions_json = row.Text(8);
  run.device = row.Text(9);
  run.started_at = row.Text(10);
  run.finished_at = row.Text(11);
  return run;
}

std::uint64_t Fnv1a(const std::string& text, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string StableHash(const std::string& text) {
  char buffer[33];
  std::snprintf(buffer, sizeof(buffer), "%016llx%016llx",
                static_cast<unsigned long long>(Fnv1a(text, 14695981039346656037ULL)),
                static_cast<unsigned long long>(Fnv1a(text, 0x9e3779b97f4a7c15ULL)));
  return buffer;
}

std::string UtcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

ResultsStore::ResultsStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;
ResultsStore::~ResultsStore() = default;

std::filesystem::path ResultsStore::DatabasePath(const std::filesystem::path& output) {
  if (std::filesystem::is_directory(output) || output.extension() != ".db") {
    return output / "results.db";
  }
  return output;
}

ResultsStore ResultsStore::Open(const std::filesystem::path& db_path) {
  if (db_path.has_parent_path()) std::filesystem::create_directories(db_path.parent_path());
  ResultsStore store(std::make_unique<SqliteDb>(db_path, SqliteDb::Mode::kReadWrite));
  // WAL: readers (a report during a sweep) never block the writer, and a commit is one
  // append to the log, which survives SIGKILL of the writer.
  store.db_->Exec("PRAGMA journal_mode=WAL");
  store.db_->Exec("PRAGMA synchronous=NORMAL");
  store.db_->Exec("PRAGMA foreign_keys=ON");
  store.CreateSchema();
  store.CheckSchemaVersion();
  return store;
}

ResultsStore ResultsStore::OpenReadOnly(const std::filesystem::path& db_path) {
  if (!std::filesystem::exists(db_path)) {
    throw Error(StrCat(db_path.string(), ": no results store here (expected a results.db "
                                         "written by `kvbench run`)"));
  }
  ResultsStore store(std::make_unique<SqliteDb>(db_path, SqliteDb::Mode::kReadOnly));
  store.CheckSchemaVersion();
  return store;
}

const std::filesystem::path& ResultsStore::path() const { return db_->path(); }

void ResultsStore::CreateSchema() {
  SqliteTransaction transaction(*db_);
  db_->Exec(kSchema);
  SqliteStatement insert(*db_, "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)");
  insert.Bind(1, std::to_string(kSchemaVersion)).Run();
  transaction.Commit();
}

void ResultsStore::CheckSchemaVersion() const {
  SqliteStatement query(*db_, "SELECT value FROM meta WHERE key = 'schema_version'");
  const std::string found = query.Step() ? query.Text(0) : "";
  if (found != std::to_string(kSchemaVersion)) {
    throw Error(StrCat(db_->path().string(), ": results store schema version '", found,
                       "', this kvbench reads version ", kSchemaVersion));
  }
}

std::optional<RunRecord> ResultsStore::FindRun(const std::string& run_id) const {
  SqliteStatement query(*db_, StrCat("SELECT ", kRunColumns, " FROM runs WHERE run_id = ?"));
  query.Bind(1, run_id);
  if (!query.Step()) return std::nullopt;
  return ReadRun(query);
}

void ResultsStore::AddRun(const RunRecord& run) {
  SqliteTransaction transaction(*db_);
  SqliteStatement by_name(*db_, "SELECT run_id, config FROM runs WHERE name = ?");
  by_name.Bind(1, run.name);
  if (by_name.Step()) {
    if (by_name.Text(0) != run.run_id) {
      throw ConfigError(StrCat(
          db_->path().string(), ": run '", run.name, "' is stored with config hash ",
          by_name.Text(0), " but this sweep gives it ", run.run_id,
          " (its configuration changed); write to a new output directory"));
    }
    return;  // already there: resume
  }
  SqliteStatement insert(*db_, StrCat("INSERT INTO runs (", kRunColumns,
                                      ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  insert.Bind(1, run.run_id).Bind(2, run.name).Bind(3, run.method).Bind(4, run.method_params_json);
  insert.Bind(5, run.budget).Bind(6, run.model).Bind(7, run.config_json).Bind(8, run.git_commit);
  insert.Bind(9, run.library_versions_json).Bind(10, run.device);
  insert.Bind(11, run.started_at.empty() ? UtcNow() : run.started_at).Bind(12, run.finished_at);
  insert.Run();
  transaction.Commit();
}

void ResultsStore::MarkRunFinished(const std::string& run_id) {
  SqliteStatement update(*db_, "UPDATE runs SET finished_at = ? WHERE run_id = ?");
  update.Bind(1, UtcNow()).Bind(2, run_id).Run();
}

std::set<std::pair<std::string, std::string>> ResultsStore::CompletedSamples(
    const std::string& run_id) const {
  SqliteStatement query(*db_,
                        "SELECT dataset, sample_id FROM results WHERE run_id = ? AND failed = 0");
  query.Bind(1, run_id);
  std::set<std::pair<std::string, std::string>> done;
  while (query.Step()) done.emplace(query.Text(0), query.Text(1));
  return done;
}

void ResultsStore::UpsertSample(const SampleRecord& sample) {
  SqliteStatement existing(*db_,
                           "SELECT prompt_hash FROM samples WHERE dataset = ? AND sample_id = ?");
  existing.Bind(1, sample.dataset).Bind(2, sample.sample_id);
  if (existing.Step()) {
    if (existing.Text(0) != sample.prompt_hash) {
      throw ConfigError(StrCat(db_->path().string(), ": sample ", sample.dataset, "/",
                               sample.sample_id, " is stored with another prompt (hash ",
                               existing.Text(0), " vs ", sample.prompt_hash,
                               "): dataset options, data or seed differ; use a new output"));
    }
    return;
  }
  SqliteStatement insert(*db_,
                         "INSERT INTO samples (dataset, sample_id, sample_index, prompt_tokens, "
                         "prompt_hash, references_json, metadata) VALUES (?,?,?,?,?,?,?)");
  insert.Bind(1, sample.dataset).Bind(2, sample.sample_id).Bind(3, sample.sample_index);
  insert.Bind(4, sample.prompt_tokens).Bind(5, sample.prompt_hash);
  insert.Bind(6, sample.references_json.empty() ? std::string("[]") : sample.references_json);
  insert.Bind(7, sample.metadata_json.empty() ? std::string("{}") : sample.metadata_json);
  insert.Run();
}

void ResultsStore::InsertResult(const ResultRecord& result) {
  const SampleRecord& sample = result.sample;
  SqliteStatement remove_scores(
      *db_, "DELETE FROM scores WHERE run_id = ? AND dataset = ? AND sample_id = ?");
  remove_scores.Bind(1, result.run_id).Bind(2, sample.dataset).Bind(3, sample.sample_id).Run();
  SqliteStatement remove(*db_,
                         "DELETE FROM results WHERE run_id = ? AND dataset = ? AND sample_id = ?");
  remove.Bind(1, result.run_id).Bind(2, sample.dataset).Bind(3, sample.sample_id).Run();
  SqliteStatement insert(
      *db_,
      "INSERT INTO results (run_id, dataset, sample_id, prediction, failed, error, prefill_ms, "
      "decode_ms_per_token, end_to_end_ms, new_tokens, peak_bytes, kv_bytes_kept, kv_bytes_full, "
      "tokens_kept, tokens_full, written_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert.Bind(1, result.run_id).Bind(2, sample.dataset).Bind(3, sample.sample_id);
  insert.Bind(4, result.prediction).Bind(5, std::int64_t{result.failed}).Bind(6, result.error);
  insert.Bind(7, result.timings.prefill_ms).Bind(8, result.timings.decode_ms_per_token);
  insert.Bind(9, result.timings.end_to_end_ms).Bind(10, result.timings.new_tokens);
  insert.Bind(11, result.memory.peak_bytes).Bind(12, result.memory.kv_bytes_kept);
  insert.Bind(13, result.memory.kv_bytes_full).Bind(14, result.memory.tokens_kept);
  insert.Bind(15, result.memory.tokens_full).Bind(16, UtcNow());
  insert.Run();
  SqliteStatement score(*db_,
                        "INSERT INTO scores (run_id, dataset, sample_id, metric, value, "
                        "higher_is_better) VALUES (?,?,?,?,?,?)");
  for (const MetricScore& s : result.scores) {
    score.Bind(1, result.run_id).Bind(2, sample.dataset).Bind(3, sample.sample_id);
    score.Bind(4, s.metric).Bind(5, s.value).Bind(6, std::int64_t{s.higher_is_better});
    score.Run();
  }
}

void ResultsStore::WriteResult(const ResultRecord& result) {
  KVB_CHECK(FindRun(result.run_id).has_value(), "WriteResult before AddRun: ", result.run_id);
  SqliteTransaction transaction(*db_);
  UpsertSample(result.sample);
  InsertResult(result);
  transaction.Commit();
}

std::int64_t ResultsStore::BeginSession(const SessionRecord& session) {
  SqliteStatement insert(*db_,
                         "INSERT INTO sessions (command, git_commit, library_versions, device, "
                         "shard, started_at) VALUES (?,?,?,?,?,?)");
  insert.Bind(1, session.command).Bind(2, session.git_commit);
  insert.Bind(3, session.library_versions_json).Bind(4, session.device).Bind(5, session.shard);
  insert.Bind(6, UtcNow()).Run();
  SqliteStatement id(*db_, "SELECT last_insert_rowid()");
  id.Step();
  return id.Int(0);
}

void ResultsStore::EndSession(std::int64_t session_id) {
  SqliteStatement update(*db_, "UPDATE sessions SET finished_at = ? WHERE session_id = ?");
  update.Bind(1, UtcNow()).Bind(2, session_id).Run();
}

std::vector<RunRecord> ResultsStore::Runs() const {
  SqliteStatement query(*db_, StrCat("SELECT ", kRunColumns, " FROM runs ORDER BY name"));
  std::vector<RunRecord> runs;
  while (query.Step()) runs.push_back(ReadRun(query));
  return runs;
}

std::vector<StoredResult> ResultsStore::Results() const {
  SqliteStatement query(
      *db_,
      "SELECT r.run_id, r.dataset, r.sample_id, s.sample_index, s.prompt_tokens, s.prompt_hash, "
      "s.references_json, s.metadata, r.prediction, r.failed, r.error, r.prefill_ms, "
      "r.decode_ms_per_token, r.end_to_end_ms, r.new_tokens, r.peak_bytes, r.kv_bytes_kept, "
      "r.kv_bytes_full, r.tokens_kept, r.tokens_full "
      "FROM results r JOIN samples s USING (dataset, sample_id) JOIN runs u USING (run_id) "
      "ORDER BY u.name, r.dataset, s.sample_index, r.sample_id");
  std::vector<StoredResult> rows;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
  while (query.Step()) {
    StoredResult row;
    row.run_id = query.Text(0);
    ResultRecord& r = row.result;
    r.run_id = row.run_id;
    r.sample.dataset = query.Text(1);
    r.sample.sample_id = query.Text(2);
    r.sample.sample_index = query.Int(3);
    r.sample.prompt_tokens = query.Int(4);
    r.sample.prompt_hash = query.Text(5);
    r.sample.references_json = query.Text(6);
    r.sample.metadata_json = query.Text(7);
    r.prediction = query.Text(8);
    r.failed = query.Int(9) != 0;
    r.error = query.Text(10);
    r.timings = {query.Real(11), query.Real(12), query.Real(13), query.Int(14)};
    r.memory = {query.Int(15), query.Int(16), query.Int(17), query.Int(18), query.Int(19)};
    index[{row.run_id, r.sample.dataset, r.sample.sample_id}] = rows.size();
    rows.push_back(std::move(row));
  }
  SqliteStatement scores(*db_,
                         "SELECT run_id, dataset, sample_id, metric, value, higher_is_better "
                         "FROM scores ORDER BY metric");
  while (scores.Step()) {
    auto it = index.find({scores.Text(0), scores.Text(1), scores.Text(2)});
    if (it == index.end()) continue;
    rows[it->second].result.scores.push_back(
        {scores.Text(3), scores.Real(4), scores.Int(5) != 0});
  }
  return rows;
}

std::int64_t ResultsStore::MergeFrom(const ResultsStore& other) {
  const std::vector<RunRecord> runs = other.Runs();
  const std::vector<StoredResult> results = other.Results();
  SqliteTransaction transaction(*db_);
  for (const RunRecord& run : runs) {
    SqliteStatement by_name(*db_, "SELECT run_id FROM runs WHERE name = ?");
    by_name.Bind(1, run.name);
    if (by_name.Step()) {
      if (by_name.Text(0) != run.run_id) {
        throw ConfigError(StrCat("cannot merge ", other.path().string(), " into ",
                                 db_->path().string(), ": run '", run.name,
                                 "' has config hash ", run.run_id, " there and ",
                                 by_name.Text(0), " here (incompatible configs)"));
      }
      continue;
    }
    SqliteStatement insert(*db_, StrCat("INSERT INTO runs (", kRunColumns,
                                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
    insert.Bind(1, run.run_id).Bind(2, run.name).Bind(3, run.method);
    insert.Bind(4, run.method_params_json).Bind(5, run.budget).Bind(6, run.model);
    insert.Bind(7, run.config_json).Bind(8, run.git_commit).Bind(9, run.library_versions_json);
    insert.Bind(10, run.device).Bind(11, run.started_at).Bind(12, run.finished_at);
    insert.Run();
  }
  std::int64_t written = 0;
  for (const StoredResult& row : results) {
    const ResultRecord& incoming = row.result;
    UpsertSample(incoming.sample);
    SqliteStatement existing(*db_,
                             "SELECT failed, prediction FROM results WHERE run_id = ? AND "
                             "dataset = ? AND sample_id = ?");
    existing.Bind(1, incoming.run_id).Bind(2, incoming.sample.dataset);
    existing.Bind(3, incoming.sample.sample_id);
    if (existing.Step()) {
      const bool here_failed = existing.Int(0) != 0;
      if (!here_failed && !incoming.failed && existing.Text(1) != incoming.prediction) {
        throw ConfigError(StrCat("cannot merge ", other.path().string(), ": run ",
                                 incoming.run_id, " sample ", incoming.sample.dataset, "/",
                                 incoming.sample.sample_id,
                                 " has a different prediction in each store"));
      }
      // Keep a success over a failure; equal rows are skipped (idempotent).
      if (!here_failed || incoming.failed) continue;
    }
    InsertResult(incoming);
    ++written;
  }
  transaction.Commit();
  return written;
}

}  // namespace kvb
