// Chunk reader: watermark, COPY, watermark; rows streamed to the watermark actor.
#include "actors/snapshot/chunk_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "actors/snapshot/listed_rows.hpp"
#include "actors/snapshot/resync_keys.hpp"
#include "actors/snapshot/watermark.hpp"
#include "codecs/values/copy_text.hpp"
#include "codecs/values/pg_snapshot.hpp"

namespace pg2sr::actors {

using codecs::pgoutput::change_batch;
using self_ptr = chunk_reader_actor::stateful_pointer<chunk_reader_state>;

namespace {

// A transactional message in its own autocommit statement, committed with
// synchronous_commit = on: the commit flushes the WAL, so the walsender sends the watermark
// at once (a non-transactional one waits for the WAL writer, up to wal_writer_delay). It
// sits in the stream at its commit, which is all DBLog needs: every change committed after
// it comes after it.
void emit_watermark(pg_connection& conn, char kind, const std::string& id) {
  conn.exec(std::string("SELECT pg_logical_emit_message(true, '") + watermark_prefix + "', " +
            quote_literal(conn.get(), std::string(1, kind) + ":" + id) + ")");
}

using batch_ptr = std::shared_ptr<change_batch>;

// Runs `sql` (a COPY ... TO STDOUT of the task's columns), appending its rows to `batch`,
// which goes to the watermark each time it holds rows_per_message rows. Returns the rows.
std::uint64_t copy_rows(self_ptr self, pg_connection& connection, const chunk_task& task,
                        const chunk_reader_settings& settings, const watermark_actor& watermark, const std::string& sql,
                        batch_ptr& batch, const std::function<batch_ptr()>& fresh_batch) {
  PGconn* conn = connection.get();
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_COPY_OUT) pg_connection::check_result(conn, res);
  PQclear(res);
  codecs::copy_text::copy_text_parser parser(task.relation);
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn, &buf, 0);
    if (n == -1) break;
    if (n < 0) throw pg_error("COPY of " + task.table_sql + " failed: " + last_error(conn), "");
    auto err = parser.feed(std::string_view(buf, static_cast<std::size_t>(n)), *batch);
    PQfreemem(buf);
    if (err) throw pg_error("COPY of " + task.table_sql + ": " + codecs::copy_text::to_string(*err), "");
    if (batch->events.size() >= settings.rows_per_message) {
      self->send(watermark, chunk_rows_msg{task.watermark_id, std::move(batch), false, {}});
      batch = fresh_batch();
    }
  }
  pg_connection::check_result(conn, PQgetResult(conn));
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  if (auto err = parser.finish()) throw pg_error("COPY of " + task.table_sql + ": " + codecs::copy_text::to_string(*err), "");
  return parser.rows();
}

// A resync's target_keys chunk: COPY statements (a thousand keys each) returning, of the
// target's `keys`, those the source has no row for in this transaction's snapshot, as rows
// of the table with only their key columns (the others NULL). The source casts and
// compares them (its types, its collations) and prints them in its own text form, the form
// the stream's keys have. Compared as the bare type (varchar, numeric, bpchar), printed as
// the column's (varchar(3), numeric(10,2), character(4): the padding the stream's key
// has); a key the column's type would change (a value longer or finer than the column
// holds now) is left alone: deleting what the cast made of it could hit another row.
std::vector<std::string> missing_keys_sql(pg_connection& conn, const chunk_task& task,
                                          const std::vector<target_key>& keys) {
  std::vector<std::string> bare, full;
  for (const auto& k : task.key_columns) {
    auto t = conn.query("SELECT format_type(atttypid, NULL), format_type(atttypid, atttypmod) FROM pg_attribute "
                        "WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
                        {task.table_sql, k});
    if (t.empty() || !t[0][0] || !t[0][1]) throw pg_error(task.table_sql + " has no column " + quote_ident(k) + " any more", "");
    bare.push_back(*t[0][0]);
    full.push_back(*t[0][1]);
  }
  std::string select_list, match, unchanged, names;
  for (std::size_t i = 0; i < task.key_columns.size(); ++i) {
    std::string v = "v.c" + std::to_string(i);
    match += (i ? " AND " : "") + std::string("s.") + quote_ident(task.key_columns[i]) + " = " + v + "::" + bare[i];
    unchanged += " AND " + v + "::" + bare[i] + " = " + v + "::" + full[i];
    names += (i ? ", c" : "c") + std::to_string(i);
  }
  for (const auto& c : task.relation->columns) {
    auto at = std::find(task.key_columns.begin(), task.key_columns.end(), c.name);
    auto i = static_cast<std::size_t>(at - task.key_columns.begin());
    select_list += (select_list.empty() ? "" : ", ") +
                   (at == task.key_columns.end() ? std::string("NULL") : "v.c" + std::to_string(i) + "::" + full[i]);
  }
  constexpr std::size_t keys_per_statement = 1000;
  std::vector<std::string> out;
  for (std::size_t first = 0; first < keys.size(); first += keys_per_statement) {
    std::string values;
    for (std::size_t r = first; r < std::min(keys.size(), first + keys_per_statement); ++r) {
      if (keys[r].size() != task.key_columns.size()) throw pg_error("a target key of the wrong width", "");
      values += values.empty() ? "(" : ", (";
      for (std::size_t i = 0; i < keys[r].size(); ++i) values += (i ? ", " : "") + quote_literal(conn.get(), keys[r][i]);
      values += ")";
    }
    out.push_back("COPY (SELECT " + select_list + " FROM (VALUES " + values + ") AS v(" + names +
                  ") WHERE NOT EXISTS (SELECT FROM " + task.table_sql + " AS s WHERE " + match + ")" + unchanged +
                  ") TO STDOUT");
  }
  return out;
}

// COPY the chunk in a REPEATABLE READ transaction whose snapshot goes with the last rows,
// sending rows to the watermark in messages of rows_per_message rows. `target_keys`: a
// target_keys chunk's keys.
std::uint64_t copy_chunk(self_ptr self, const chunk_task& task, const chunk_reader_settings& settings,
                         const watermark_actor& watermark, const std::vector<target_key>& target_keys) {
  auto& connection = *self->state.conn;
  std::optional<listed_rows> listed;
  if (!task.listed_rows.empty()) listed = read_listed_rows(task.listed_rows);
  connection.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  auto text = connection.query("SELECT pg_current_snapshot()::text").at(0).at(0).value_or("");
  auto snapshot = codecs::parse_pg_snapshot(text);
  if (!snapshot) throw pg_error("unexpected pg_current_snapshot() " + text, "");
  std::string where = task.predicate;
  if (listed) {
    if (!listed_rows_in_place(connection, task.table_sql, *listed))
      throw pg_error(task.table_sql + " was rewritten (VACUUM FULL, CLUSTER or ALTER TABLE) while its snapshot ran: " +
                         "its rows no longer sit where they were listed, and the chunks not read yet can no longer " +
                         "tell them from the rows the stream brings. Take the table's snapshot again: stop pg2sr, " +
                         "run `pg2sr snapshot -c <config> --table <schema.table>`, and start it (that snapshot reads " +
                         "every row: a row the stream also brings meanwhile may arrive twice in a Duplicate Key table)",
                     "");
    where = "(" + where + " AND " + listed_rows_condition(connection, *listed) + ")";
  }
  std::string from = task.table_sql, select_list = task.select_list;
  if (task.source_relid != 0) {
    // By oid, in this transaction's snapshot: a detached partition may be renamed or moved.
    auto name = connection.query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::int8::oid",
        {std::to_string(task.source_relid)});
    if (name.empty()) {
      spdlog::error("snapshot chunk {} of {}: that table (oid {}) no longer exists, so its rows cannot be {} the "
                    "target; see to them in the target by hand",
                    task.description, task.table_sql, task.source_relid, task.deletes ? "deleted from" : "read into");
      where = "false";
    } else {
      from = *name[0][0];
      // The table's columns by name; NULL for one added to the table after the detach.
      std::set<std::string> has;
      for (const auto& r : connection.query("SELECT attname FROM pg_attribute WHERE attrelid = $1::int8::oid AND "
                                            "attnum > 0 AND NOT attisdropped",
                                            {std::to_string(task.source_relid)}))
        has.insert(*r[0]);
      select_list.clear();
      for (const auto& c : task.relation->columns)
        select_list += (select_list.empty() ? "" : ", ") + (has.count(c.name) ? quote_ident(c.name) : std::string("NULL"));
    }
    from += " AS " + quote_ident(detached_alias);
  }
  std::vector<std::string> statements;
  if (task.target_keys) statements = missing_keys_sql(connection, task, target_keys);
  else statements.push_back("COPY (SELECT " + select_list + " FROM " + from + " WHERE " + where + ") TO STDOUT");
  const std::size_t columns = task.relation->columns.size();
  auto fresh_batch = [&] {  // sized for a message's rows: no growth while it fills
    auto b = std::make_shared<change_batch>();
    b->events.reserve(settings.rows_per_message);
    b->values.reserve(settings.rows_per_message * columns);
    b->keep(task.relation);
    return b;
  };
  auto batch = fresh_batch();
  std::uint64_t rows = 0;
  for (const auto& sql : statements) rows += copy_rows(self, connection, task, settings, watermark, sql, batch, fresh_batch);
  connection.exec("COMMIT");
  self->send(watermark, chunk_rows_msg{task.watermark_id, std::move(batch), true, std::move(*snapshot)});
  return rows;
}

}  // namespace

chunk_reader_actor::behavior_type chunk_reader(self_ptr self, chunk_reader_settings settings,
                                               watermark_actor watermark, pipeline_metrics* metrics) {
  return {
      [=](read_chunk_msg& msg) -> caf::result<chunk_read_msg> {
        const auto& task = *msg.task;
        auto started = std::chrono::steady_clock::now();
        std::uint64_t rows = 0;
        try {
          if (!self->state.conn || PQstatus(self->state.conn->get()) != CONNECTION_OK)
          {
            self->state.conn = std::make_unique<pg_connection>(settings.conninfo);
            self->state.conn->exec("SET synchronous_commit = on");
          }
          std::vector<target_key> target_keys;
          if (task.target_keys) target_keys = read_resync_keys(task.target_keys_file);
          // Before L and the snapshot; an abort of an earlier try of this chunk went before it.
          self->send(watermark, chunk_begin_msg{msg.task});
          emit_watermark(*self->state.conn, 'L', task.watermark_id);
          rows = copy_chunk(self, task, settings, watermark, target_keys);
          emit_watermark(*self->state.conn, 'H', task.watermark_id);
        } catch (const std::exception& e) {
          self->send(watermark, chunk_abort_msg{task.watermark_id});
          self->state.conn.reset();  // a fresh connection for the retry
          return make_pipeline_error(pipeline_errc::source_failed,
                                     "snapshot chunk " + task.description + " of " + task.table_sql + ": " + e.what());
        }
        metrics->snapshot_rows_read.fetch_add(rows, std::memory_order_relaxed);
        if (auto* progress = metrics->table(task.ref.relid)) progress->rows_read.fetch_add(rows, std::memory_order_relaxed);
        // Throttle: this reader's share of max_rows_per_sec, then the pause between chunks.
        auto rest = std::chrono::duration_cast<std::chrono::microseconds>(settings.chunk_pause);
        if (settings.max_rows_per_sec > 0) {
          auto budget = std::chrono::microseconds(rows * 1'000'000 / settings.max_rows_per_sec);
          auto spent = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
          if (budget > spent) rest += budget - spent;
        }
        return chunk_read_msg{task.ref, rows, rest};
      },
  };
}

}  // namespace pg2sr::actors
