// StarRocks loader: parts of a batch, their bodies, labels, retries.
#include "actors/sinks/starrocks/starrocks_loader.hpp"

#include <lz4frame.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <deque>
#include <map>
#include <thread>

#include "actors/sinks/starrocks/starrocks_committer.hpp"
#include "actors/source/source_row_reader.hpp"
#include "codecs/pgoutput/lsn.hpp"

namespace pg2sr::actors {

namespace sr = codecs::starrocks;
namespace sl = codecs::stream_load;
using codecs::pgoutput::value_kind;
using self_ptr = loader_actor::stateful_pointer<starrocks_loader_state>;

namespace {

// A load failure that stops the pipeline; the message says what and how to fix it.
struct load_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The batch relation's columns as the target knows them; a column the stream added but the
// target lacks stops the load with the ALTER TABLE to run (the row would lose it silently).
sr::table_encoding encoding_for(const relation_schema& rel, const starrocks_target& target,
                                const starrocks_loader_settings& settings) {
  sr::table_encoding enc;
  std::vector<std::string> missing;
  const auto& names = target.columns.names;
  for (const auto& column : rel.columns) {
    auto it = std::find(names.begin(), names.end(), column.name);
    if (it != names.end()) {
      enc.names.push_back(column.name);
      enc.columns.push_back(target.columns.columns[static_cast<std::size_t>(it - names.begin())]);
      continue;
    }
    missing.push_back(settings.add_column_sql ? settings.add_column_sql(target, column)
                                              : "-- column `" + column.name + "` (type oid " +
                                                    std::to_string(column.type_oid) + ")");
  }
  if (!missing.empty()) {
    std::string sql;
    for (const auto& m : missing) sql += "\n  " + (m.back() == '\n' ? m.substr(0, m.size() - 1) : m);
    throw load_error(rel.qualified_name() + " has " + std::to_string(missing.size()) +
                     " column(s) the StarRocks table lacks (added to the source while streaming); run" + sql +
                     "\nthen start pg2sr again: the rows since the last checkpoint are loaded again");
  }
  return enc;
}

// Compresses `body` into `out` as the `compression` header says; returns that header value.
const char* compress(config::compression kind, const std::string& body, std::string& out) {
  switch (kind) {
    case config::compression::none:
      return nullptr;
    case config::compression::lz4: {
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.contentSize = body.size();
      out.resize(LZ4F_compressFrameBound(body.size(), &prefs));
      std::size_t n = LZ4F_compressFrame(out.data(), out.size(), body.data(), body.size(), &prefs);
      if (LZ4F_isError(n)) throw load_error(std::string("LZ4 compression failed: ") + LZ4F_getErrorName(n));
      out.resize(n);
      return "LZ4_FRAME";
    }
    case config::compression::gzip: {
      z_stream z{};
      if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw load_error("gzip compression cannot start");
      out.resize(deflateBound(&z, body.size()));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
      z.avail_in = static_cast<uInt>(body.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int rc = deflate(&z, Z_FINISH);
      out.resize(z.total_out);
      deflateEnd(&z);
      if (rc != Z_STREAM_END) throw load_error("gzip compression failed");
      return "GZIP";
    }
  }
  return nullptr;
}

// Sends one part until StarRocks holds it (or it cannot). Same label on every attempt.
void send_part(self_ptr self, const starrocks_loader_settings& settings, pipeline_metrics* metrics,
               const starrocks_target& target, const std::string& label, const http_headers& headers,
               std::string_view body, const std::string& source_name) {
  auto& client = *self->state.client;
  auto backoff = settings.first_backoff;
  for (int attempt = 1;; ++attempt) {
    sl::response r = client.load(target.db, target.name, label, headers, body);
    metrics->load_bytes.fetch_add(body.size(), std::memory_order_relaxed);
    sl::outcome what = sl::classify(r);
    if (what == sl::outcome::poll) {
      // Another attempt under this label is still running (e.g. our dropped connection):
      // its transaction decides; ABORTED frees the label for a new attempt.
      auto deadline = std::chrono::steady_clock::now() + settings.http.load_timeout;
      while (what == sl::outcome::poll && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::string error;
        std::string state = client.load_state(target.db, label, error);
        if (!error.empty()) {
          spdlog::warn("{}: label {}: {}", source_name, label, error);
          continue;
        }
        what = sl::classify_load_state(state);
        r.message = "get_load_state says " + state;
      }
      if (what == sl::outcome::poll) r.message = "label " + label + " still running after the load timeout";
    }
    if (what == sl::outcome::loaded) return;
    if (what == sl::outcome::fatal || attempt >= settings.max_attempts) {
      std::string hint;
      if (r.http_status == 401) hint = "; check sink.user and the password";
      else if (r.message.find("unknown table") != std::string::npos || r.message.find("Unknown table") != std::string::npos)
        hint = "; create it (pg2sr ddl -c FILE prints the statements)";
      throw load_error("Stream Load of " + source_name + " into " + target.db + "." + target.name + " (label " + label +
                       ") failed" + (attempt > 1 ? " after " + std::to_string(attempt) + " attempts" : "") + ": " +
                       sl::describe(r) + hint);
    }
    metrics->load_retries.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("Stream Load of {} (label {}): {}; sending it again in {} ms", source_name, label, sl::describe(r),
                 backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
  }
}

// Exactly once (Duplicate Key tables): begin, load, prepare under the label; the
// checkpoint records it and has it committed. The label goes to the journal first, so a
// crash before the record leaves nothing a restart cannot roll back. Returns nothing when
// an earlier run already committed this very content.
std::optional<prepared_load> prepare_part(self_ptr self, const starrocks_loader_settings& settings,
                                          pipeline_metrics* metrics, const starrocks_target& target,
                                          const std::string& label, const http_headers& headers, std::string_view body,
                                          const std::string& source_name) {
  auto& client = *self->state.client;
  settings.journal->append({target.db, target.name, label});
  auto backoff = settings.first_backoff;
  for (int attempt = 1;; ++attempt) {
    sl::response r = client.transaction("begin", target.db, target.name, label);
    if (r.status == "LABEL_ALREADY_EXISTS") {
      std::string error;
      std::string state = client.load_state(target.db, label, error);
      if (sl::classify_load_state(state) == sl::outcome::loaded) return std::nullopt;
      roll_back_label(client, target.db, target.name, label);  // a leftover of ours: start over
      r.message = "label held by a transaction in state " + state + (error.empty() ? "" : " (" + error + ")");
    } else if (r.status == "OK") {
      r = client.transaction("load", target.db, target.name, label, headers, body);
      metrics->load_bytes.fetch_add(body.size(), std::memory_order_relaxed);
      if (r.status == "OK") r = client.transaction("prepare", target.db, target.name, label);
      if (r.status == "OK") return prepared_load{target.db, target.name, label, 0, 0, 0};
      roll_back_label(client, target.db, target.name, label);
    }
    bool retryable = (r.http_status == 0 && !r.certificate_failure) || r.http_status >= 500 || r.status == "LABEL_ALREADY_EXISTS" ||
                     r.status == "TXN_IN_PROCESSING" || (r.status != "ANALYSIS_ERROR" && r.http_status == 200 &&
                                                         r.message.find("too many filtered rows") == std::string::npos);
    if (!retryable || attempt >= settings.max_attempts)
      throw load_error("2PC load of " + source_name + " into " + target.db + "." + target.name + " (label " + label +
                       ") failed" + (attempt > 1 ? " after " + std::to_string(attempt) + " attempts" : "") + ": " +
                       sl::describe(r));
    metrics->load_retries.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("2PC load of {} (label {}): {}; again in {} ms", source_name, label, sl::describe(r), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
  }
}

// One part: rows with the same set of columns.
struct part {
  std::vector<std::size_t> columns;
  std::vector<sr::encoded_row> rows;
  bool partial = false;
};

// Splits the batch: whole rows together, partial updates by their set of present columns.
std::vector<part> parts_of(const load_batch& batch, const std::vector<load_row>& rows, const starrocks_target& target,
                           std::uint64_t& skipped_deletes) {
  const std::size_t width = batch.relation->columns.size();
  part whole;
  for (std::size_t i = 0; i < width; ++i) whole.columns.push_back(i);
  std::map<std::vector<std::size_t>, part> partial;
  for (const auto& row : rows) {
    bool is_delete = row.op == row_op::delete_row;
    if (is_delete && !target.primary_key) {
      ++skipped_deletes;  // a Duplicate Key table only appends
      continue;
    }
    if (is_delete || !row.partial()) {
      whole.rows.push_back({row.values, row.count, is_delete});
      continue;
    }
    std::vector<std::size_t> present;
    for (std::size_t i = 0; i < row.count && i < width; ++i)
      if (row.values[i].kind != value_kind::unchanged_toast) present.push_back(i);
    auto& p = partial[present];
    p.columns = present;
    p.partial = true;
    p.rows.push_back({row.values, row.count, false});
  }
  std::vector<part> out;
  if (!whole.rows.empty()) out.push_back(std::move(whole));
  for (auto& [columns, p] : partial) out.push_back(std::move(p));
  return out;
}

// Values of rows read again from the source; stable addresses for the rows' views.
struct reread_rows {
  std::deque<std::string> text;
  std::deque<std::vector<column_value>> values;
};

// The row under `row`'s key as the source holds it now (source_row_reader): false when it
// is gone; kept partial, with a warning, when it cannot be read.
bool read_again(self_ptr self, const starrocks_loader_settings& settings, const relation_schema& rel, load_row& row,
                reread_rows& store) {
  std::vector<std::string> key;
  std::string why = settings.source_conninfo.empty() ? "no source" : "";
  for (auto k : rel.key_columns)
    if (row.values[k].kind == value_kind::text) key.emplace_back(row.values[k].data);
    else why = "key column " + rel.columns[k].name + " is not text";
  std::vector<std::optional<std::string>> found;
  auto outcome = source_row_reader::outcome::unreadable;
  if (why.empty()) {
    if (!self->state.source) self->state.source = std::make_unique<source_row_reader>(settings.source_conninfo);
    auto deadline = std::chrono::steady_clock::now() + settings.http.load_timeout;
    // The source may be shutting down, and its shutdown waits for this pipeline to confirm
    // what it was sent: waiting here for the source would hold both. A blip is tried once
    // more; then the pipeline stops, nothing confirmed past this batch, and the next start
    // replays it.
    for (int attempt = 1;; ++attempt) {
      try {
        outcome = self->state.source->read(rel, key, row.xid, deadline, found, why);
        break;
      } catch (const pg_error& e) {
        if (attempt == 2)
          throw load_error(rel.qualified_name() + ": the source is out of reach to read again a row moved with "
                           "unchanged TOAST values (" + e.what() + "); stopping, the next start replays it");
        std::this_thread::sleep_for(settings.first_backoff);
      }
    }
  }
  if (outcome == source_row_reader::outcome::gone) return false;
  if (outcome == source_row_reader::outcome::unreadable) {
    spdlog::warn("{}: a row whose key changed with unchanged TOAST values cannot be read again ({}): loaded without "
                 "them", rel.qualified_name(), why);
    return true;
  }
  auto& values = store.values.emplace_back();
  for (const auto& v : found) {
    if (!v) values.push_back({value_kind::null, {}});
    else values.push_back({value_kind::text, store.text.emplace_back(*v)});
  }
  row.values = values.data();
  row.count = static_cast<std::uint32_t>(values.size());
  row.moved = false;
  return true;
}

// The batch's rows, with every moved partial row read again whole from the source.
const std::vector<load_row>& complete_moved_rows(self_ptr self, const starrocks_loader_settings& settings,
                                                 const load_batch& batch, std::vector<load_row>& completed,
                                                 reread_rows& store) {
  if (std::none_of(batch.rows.begin(), batch.rows.end(), [](const load_row& r) { return r.moved; }))
    return batch.rows;
  for (const auto& row : batch.rows) {
    if (!row.moved) {
      completed.push_back(row);
      continue;
    }
    load_row whole = row;
    if (read_again(self, settings, *batch.relation, whole, store)) completed.push_back(whole);
  }
  return completed;
}

// A target named and typed after the relation itself (built-in types only).
starrocks_target derived_target(const relation_schema& rel, const starrocks_loader_settings& settings) {
  starrocks_target target{settings.derive_targets_in, rel.relname, !rel.key_columns.empty(), {}};
  for (const auto& column : rel.columns) {
    auto mapped = sr::map_type({column.type_oid, column.typmod, "oid " + std::to_string(column.type_oid)}, settings.mapping);
    if (auto* error = std::get_if<sr::mapping_error>(&mapped))
      throw load_error(rel.qualified_name() + "." + column.name + ": " + error->message);
    target.columns.names.push_back(column.name);
    target.columns.columns.push_back(std::get<sr::column_mapping>(std::move(mapped)));
  }
  return target;
}

std::vector<prepared_load> load(self_ptr self, const starrocks_loader_settings& settings, pipeline_metrics* metrics,
                                const load_batch& batch) {
  const std::string source_name = batch.relation->qualified_name();
  auto it = settings.targets->find(batch.relid);
  std::optional<starrocks_target> derived;
  if (it == settings.targets->end()) {
    if (settings.derive_targets_in.empty()) throw load_error(source_name + " has no StarRocks table in this run");
    derived = derived_target(*batch.relation, settings);
  }
  const starrocks_target& target = derived ? *derived : it->second;
  if (batch.truncate_first)
    spdlog::error("{}: TRUNCATE cannot be applied through Stream Load; run TRUNCATE TABLE `{}`.`{}` in StarRocks "
                  "(the rows loaded after it are kept)", source_name, target.db, target.name);
  sr::table_encoding enc = encoding_for(*batch.relation, target, settings);
  std::uint64_t skipped_deletes = 0;
  std::vector<load_row> completed;
  reread_rows store;
  auto parts = parts_of(batch, complete_moved_rows(self, settings, batch, completed, store), target, skipped_deletes);
  if (skipped_deletes > 0)
    spdlog::warn("{}: {} delete(s) not applied: {}.{} is a Duplicate Key table (append only)", source_name,
                 skipped_deletes, target.db, target.name);
  auto& body = self->state.body;
  std::vector<prepared_load> prepared;
  for (std::size_t n = 0; n < parts.size(); ++n) {
    const part& p = parts[n];
    body.clear();
    http_headers headers;
    std::optional<sr::encode_error> error;
    std::string columns = sr::columns_header(enc, p.columns, target.primary_key && !p.partial);
    if (settings.format == config::row_format::json) {
      error = sr::append_json_rows(enc, p.columns, p.rows, target.primary_key && !p.partial, body);
      headers = {{"format", "json"}, {"strip_outer_array", "true"}, {"ignore_json_size", "true"}};
    } else {
      error = sr::append_csv_rows(enc, p.columns, p.rows, target.primary_key && !p.partial, body);
      headers = {{"format", "csv"}};
      for (auto& h : sr::csv_headers()) headers.push_back(h);
    }
    if (error) throw load_error(source_name + ": " + error->message);
    headers.emplace_back("columns", columns);
    if (p.partial) headers.emplace_back("partial_update", "true");
    std::string_view sent = body;
    if (const char* name = compress(settings.compression, body, self->state.compressed)) {
      headers.emplace_back("compression", name);
      sent = self->state.compressed;
    }
    sl::load_identity identity{settings.pipeline, settings.run,     target.db,      target.name,
                               columns,           p.partial,        batch.first_lsn, batch.last_lsn,
                               static_cast<unsigned>(n)};
    std::string label = sl::label(identity, sl::content_hash(body));
    if (!settings.exactly_once || target.primary_key) {
      if (settings.in_flight) settings.in_flight->append({target.db, target.name, label});
      send_part(self, settings, metrics, target, label, headers, sent, source_name);
      if (settings.in_flight) settings.in_flight->remove({{target.db, target.name, label}});
    } else if (auto ready = prepare_part(self, settings, metrics, target, label, headers, sent, source_name)) {
      for (const auto& row : batch.rows) ready->commit_lsn = std::max<std::uint64_t>(ready->commit_lsn, row.commit_lsn);
      ready->relid = batch.relid;
      ready->first_position = batch.first_position;
      ready->last_position = batch.last_position;
      ready->chunks = batch.chunks;
      prepared.push_back(std::move(*ready));
    }
  }
  return prepared;
}

}  // namespace

loader_actor::behavior_type starrocks_loader(self_ptr self, starrocks_loader_settings settings,
                                             pipeline_metrics* metrics) {
  self->state.client = std::make_unique<stream_load_client>(settings.http);
  return {
      [=](load_request& req) -> caf::result<load_ack> {
        std::vector<prepared_load> prepared;
        try {
          prepared = load(self, settings, metrics, *req.batch);
        } catch (const std::exception& e) {
          return make_pipeline_error(pipeline_errc::load_failed, e.what());
        }
        return load_ack{req.batch->id, req.batch->relid, req.batch->rows.size(), std::move(prepared)};
      },
  };
}

}  // namespace pg2sr::actors
