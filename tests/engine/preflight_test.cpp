// `pg2sr check` against real PostgreSQL servers: every preflight failure is produced for
// real (second clusters for server settings, held replication connections, real slots,
// roles and publications) and its message checked; a good setup passes with exit 0.
#include <boost/test/unit_test.hpp>

#include "engine/source/preflight.hpp"
#include "engine/state_dir.hpp"
#include "tests/engine/source_fixtures.hpp"
#include "tests/support/scoped_cluster.hpp"

using namespace pg2sr;
using namespace pg2sr::test;
using engine::check_result;
using engine::check_status;

namespace {

std::string dump(const std::vector<check_result>& results) {
  std::string out;
  for (const auto& r : results) out += "\n  [" + r.name + "] " + engine::to_line(r);
  return out;
}

// The results named `name` with `status`.
std::vector<check_result> with(const std::vector<check_result>& results, const std::string& name, check_status status) {
  std::vector<check_result> out;
  for (const auto& r : results)
    if (r.name == name && r.status == status) out.push_back(r);
  return out;
}

// True when exactly one result named `name` has `status` and its message contains every part.
bool has(const std::vector<check_result>& results, const std::string& name, check_status status,
         const std::vector<std::string>& parts) {
  auto found = with(results, name, status);
  if (found.size() != 1) return false;
  for (const auto& p : parts)
    if (found[0].message.find(p) == std::string::npos) return false;
  return true;
}

std::vector<check_result> preflight_of(const std::string& toml) { return engine::run_preflight(load_toml(toml)); }

void sql(const std::string& conninfo, const std::string& text) {
  auto c = connect(conninfo);
  exec(c.get(), text);
}

const auto ok = check_status::ok;
const auto info = check_status::info;
const auto fail = check_status::fail;

}  // namespace

BOOST_AUTO_TEST_SUITE(preflight)

// Only PostgreSQL 15 is installed here, so a server below 10 cannot be started: the
// version check is exercised through the pure functions with version numbers.
BOOST_AUTO_TEST_CASE(server_below_10_fails_and_stops_the_checks) {
  auto old = engine::check_server_version(90624);
  BOOST_TEST((old.status == fail));
  BOOST_TEST(old.message.find("PostgreSQL 9.6.24 is too old") != std::string::npos, old.message);
  BOOST_TEST(old.message.find("10 or newer") != std::string::npos, old.message);
  BOOST_TEST((engine::check_server_version(100000).status == ok));
  BOOST_TEST(engine::check_server_version(150004).message.find("PostgreSQL 15.4") != std::string::npos);
  engine::server_facts facts;
  facts.server_version = 90624;
  auto all = engine::evaluate_preflight(config::source_section{}, facts);
  BOOST_TEST(all.size() == 1u, dump(all));
}

BOOST_AUTO_TEST_CASE(good_setup_passes_and_says_what_run_will_create) {
  auto db = fresh_source_database("pg2sr_pf_good");
  sql(db, "CREATE TABLE orders (id int PRIMARY KEY, v text); CREATE TABLE items (id int PRIMARY KEY);"
          "CREATE TABLE audit (a int); ALTER TABLE audit REPLICA IDENTITY FULL");
  auto slot = unique_name("pf_good");
  slot_cleanup cleanup(db, slot);
  auto toml = source_toml(cluster().port, "pg2sr_pf_good", slot, "pf_good_pub");
  auto r = preflight_of(toml);
  BOOST_TEST(engine::all_passed(r), dump(r));
  BOOST_TEST(has(r, "wal_level", ok, {"wal_level = logical"}), dump(r));
  BOOST_TEST(has(r, "role", ok, {"superuser"}), dump(r));
  BOOST_TEST(has(r, "max_wal_senders", ok, {"free (pg2sr needs 1)"}), dump(r));
  BOOST_TEST(has(r, "max_replication_slots", ok, {"will be created"}), dump(r));
  BOOST_TEST(has(r, "replication connection", ok, {"accepted"}), dump(r));
  BOOST_TEST(has(r, "tables", ok, {"3 of 3 user table(s) selected"}), dump(r));
  BOOST_TEST(has(r, "replica identity", ok, {"all 3 selected table(s)"}), dump(r));
  BOOST_TEST(has(r, "publication", info, {"pg2sr run creates it FOR TABLE the 3 selected table(s)"}), dump(r));
  BOOST_TEST(has(r, "slot", info, {"does not exist: pg2sr run creates it"}), dump(r));

  // Once they exist they are reused: no new slot needed, nothing to change.
  sql(db, "CREATE PUBLICATION pf_good_pub FOR TABLE orders, items, audit");
  sql(db, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  r = preflight_of(toml);
  BOOST_TEST(engine::all_passed(r), dump(r));
  BOOST_TEST(has(r, "publication", ok, {"publishes exactly the 3 selected table(s)"}), dump(r));
  BOOST_TEST(has(r, "slot", ok, {"exists (pgoutput, inactive)", "confirmed_flush_lsn"}), dump(r));
  BOOST_TEST(has(r, "max_replication_slots", ok, {"no new slot needed"}), dump(r));
}

BOOST_AUTO_TEST_CASE(good_setup_check_exits_0_with_one_line_per_check_and_no_password) {
  fresh_source_database("pg2sr_pf_cli");
  sql(cluster().conninfo("pg2sr_pf_cli"), "CREATE TABLE t (id int PRIMARY KEY)");
  config_file file("pf_cli", source_toml(cluster().port, "pg2sr_pf_cli", unique_name("pf_cli"), "pf_cli",
                                          "password_env = \"PG2SR_PF_PW\""));
  auto r = run_pg2sr("check -c " + file.path(), "PG2SR_PF_PW=pf-secret-5521");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("configuration OK") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("\nok: wal_level = logical\n") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("\ninfo: slot ") != std::string::npos, r.output);
  BOOST_TEST(r.output.find(" ok, 2 info, 0 failed: the source is ready") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("FAIL") == std::string::npos, r.output);
  BOOST_TEST(r.output.find("pf-secret-5521") == std::string::npos, r.output);
}

// Issue 19.12: a state_dir pg2sr cannot use must stop `run` before it creates the slot (a
// slot nobody reads holds WAL), and `check` must say so, as it must say when a run holds it.
BOOST_AUTO_TEST_CASE(unusable_or_held_state_dir_fails_check_and_stops_run_before_the_slot) {
  namespace fs = std::filesystem;
  auto db = fresh_source_database("pg2sr_pf_state");
  sql(db, "CREATE TABLE t (id int PRIMARY KEY)");
  auto slot = unique_name("pf_state");
  slot_cleanup cleanup(db, slot);
  auto blocker = fs::temp_directory_path() / unique_name("pg2sr_pf_state_file");
  std::ofstream(blocker) << "a file, not a directory\n";
  auto bad_dir = (blocker / "state").string();
  auto toml = source_toml(cluster().port, "pg2sr_pf_state", slot, "pf_state_pub");
  config_file file("pf_state", with_state_dir(toml, bad_dir));
  auto checked = run_pg2sr("check -c " + file.path());
  BOOST_TEST(checked.exit_code == 1, checked.output);
  BOOST_TEST(checked.output.find("FAIL: state_dir " + bad_dir + " cannot be created: " + blocker.string() +
                                 " is not a directory") != std::string::npos, checked.output);
  auto ran = run_pg2sr("run -c " + file.path());
  BOOST_TEST(ran.exit_code == 1, ran.output);
  BOOST_TEST(ran.output.find("state_dir " + bad_dir + " cannot be created") != std::string::npos, ran.output);
  auto conn = connect(db);
  BOOST_TEST(query(conn.get(), "SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "'").empty());
  fs::remove(blocker);

  auto good_dir = fs::temp_directory_path() / unique_name("pg2sr_pf_state_dir");
  fs::remove_all(good_dir);
  config_file good("pf_state_good", with_state_dir(toml, good_dir.string()));
  auto fresh = run_pg2sr("check -c " + good.path());
  BOOST_TEST(fresh.output.find("ok: state_dir " + good_dir.string()) != std::string::npos, fresh.output);
  BOOST_TEST(!fs::exists(good_dir), "check creates nothing");
  {
    engine::state_dir_lock holder(good_dir);
    auto held = run_pg2sr("check -c " + good.path());
    BOOST_TEST(held.exit_code == 1, held.output);
    BOOST_TEST(held.output.find("FAIL: state_dir " + good_dir.string() + " is held by another pg2sr run (pid " +
                                std::to_string(::getpid())) != std::string::npos, held.output);
  }
  fs::remove_all(good_dir);
}

BOOST_AUTO_TEST_CASE(wal_level_replica_fails_with_alter_system_and_restart) {
  scoped_cluster server(unique_name("pf_wal_level"), {"wal_level = replica"});
  sql(server.conninfo(), "CREATE TABLE t (id int PRIMARY KEY)");
  auto toml = source_toml(server.port(), "postgres", "pf_wal", "pf_wal");
  auto r = preflight_of(toml);
  BOOST_TEST(has(r, "wal_level", fail,
                 {"wal_level = replica", "needs logical", "ALTER SYSTEM SET wal_level = logical", "restart"}),
             dump(r));
  config_file file("pf_wal", toml);
  auto cli = run_pg2sr("check -c " + file.path());
  BOOST_TEST(cli.exit_code == 1, cli.output);
  BOOST_TEST(cli.output.find("\nFAIL: wal_level = replica") != std::string::npos, cli.output);
  BOOST_TEST(cli.output.find("1 failed: fix the failures above") != std::string::npos, cli.output);
}

BOOST_AUTO_TEST_CASE(role_without_replication_fails_with_alter_role) {
  auto db = fresh_source_database("pg2sr_pf_role");
  sql(db, "CREATE TABLE t (id int PRIMARY KEY)");
  auto role = unique_name("pf_norepl");
  role_cleanup guard(db, role);
  auto toml = source_toml(cluster().port, "pg2sr_pf_role", "pf_role", "pf_role",
                          "publication_mode = \"disabled\"");
  toml.replace(toml.find("user = \"postgres\""), 17, "user = \"" + role + "\"");
  auto r = preflight_of(toml);
  BOOST_TEST(has(r, "role", fail, {"role \"" + role + "\" has neither REPLICATION nor superuser",
                                   "ALTER ROLE \"" + role + "\" REPLICATION"}),
             dump(r));
  // The refused replication connection is a consequence, not a second failure.
  BOOST_TEST(with(r, "replication connection", fail).empty(), dump(r));

  sql(cluster().conninfo(), "ALTER ROLE \"" + role + "\" REPLICATION");  // the advised fix works
  r = preflight_of(toml);
  BOOST_TEST(has(r, "role", ok, {"has REPLICATION"}), dump(r));
  BOOST_TEST(has(r, "replication connection", ok, {"accepted"}), dump(r));
}

// REPLICATION does not give the rights to create a publication: CREATE on the database and
// ownership of the tables (superusers have both).
BOOST_AUTO_TEST_CASE(filtered_publication_needs_create_on_database_and_table_ownership) {
  auto db = fresh_source_database("pg2sr_pf_rights");
  sql(db, "CREATE TABLE t (id int PRIMARY KEY)");
  auto role = unique_name("pf_rights");
  role_cleanup guard(db, role);
  sql(db, "ALTER ROLE \"" + role + "\" REPLICATION");
  auto toml = source_toml(cluster().port, "pg2sr_pf_rights", "pf_rights", "pf_rights");
  toml.replace(toml.find("user = \"postgres\""), 17, "user = \"" + role + "\"");
  auto r = preflight_of(toml);
  BOOST_TEST(has(r, "publication rights", fail,
                 {"role \"" + role + "\" cannot create publication \"pf_rights\"",
                  "CREATE on database \"pg2sr_pf_rights\" (GRANT CREATE ON DATABASE \"pg2sr_pf_rights\" TO \"" + role +
                      "\")",
                  "ownership of public.t", "publication_mode = \"disabled\""}),
             dump(r));

  sql(db, "GRANT CREATE ON DATABASE pg2sr_pf_rights TO \"" + role + "\"; ALTER TABLE t OWNER TO \"" + role + "\"");
  r = preflight_of(toml);
  BOOST_TEST(engine::all_passed(r), dump(r));
}

BOOST_AUTO_TEST_CASE(max_wal_senders_exhausted_fails_naming_who_uses_them) {
  scoped_cluster server(unique_name("pf_senders"), {"max_wal_senders = 1"});
  sql(server.conninfo(), "CREATE TABLE t (id int PRIMARY KEY)");
  replication_holder holder(server.conninfo(), "pf_holder");
  auto r = preflight_of(source_toml(server.port(), "postgres", "pf_senders", "pf_senders"));
  BOOST_TEST(has(r, "max_wal_senders", fail,
                 {"max_wal_senders = 1 and 1 in use", "pid " + std::to_string(holder.pid()) + " (application pf_holder",
                  "ALTER SYSTEM SET max_wal_senders = 2"}),
             dump(r));
  BOOST_TEST(with(r, "replication connection", fail).empty(), dump(r));
}

BOOST_AUTO_TEST_CASE(max_replication_slots_exhausted_fails_unless_our_slot_exists) {
  scoped_cluster server(unique_name("pf_slots"), {"max_replication_slots = 1"});
  sql(server.conninfo(), "CREATE TABLE t (id int PRIMARY KEY)");
  sql(server.conninfo(), "SELECT pg_create_logical_replication_slot('someone_else', 'test_decoding')");
  auto toml = source_toml(server.port(), "postgres", "pf_ours", "pf_ours");
  auto r = preflight_of(toml);
  BOOST_TEST(has(r, "max_replication_slots", fail,
                 {"max_replication_slots = 1 and 1 in use", "no place to create slot \"pf_ours\"",
                  "someone_else (test_decoding, database postgres, inactive)", "pg_drop_replication_slot"}),
             dump(r));

  // Our own inactive slot is reused: no free place needed.
  sql(server.conninfo(), "SELECT pg_drop_replication_slot('someone_else')");
  sql(server.conninfo(), "SELECT pg_create_logical_replication_slot('pf_ours', 'pgoutput')");
  r = preflight_of(toml);
  BOOST_TEST(has(r, "max_replication_slots", ok, {"slot \"pf_ours\" exists, no new slot needed"}), dump(r));
}

BOOST_AUTO_TEST_CASE(table_without_key_or_identity_fails_naming_it) {
  auto db = fresh_source_database("pg2sr_pf_ident");
  sql(db, "CREATE TABLE keyed (id int PRIMARY KEY); CREATE TABLE nokey (a int);"
          "CREATE TABLE nothing (id int PRIMARY KEY); ALTER TABLE nothing REPLICA IDENTITY NOTHING;"
          "CREATE TABLE full_row (a int); ALTER TABLE full_row REPLICA IDENTITY FULL;"
          "CREATE TABLE by_index (a int NOT NULL); CREATE UNIQUE INDEX by_index_a ON by_index (a);"
          "ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_a");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_ident", "pf_ident", "pf_ident"));
  auto failed = with(r, "replica identity", fail);
  BOOST_TEST(failed.size() == 2u, dump(r));
  BOOST_TEST(failed.at(0).message.find("table public.nokey has no primary key and REPLICA IDENTITY DEFAULT") !=
                 std::string::npos, dump(r));
  BOOST_TEST(failed.at(0).message.find("UPDATE and DELETE on it fail on the source") != std::string::npos, dump(r));
  BOOST_TEST(failed.at(0).message.find("ALTER TABLE \"public\".\"nokey\" REPLICA IDENTITY FULL, or add a primary key") !=
                 std::string::npos, dump(r));
  BOOST_TEST(failed.at(1).message.find("table public.nothing has no primary key and REPLICA IDENTITY NOTHING") !=
                 std::string::npos, dump(r));
}

BOOST_AUTO_TEST_CASE(disabled_publication_missing_fails) {
  auto db = fresh_source_database("pg2sr_pf_pubmiss");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY)");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_pubmiss", "pf_pub", "pf_pub",
                                    "publication_mode = \"disabled\""));
  BOOST_TEST(has(r, "publication", fail,
                 {"publication \"pf_pub\" does not exist and publication_mode = \"disabled\"",
                  "CREATE PUBLICATION \"pf_pub\" FOR TABLE \"public\".\"a\"", "or set publication_mode = \"filtered\""}),
             dump(r));
}

BOOST_AUTO_TEST_CASE(disabled_publication_not_covering_a_table_fails) {
  auto db = fresh_source_database("pg2sr_pf_pubpart");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);"
          "CREATE PUBLICATION pf_pub FOR TABLE a");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_pubpart", "pf_pub", "pf_pub",
                                    "publication_mode = \"disabled\""));
  BOOST_TEST(has(r, "publication", fail,
                 {"does not publish 1 selected table(s): public.b",
                  "ALTER PUBLICATION \"pf_pub\" ADD TABLE \"public\".\"b\"", "or narrow [tables]"}),
             dump(r));
}

BOOST_AUTO_TEST_CASE(filtered_and_all_tables_say_what_run_will_do_or_fail) {
  auto db = fresh_source_database("pg2sr_pf_modes");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);"
          "CREATE PUBLICATION only_a FOR TABLE a");
  auto port = cluster().port;
  auto r = preflight_of(source_toml(port, "pg2sr_pf_modes", "pf_modes", "only_a"));
  BOOST_TEST(has(r, "publication", info, {"will be altered by pg2sr run", "adding public.b"}), dump(r));
  BOOST_TEST(engine::all_passed(r), dump(r));
  r = preflight_of(source_toml(port, "pg2sr_pf_modes", "pf_modes", "only_a", "publication_mode = \"all_tables\""));
  BOOST_TEST(has(r, "publication", fail, {"exists but is not FOR ALL TABLES", "DROP PUBLICATION \"only_a\""}), dump(r));
  r = preflight_of(source_toml(port, "pg2sr_pf_modes", "pf_modes", "new_pub", "publication_mode = \"all_tables\""));
  BOOST_TEST(has(r, "publication", info, {"does not exist: pg2sr run creates it FOR ALL TABLES"}), dump(r));
}

// A partitioned table is one target table; what the publication does with its partitions'
// changes decides whether pg2sr maps them. Its partitions are not tables of their own.
BOOST_AUTO_TEST_CASE(partitioned_tables_say_how_their_partitions_are_streamed) {
  auto db = fresh_source_database("pg2sr_pf_parts");
  sql(db, "CREATE TABLE ev (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);"
          "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
          "CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');"
          "CREATE PUBLICATION by_leaf FOR TABLE ev; CREATE PUBLICATION by_root FOR TABLE ev "
          "WITH (publish_via_partition_root = true)");
  auto port = cluster().port;
  auto r = preflight_of(source_toml(port, "pg2sr_pf_parts", "pf_parts", "by_leaf", "publication_mode = \"disabled\""));
  BOOST_TEST(has(r, "publication", ok, {"publishes all 1 selected table(s)"}), dump(r));
  BOOST_TEST(has(r, "partitions", info, {"1 partitioned table(s) (public.ev)", "names each change by its partition",
                                          "pg2sr maps to the root",
                                          "ALTER PUBLICATION \"by_leaf\" SET (publish_via_partition_root = true)"}),
             dump(r));
  r = preflight_of(source_toml(port, "pg2sr_pf_parts", "pf_parts", "by_root", "publication_mode = \"disabled\""));
  BOOST_TEST(has(r, "partitions", ok, {"names their changes by the root"}), dump(r));
  r = preflight_of(source_toml(port, "pg2sr_pf_parts", "pf_parts", "by_leaf"));
  BOOST_TEST(has(r, "publication", ok, {"publishes exactly the 1 selected table(s)"}), dump(r));
  BOOST_TEST(has(r, "partitions", info, {"pg2sr run sets publish_via_partition_root = true"}), dump(r));
  r = preflight_of(source_toml(port, "pg2sr_pf_parts", "pf_parts", "new_pub"));
  BOOST_TEST(has(r, "partitions", info, {"creates publication \"new_pub\" WITH (publish_via_partition_root = true)"}),
             dump(r));
  BOOST_TEST(has(r, "tables", ok, {"1 of 1 user table(s) selected"}), dump(r));  // not its partitions
}

BOOST_AUTO_TEST_CASE(slot_with_another_plugin_fails) {
  auto db = fresh_source_database("pg2sr_pf_plugin");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY)");
  auto slot = unique_name("pf_plugin");
  slot_cleanup cleanup(db, slot);
  sql(db, "SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_plugin", slot, "pf_plugin"));
  BOOST_TEST(has(r, "slot", fail, {"slot \"" + slot + "\" uses plugin test_decoding, but pg2sr needs pgoutput",
                                   "pg2sr slot drop -c FILE", "set source.slot to another name"}),
             dump(r));
}

BOOST_AUTO_TEST_CASE(slot_active_elsewhere_fails_naming_the_holder) {
  auto db = fresh_source_database("pg2sr_pf_active");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY); CREATE PUBLICATION pf_active FOR TABLE a");
  auto slot = unique_name("pf_active");
  slot_cleanup cleanup(db, slot);
  sql(db, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  replication_holder holder(db, "pf_streamer");
  holder.stream(slot, "pf_active");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_active", slot, "pf_active"));
  auto pid = std::to_string(holder.pid());
  BOOST_TEST(has(r, "slot", fail, {"slot \"" + slot + "\" is active, held by pid " + pid + " (application pf_streamer",
                                   "SELECT pg_terminate_backend(" + pid + ")"}),
             dump(r));
}

BOOST_AUTO_TEST_CASE(no_table_selected_fails) {
  auto db = fresh_source_database("pg2sr_pf_none");
  sql(db, "CREATE TABLE a (id int PRIMARY KEY)");
  auto r = preflight_of(source_toml(cluster().port, "pg2sr_pf_none", "pf_none", "pf_none",
                                    "[tables]\ninclude = [\"sales\\\\..*\"]"));
  BOOST_TEST(has(r, "tables", fail, {"no table selected", "match none of the 1 user table(s) in database "
                                     "\"pg2sr_pf_none\"", "fix the include/exclude regexes"}),
             dump(r));
  BOOST_TEST(!engine::all_passed(r));
}

BOOST_AUTO_TEST_CASE(unreachable_server_fails_with_libpq_message_and_no_password) {
  int port = closed_port();
  auto toml = source_toml(port, "shop", "pf_gone", "pf_gone", "password_env = \"PG2SR_PF_PW\"");
  ::setenv("PG2SR_PF_PW", "pf-secret-7781", 1);
  auto r = preflight_of(toml);
  ::unsetenv("PG2SR_PF_PW");
  BOOST_TEST(r.size() == 1u, dump(r));
  BOOST_TEST(has(r, "connection", fail, {"cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(port),
                                         "Connection refused"}),
             dump(r));

  config_file file("pf_gone", toml);
  auto cli = run_pg2sr("check -c " + file.path(), "PG2SR_PF_PW=pf-secret-7781");
  BOOST_TEST(cli.exit_code == 1, cli.output);
  auto line_at = cli.output.find("\nFAIL: cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(port));
  BOOST_TEST(line_at != std::string::npos, cli.output);
  auto line = cli.output.substr(line_at + 1, cli.output.find('\n', line_at + 1) - line_at - 1);
  BOOST_TEST(line.find("Connection refused") != std::string::npos, line);
  BOOST_TEST(line.find("sslmode=") == std::string::npos, line);  // not the conninfo
  BOOST_TEST(cli.output.find("pf-secret-7781") == std::string::npos, cli.output);
  BOOST_TEST(cli.output.find("password=") == std::string::npos, cli.output);
}

BOOST_AUTO_TEST_SUITE_END()
