// Partitioned tables end to end, into each sink: a range-partitioned table (one partition
// partitioned again by list) and a list-partitioned one, selected by their roots (and one
// leaf by the same regex), snapshotted while a writer moves rows between partitions; then,
// while streaming, a partition created, a populated one attached, one detached. Each target
// table must equal its source root row for row: one table per root, whatever partition a
// row is in, and the rows of a detached partition gone with it.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "tests/emulator/pg2sr_tables.hpp"
#include "tests/emulator/starrocks_emulator.hpp"
#include "tests/engine/live_pipeline.hpp"
#include "tests/support/pg_harness.hpp"

using namespace pg2sr;
using namespace pg2sr::test;
namespace emu = pg2sr::test::starrocks;

namespace {

const char* starrocks_db = "pg2sr_parts";
const char* starrocks_password = "sr-parts-5";

const std::string selection =
    "[snapshot]\nmode = \"initial\"\nchunk_rows = 2000\nparallelism = 2\n[tables]\n"
    "include = [\"public\\\\.events.*\", \"public\\\\.accounts\", \"public\\\\.pg2sr_sentinel\"]\n";

// events: range by month; January is partitioned again by list of region. accounts: list.
void create_partitioned_tables(PGconn* conn) {
  exec(conn,
       "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, region text NOT NULL, payload text, "
       "  PRIMARY KEY (id, at, region)) PARTITION BY RANGE (at);"
       "CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01') "
       "  PARTITION BY LIST (region);"
       "CREATE TABLE events_2026_01_eu PARTITION OF events_2026_01 FOR VALUES IN ('eu');"
       "CREATE TABLE events_2026_01_rest PARTITION OF events_2026_01 DEFAULT;"
       "CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');"
       "INSERT INTO events SELECT g, date '2026-01-01' + (g % 59), CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, "
       "  'p' || g FROM generate_series(1, 20000) g;"
       "CREATE TABLE accounts (id int NOT NULL, region text NOT NULL, balance bigint, PRIMARY KEY (id, region)) "
       "  PARTITION BY LIST (region);"
       "CREATE TABLE accounts_eu PARTITION OF accounts FOR VALUES IN ('eu');"
       "CREATE TABLE accounts_us PARTITION OF accounts FOR VALUES IN ('us');"
       "INSERT INTO accounts SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 5000) g;");
}

// Random changes across partitions until it goes out of scope: inserts, updates that move a
// row to another partition (a new month, another region), updates in place, deletes.
class partition_writer {
 public:
  /// `months`: first days of the months that have a partition now.
  partition_writer(const std::string& dbname, std::vector<std::string> months)
      : thread_([this, dbname, months] {
          auto conn = connect(cluster().conninfo(dbname));
          std::mt19937 rng(7);
          std::uniform_int_distribution<int> id(1, 20000), op(0, 5);
          for (int i = 0; !stop_.load(); ++i) {
            std::string k = std::to_string(id(rng));
            std::string month = "date '" + months[rng() % months.size()] + "' + " + std::to_string(rng() % 28);
            switch (op(rng)) {
              case 0:
                exec(conn.get(), "INSERT INTO events VALUES (" + std::to_string(100000 + i) + ", " + month +
                                     ", 'eu', 'new') ON CONFLICT DO NOTHING");
                break;
              case 1:
                exec(conn.get(), "UPDATE events SET at = " + month + " WHERE id = " + k);
                break;
              case 2:
                exec(conn.get(), "UPDATE events SET payload = payload || 'u', region = 'eu' WHERE id = " + k);
                break;
              case 3:
                exec(conn.get(), "DELETE FROM events WHERE id = " + k);
                break;
              case 4:
                exec(conn.get(), "UPDATE accounts SET region = CASE region WHEN 'eu' THEN 'us' ELSE 'eu' END, "
                                 "balance = balance + 1 WHERE id = " + std::to_string(id(rng) % 5000));
                break;
              default:
                exec(conn.get(), "BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id % 97 = " +
                                     std::to_string(i % 97) + "; DELETE FROM events WHERE id = " + k + "; COMMIT");
            }
            ++changes_;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
          }
        }) {}
  ~partition_writer() { finish(); }
  int finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return changes_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> changes_{0};
  std::thread thread_;
};

// A second of the writer's changes into the months that have a partition.
void write_for_a_second(const live_pipeline& p, std::vector<std::string> months) {
  partition_writer writer(p.dbname(), std::move(months));
  std::this_thread::sleep_for(std::chrono::seconds(1));
}

const char* events_row = "SELECT id || '|' || at || '|' || region || '|' || coalesce(payload, 'NULL') FROM ";
const char* accounts_row = "SELECT id || '|' || region || '|' || coalesce(balance::text, 'NULL') FROM ";

std::vector<std::string> sorted_column(PGconn* conn, const std::string& sql) {
  std::vector<std::string> out;
  for (auto& row : query(conn, sql)) out.push_back(std::move(row.at(0)));
  std::sort(out.begin(), out.end());
  return out;
}

// "" when both sorted lists are equal, else counts and the first rows only one side has.
std::string difference(const std::string& table, const std::vector<std::string>& source,
                       const std::vector<std::string>& target) {
  if (source == target) return "";
  std::vector<std::string> missing, extra;
  std::set_difference(source.begin(), source.end(), target.begin(), target.end(), std::back_inserter(missing));
  std::set_difference(target.begin(), target.end(), source.begin(), source.end(), std::back_inserter(extra));
  std::string out = table + ": source " + std::to_string(source.size()) + " rows, target " +
                    std::to_string(target.size()) + "; " + std::to_string(missing.size()) + " missing, " +
                    std::to_string(extra.size()) + " extra\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(missing.size(), 3); ++i) out += "  missing " + missing[i] + "\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(extra.size(), 3); ++i) out += "  extra   " + extra[i] + "\n";
  return out;
}

// A target to compare the source's roots with.
struct target_tables {
  virtual ~target_tables() = default;
  virtual std::vector<std::string> rows(const std::string& table, const std::vector<std::string>& columns) = 0;
};

struct postgres_target : target_tables {
  test::pg_conn conn;
  explicit postgres_target(const std::string& db) : conn(connect(cluster().conninfo(db))) {}
  std::vector<std::string> rows(const std::string& table, const std::vector<std::string>&) override {
    return sorted_column(conn.get(), (table == "events" ? events_row : accounts_row) + table);
  }
};

struct starrocks_target : target_tables {
  emu::starrocks_emulator& emulator;
  explicit starrocks_target(emu::starrocks_emulator& e) : emulator(e) {}
  std::vector<std::string> rows(const std::string& table, const std::vector<std::string>& columns) override {
    auto dump = emulator.dump(starrocks_db, table);
    std::vector<std::string> out;
    for (const auto& values : dump.rows) {
      std::string line;
      for (const auto& c : columns) {
        auto at = std::find(dump.columns.begin(), dump.columns.end(), c) - dump.columns.begin();
        line += (line.empty() ? "" : "|") + (static_cast<std::size_t>(at) < values.size()
                                                 ? values[static_cast<std::size_t>(at)].value_or("NULL")
                                                 : std::string("<no column " + c + ">"));
      }
      out.push_back(std::move(line));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

void require_roots_equal(live_pipeline& p, target_tables& target) {
  std::string diff = difference("events", sorted_column(p.sql(), std::string(events_row) + "events"),
                                target.rows("events", {"id", "at", "region", "payload"}));
  diff += difference("accounts", sorted_column(p.sql(), std::string(accounts_row) + "accounts"),
                     target.rows("accounts", {"id", "region", "balance"}));
  BOOST_TEST(diff.empty(), diff);
}

// The snapshot under writes that move rows between partitions, then a partition created
// while streaming and written into.
void snapshot_and_stream(live_pipeline& p, target_tables& target, int& sentinel) {
  p.start();
  {
    partition_writer writer(p.dbname(), {"2026-01-01", "2026-02-01"});
    std::this_thread::sleep_for(std::chrono::seconds(3));
    BOOST_TEST(writer.finish() > 100);
  }
  BOOST_REQUIRE_MESSAGE(p.wait_for_snapshots({"public.events", "public.accounts"}), p.log());
  exec(p.sql(), "CREATE TABLE events_2026_03 PARTITION OF events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');"
                "INSERT INTO events SELECT g, date '2026-03-01' + (g % 31), 'us', 'march' "
                "FROM generate_series(30001, 30500) g;"
                "UPDATE events SET at = at + 31 WHERE at >= '2026-02-01' AND at < '2026-02-20' AND id % 5 = 0");
  write_for_a_second(p, {"2026-01-01", "2026-02-01", "2026-03-01"});
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel, std::chrono::seconds(120)), p.log());
  require_roots_equal(p, target);
  BOOST_TEST(p.log().find("events_2026_01") == std::string::npos, "a partition was named as a table:\n" << p.log());
}

// Waits until the log says `text` after it said `marker`: the rows of a partition attached
// or detached are read after pg2sr sees the change, which a sentinel does not wait for.
bool wait_for_after(const live_pipeline& p, const std::string& marker, const std::string& text) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < until) {
    auto log = p.log();
    auto at = log.find(marker);
    if (at != std::string::npos && log.find(text, at) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// While streaming: a populated table attached (its columns in another order), rows written
// into it; a partition detached, moved to another schema and written into (no longer the
// root's rows). Then one attached while pg2sr is down (kill -9), found by the next start.
void attach_and_detach(live_pipeline& p, target_tables& target, int& sentinel) {
  exec(p.sql(), "CREATE TABLE events_2026_04 (payload text, region text NOT NULL, id bigint NOT NULL, at date NOT NULL);"
                "INSERT INTO events_2026_04 SELECT 'april', 'eu', g, date '2026-04-01' + (g % 30) "
                "FROM generate_series(40001, 41000) g;"
                "ALTER TABLE events_2026_04 ADD PRIMARY KEY (id, at, region);"
                "ALTER TABLE events ATTACH PARTITION events_2026_04 FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');"
                "UPDATE events SET payload = 'april again' WHERE id BETWEEN 40001 AND 40100;"
                "DELETE FROM events WHERE id BETWEEN 40101 AND 40150");
  BOOST_REQUIRE_MESSAGE(wait_for_after(p, "public.events_2026_04 (attached)", "snapshot of public.events done"), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel, std::chrono::seconds(120)), p.log());
  // Moved away at once, as archiving does: the rows to delete are read from it where it is.
  exec(p.sql(), "ALTER TABLE events DETACH PARTITION events_2026_02; CREATE SCHEMA archive;"
                "ALTER TABLE events_2026_02 SET SCHEMA archive;"
                "UPDATE archive.events_2026_02 SET payload = 'detached' WHERE id % 7 = 0;"
                "INSERT INTO events VALUES (50001, '2026-04-02', 'us', 'after detach')");
  write_for_a_second(p, {"2026-01-01", "2026-03-01", "2026-04-01"});
  BOOST_REQUIRE_MESSAGE(wait_for_after(p, "events_2026_02 (detached)", "snapshot of public.events done"), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel, std::chrono::seconds(120)), p.log());
  require_roots_equal(p, target);
  p.kill9();
  exec(p.sql(), "CREATE TABLE events_2026_05 (LIKE events);"
                "INSERT INTO events_2026_05 SELECT g, date '2026-05-01' + (g % 31), 'us', 'may' "
                "FROM generate_series(50101, 50600) g;"
                "ALTER TABLE events ATTACH PARTITION events_2026_05 FOR VALUES FROM ('2026-05-01') TO ('2026-06-01');"
                "DELETE FROM events WHERE id BETWEEN 50101 AND 50110");
  p.start();
  BOOST_REQUIRE_MESSAGE(wait_for_after(p, "public.events_2026_05 (attached)", "snapshot of public.events done"), p.log());
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(++sentinel, std::chrono::seconds(120)), p.log());
  require_roots_equal(p, target);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(partitions)

BOOST_AUTO_TEST_CASE(postgres_sink_holds_each_root_as_one_table_through_attach_and_detach) {
  fresh_database("parts_src");
  fresh_database("parts_pg_target");
  live_pipeline p("parts_pg", cluster().port, "parts_src",
                  selection + "[sink]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = " +
                      std::to_string(cluster().port) +
                      "\ndbname = \"parts_pg_target\"\nuser = \"postgres\"\npassword_env = \"PG2SR_LIVE_TEST_PASSWORD\"\n"
                      "create_tables = true\n");
  create_partitioned_tables(p.sql());
  postgres_target target("parts_pg_target");
  int sentinel = 0;
  snapshot_and_stream(p, target, sentinel);
  BOOST_TEST(query(target.conn.get(), "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'events_%'")[0][0] == "0");
  attach_and_detach(p, target, sentinel);
  p.stop();
}

BOOST_AUTO_TEST_CASE(starrocks_sink_holds_each_root_as_one_table_through_attach_and_detach) {
  fresh_database("parts_sr_src");
  emu::starrocks_emulator emulator{{"127.0.0.1", 0, 0, "root", starrocks_password, false}};
  setenv("PG2SR_STARROCKS_TEST_PASSWORD", starrocks_password, 1);
  emulator.start();
  live_pipeline p("parts_sr", cluster().port, "parts_sr_src",
                  selection + "[sink]\nkind = \"starrocks\"\nfe_url = \"" + emulator.fe_url() + "\"\ndatabase = \"" +
                      starrocks_db + "\"\nuser = \"root\"\npassword_env = \"PG2SR_STARROCKS_TEST_PASSWORD\"\n");
  create_partitioned_tables(p.sql());
  setenv("PG2SR_LIVE_TEST_PASSWORD", live_test_password, 1);
  emu::create_pipeline_tables(emulator, p.dir() / "p.toml");  // as `pg2sr ddl` makes them: one per root
  starrocks_target target(emulator);
  int sentinel = 0;
  snapshot_and_stream(p, target, sentinel);
  attach_and_detach(p, target, sentinel);
  p.stop();
}

// A publication made without publish_via_partition_root (publication_mode = "disabled", or
// changes written before pg2sr switched it on) names each change by its partition: pg2sr
// looks the partition's root up and keeps the root's table, also for a partition created
// while streaming. Into the jsonl sink, whose file names each change's table.
BOOST_AUTO_TEST_CASE(changes_named_by_their_partition_are_the_roots) {
  fresh_database("parts_leaf");
  live_pipeline p("parts_leaf", cluster().port, "parts_leaf",
                  "[tables]\ninclude = [\"public\\\\.events\", \"public\\\\.pg2sr_sentinel\"]\n",
                  "publication_mode = \"disabled\"\npublication = \"by_leaf\"");
  create_partitioned_tables(p.sql());
  exec(p.sql(), "CREATE PUBLICATION by_leaf FOR TABLE events, pg2sr_sentinel");
  p.start();
  exec(p.sql(), "INSERT INTO events VALUES (90001, '2026-01-05', 'eu', 'a'), (90002, '2026-02-05', 'us', 'b');"
                "UPDATE events SET at = '2026-02-10' WHERE id = 90001;"  // moves it to another partition
                "UPDATE events SET payload = 'c' WHERE id = 90002;"
                "CREATE TABLE events_2026_03 PARTITION OF events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');"
                "INSERT INTO events VALUES (90003, '2026-03-05', 'eu', 'd')");
  BOOST_REQUIRE_MESSAGE(p.wait_for_sentinel(1), p.log());
  auto state = p.replay();
  for (const auto& [table, rows] : state)
    BOOST_TEST((table == "public.events" || table == "public.pg2sr_sentinel"), "a change named " << table);
  std::map<std::string, std::string> expected, got;
  for (const auto& row : query(p.sql(), "SELECT id || ',' || at || ',' || region, payload FROM events WHERE id > 90000"))
    expected[row[0]] = row[1];
  for (const auto& [key, row] : state["public.events"])
    if (std::stol(row.at("id").value_or("0")) > 90000)
      got[*row.at("id") + "," + row.at("at").value_or("") + "," + row.at("region").value_or("")] =
          row.at("payload").value_or("NULL");
  BOOST_TEST((expected == got), expected.size() << " source rows, " << got.size() << " streamed");
  BOOST_TEST(query(p.sql(), "SELECT pubviaroot FROM pg_publication WHERE pubname = 'by_leaf'")[0][0] == "f");
  p.stop();
}

BOOST_AUTO_TEST_SUITE_END()
