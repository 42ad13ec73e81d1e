// StarRocks tables from a real PostgreSQL catalog: every kind of column (enum, domain,
// composite, hstore, arrays, numeric with and without typmod...) maps to its StarRocks type,
// keys come from key_column, the primary key or the REPLICA IDENTITY index, the DDL text is
// what StarRocks takes, unmappable columns are all reported at once, and `pg2sr ddl` and
// `pg2sr check` say so as a user meets them.
#include <boost/test/unit_test.hpp>

#include <map>

#include "engine/sinks/starrocks/starrocks_schema.hpp"
#include "tests/engine/source_fixtures.hpp"

using namespace pg2sr;
using namespace pg2sr::test;
using codecs::starrocks::value_form;
using engine::starrocks_model;
using engine::starrocks_table;

namespace {

void sql(const std::string& conninfo, const std::string& text) {
  auto c = connect(conninfo);
  exec(c.get(), text);
}

// A pipeline reading database `db` into StarRocks database "analytics"; `source_extra` goes
// after [source] (more keys, then sections such as [tables]), `sink_extra` into [sink].
std::string starrocks_toml(const std::string& db, const std::string& source_extra = "",
                           const std::string& sink_extra = "") {
  auto toml = source_toml(cluster().port, db, unique_name("sr_slot"), "sr_pub", source_extra);
  toml.replace(toml.find("[sink]"), std::string::npos,
               "[sink]\nkind = \"starrocks\"\ndatabase = \"analytics\"\n" + sink_extra + "\n");
  return toml;
}

std::vector<starrocks_table> describe(const std::string& db, const std::string& toml) {
  auto cfg = load_toml(toml);
  actors::pg_connection conn(cluster().conninfo(db));
  return engine::describe_starrocks_tables(conn, engine::select_tables(conn, cfg.tables), cfg);
}

const starrocks_table& table_named(const std::vector<starrocks_table>& tables, const std::string& name) {
  for (const auto& t : tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

// The problems describe_starrocks_tables reports, one string per line.
std::vector<std::string> problems_of(const std::string& db, const std::string& toml) {
  try {
    describe(db, toml);
  } catch (const engine::starrocks_schema_error& e) {
    return e.problems();
  }
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

constexpr const char* everything_sql = R"sql(
  CREATE EXTENSION hstore;
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN price AS numeric(10,2);
  CREATE DOMAIN sale_price AS price CHECK (VALUE > 0);
  CREATE TYPE pair AS (n numeric(6,3), tags text[], feeling mood);
  CREATE TABLE everything (
    id bigint PRIMARY KEY,
    c_int2 smallint, c_int4 integer, c_oid oid,
    c_num numeric(12,4), c_num_free numeric, c_num_big numeric(50,10), c_num_neg numeric(5,-2),
    c_money money, c_float4 real, c_float8 double precision, c_bool boolean,
    c_text text, c_varchar varchar(20), c_varchar_free varchar, c_char char(3), c_qchar "char", c_name name,
    c_date date, c_ts timestamp(3), c_tstz timestamptz, c_time time, c_timetz timetz, c_interval interval,
    c_uuid uuid, c_bytea bytea, c_json json, c_jsonb jsonb,
    c_int_array int[], c_matrix numeric(8,2)[][], c_jsonb_array jsonb[],
    c_mood mood, c_mood_array mood[], c_price price, c_sale sale_price, c_price_array price[],
    c_inet inet, c_cidr cidr, c_macaddr macaddr, c_hstore hstore, c_pair pair,
    c_range int4range, c_multirange int4multirange, c_bit bit(8), c_varbit varbit, c_xml xml,
    c_tsvector tsvector, c_tsquery tsquery, c_point point, c_lsn pg_lsn,
    c_generated bigint GENERATED ALWAYS AS (id * 2) STORED
  );
)sql";

struct expected_column {
  const char* name;
  const char* starrocks_type;
  value_form form;
};

const expected_column everything_columns[] = {
    {"id", "BIGINT", value_form::integer},
    {"c_int2", "SMALLINT", value_form::integer},
    {"c_int4", "INT", value_form::integer},
    {"c_oid", "BIGINT", value_form::integer},
    {"c_num", "DECIMAL(12,4)", value_form::decimal},
    {"c_num_free", "DECIMAL(38,9)", value_form::decimal},
    {"c_num_big", "VARCHAR(53)", value_form::string},
    {"c_num_neg", "DECIMAL(7,0)", value_form::decimal},
    {"c_money", "DECIMAL(19,2)", value_form::money},
    {"c_float4", "FLOAT", value_form::floating},
    {"c_float8", "DOUBLE", value_form::floating},
    {"c_bool", "BOOLEAN", value_form::boolean},
    {"c_text", "VARCHAR(1048576)", value_form::string},
    {"c_varchar", "VARCHAR(80)", value_form::string},
    {"c_varchar_free", "VARCHAR(1048576)", value_form::string},
    {"c_char", "VARCHAR(12)", value_form::string},
    {"c_qchar", "VARCHAR(4)", value_form::string},
    {"c_name", "VARCHAR(256)", value_form::string},
    {"c_date", "DATE", value_form::date},
    {"c_ts", "DATETIME", value_form::timestamp},
    {"c_tstz", "DATETIME", value_form::timestamptz},
    {"c_time", "VARCHAR(32)", value_form::string},
    {"c_timetz", "VARCHAR(32)", value_form::string},
    {"c_interval", "VARCHAR(128)", value_form::string},
    {"c_uuid", "VARCHAR(36)", value_form::string},
    {"c_bytea", "VARCHAR(1048576)", value_form::string},
    {"c_json", "JSON", value_form::json},
    {"c_jsonb", "JSON", value_form::json},
    {"c_int_array", "ARRAY<INT>", value_form::array},
    {"c_matrix", "ARRAY<DECIMAL(8,2)>", value_form::array},
    {"c_jsonb_array", "JSON", value_form::array},
    {"c_mood", "VARCHAR(256)", value_form::string},
    {"c_mood_array", "ARRAY<VARCHAR(256)>", value_form::array},
    {"c_price", "DECIMAL(10,2)", value_form::decimal},
    {"c_sale", "DECIMAL(10,2)", value_form::decimal},
    {"c_price_array", "ARRAY<DECIMAL(10,2)>", value_form::array},
    {"c_inet", "VARCHAR(64)", value_form::string},
    {"c_cidr", "VARCHAR(64)", value_form::string},
    {"c_macaddr", "VARCHAR(64)", value_form::string},
    {"c_hstore", "JSON", value_form::hstore},
    {"c_pair", "JSON", value_form::composite},
    {"c_range", "VARCHAR(1048576)", value_form::string},
    {"c_multirange", "VARCHAR(1048576)", value_form::string},
    {"c_bit", "VARCHAR(8)", value_form::string},
    {"c_varbit", "VARCHAR(1048576)", value_form::string},
    {"c_xml", "VARCHAR(1048576)", value_form::string},
    {"c_tsvector", "VARCHAR(1048576)", value_form::string},
    {"c_tsquery", "VARCHAR(1048576)", value_form::string},
    {"c_point", "VARCHAR(1048576)", value_form::string},
    {"c_lsn", "VARCHAR(1048576)", value_form::string},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(starrocks_schema)

BOOST_AUTO_TEST_CASE(every_kind_of_column_maps_to_its_starrocks_type) {
  auto db = fresh_database("pg2sr_sr_types");
  sql(db, everything_sql);
  auto tables = describe("pg2sr_sr_types", starrocks_toml("pg2sr_sr_types"));
  BOOST_REQUIRE(tables.size() == 1u);
  const auto& t = tables[0];
  BOOST_TEST(t.source == "public.everything");
  BOOST_TEST(t.database == "analytics");
  BOOST_TEST(t.name == "everything");
  BOOST_TEST((t.model == starrocks_model::primary_key));
  BOOST_TEST(t.key_columns == std::vector<std::string>{"id"});
  BOOST_TEST(t.key_source == "primary key");
  BOOST_REQUIRE(t.columns.size() == std::size(everything_columns));  // c_generated is never sent
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    const auto& e = everything_columns[i];
    BOOST_TEST_CONTEXT(e.name) {
      BOOST_TEST(c.name == e.name);
      BOOST_TEST(c.mapping.starrocks_type == e.starrocks_type);
      BOOST_TEST((c.mapping.form == e.form));
    }
  }
  BOOST_TEST(t.column("c_sale")->pg_type == "sale_price");
  BOOST_TEST(!t.column("c_num_free")->mapping.nan_to_null);  // numeric_nan = "reject" by default
  const auto& pair = t.column("c_pair")->mapping;
  BOOST_REQUIRE(pair.fields.size() == 3u);
  BOOST_TEST(pair.fields[0].first == "n");
  BOOST_TEST(pair.fields[0].second.starrocks_type == "DECIMAL(6,3)");
  BOOST_TEST(pair.fields[1].second.starrocks_type == "ARRAY<VARCHAR(1048576)>");
  BOOST_TEST(pair.fields[2].second.starrocks_type == "VARCHAR(256)");
  BOOST_TEST((t.column("c_jsonb_array")->mapping.element->form == value_form::json));
  BOOST_TEST((t.column("c_price_array")->mapping.element->form == value_form::decimal));
}

BOOST_AUTO_TEST_CASE(numeric_options_come_from_the_sink) {
  auto db = fresh_database("pg2sr_sr_options");
  sql(db, "CREATE TABLE n (id int PRIMARY KEY, free numeric, fixed numeric(9,2), fixed_list numeric(9,2)[])");
  auto text = describe("pg2sr_sr_options", starrocks_toml("pg2sr_sr_options", "",
                                                          "numeric_without_precision = \"string\"\nnumeric_nan = \"null\""));
  const auto& t = text[0];
  BOOST_TEST(t.column("free")->mapping.starrocks_type == "VARCHAR(1048576)");
  BOOST_TEST(t.column("fixed")->mapping.nan_to_null);
  BOOST_TEST(t.column("fixed_list")->mapping.element->nan_to_null);
  auto scaled = describe("pg2sr_sr_options", starrocks_toml("pg2sr_sr_options", "", "numeric_scale = 4"));
  BOOST_TEST(scaled[0].column("free")->mapping.starrocks_type == "DECIMAL(38,4)");
  BOOST_TEST(!scaled[0].column("fixed")->mapping.nan_to_null);
}

BOOST_AUTO_TEST_CASE(create_table_puts_key_columns_first_not_null_with_pg_types_as_comments) {
  auto db = fresh_database("pg2sr_sr_ddl");
  sql(db, "CREATE TABLE line (note text, qty int NOT NULL, \"Order\" text, n int, \"char\" \"char\", "
          "PRIMARY KEY (\"Order\", n))");
  auto tables = describe("pg2sr_sr_ddl", starrocks_toml("pg2sr_sr_ddl"));
  BOOST_TEST(tables[0].key_columns == (std::vector<std::string>{"Order", "n"}));
  BOOST_TEST(engine::create_table_sql(tables[0]) ==
             "-- public.line: Primary Key table, key (`Order`, `n`) from its primary key\n"
             "CREATE TABLE IF NOT EXISTS `analytics`.`line` (\n"
             "  `Order` VARCHAR(1048576) NOT NULL COMMENT \"text\",\n"
             "  `n` INT NOT NULL COMMENT \"integer\",\n"
             "  `note` VARCHAR(1048576) COMMENT \"text\",\n"
             "  `qty` INT COMMENT \"integer\",\n"
             "  `char` VARCHAR(4) COMMENT \"\\\"char\\\"\"\n"
             ")\n"
             "PRIMARY KEY (`Order`, `n`)\n"
             "DISTRIBUTED BY HASH (`Order`, `n`);\n");
  BOOST_TEST(engine::create_database_sql("analytics") == "CREATE DATABASE IF NOT EXISTS `analytics`;\n");
  BOOST_TEST(engine::add_column_sql("analytics", "line", *tables[0].column("qty")) ==
             "ALTER TABLE `analytics`.`line` ADD COLUMN `qty` INT COMMENT \"integer\";\n");
}

// Issue 19.4: names went into `--` comment lines as they are, so a column named
// "k<newline>DROP DATABASE shop; -- " put a line "DROP DATABASE shop; ..." into the DDL a user
// pipes into StarRocks.
BOOST_AUTO_TEST_CASE(ddl_comments_hold_names_with_newlines_on_their_line) {
  const std::string hostile = "k\nDROP DATABASE shop; -- ";
  starrocks_table t;
  t.source = "public.evil\r\nDROP TABLE x;";
  t.database = "analytics";
  t.name = "evil`s";
  t.model = starrocks_model::primary_key;
  t.key_source = "primary key";
  t.key_columns = {hostile};
  codecs::starrocks::column_mapping text_mapping;
  text_mapping.starrocks_type = "VARCHAR(1048576)";
  t.columns = {{hostile, "text\nDROP VIEW v", text_mapping}};
  t.notes = {"key column " + hostile + " may be NULL"};
  std::string ddl = engine::create_table_sql(t);
  // Lines as StarRocks reads them: a line break inside a `backquoted` name is part of it.
  std::vector<std::string> lines{""};
  bool in_name = false;
  for (char c : ddl) {
    if (c == '`') in_name = !in_name;  // a doubled `` toggles twice
    if (c == '\n' && !in_name) lines.emplace_back();
    else lines.back() += c;
  }
  for (const auto& line : lines) BOOST_TEST(!line.starts_with("DROP"), ddl);
  BOOST_TEST(lines.at(0) == "-- public.evil\\r\\nDROP TABLE x;: Primary Key table, key (`k\\nDROP DATABASE shop; -- `) "
                            "from its primary key");
  BOOST_TEST(lines.at(1) == "-- note: key column k\\nDROP DATABASE shop; --  may be NULL");
  BOOST_TEST(contains(ddl, "CREATE TABLE IF NOT EXISTS `analytics`.`evil``s` ("), ddl);
  BOOST_TEST(contains(ddl, "COMMENT \"text\\nDROP VIEW v\""), ddl);
}

BOOST_AUTO_TEST_CASE(keys_come_from_key_column_then_primary_key_then_replica_identity_index) {
  auto db = fresh_database("pg2sr_sr_keys");
  sql(db, "CREATE TABLE by_pk (id int PRIMARY KEY, code int NOT NULL);"
          "CREATE TABLE by_override (id int PRIMARY KEY, event_id bigint, v text);"
          "CREATE TABLE by_ri (x int NOT NULL, y text); CREATE UNIQUE INDEX by_ri_x ON by_ri (x);"
          "ALTER TABLE by_ri REPLICA IDENTITY USING INDEX by_ri_x;"
          "CREATE TABLE by_decimal (amount numeric(10,2) PRIMARY KEY, at timestamptz);"
          "CREATE TABLE keyless (ratio double precision, doc jsonb, n int, t text)");
  auto tables = describe("pg2sr_sr_keys",
                         starrocks_toml("pg2sr_sr_keys", "[tables.override.\"public.by_override\"]\nkey_column = \"event_id\""));
  const auto& pk = table_named(tables, "by_pk");
  BOOST_TEST(pk.key_columns == std::vector<std::string>{"id"});
  BOOST_TEST(pk.notes.empty(), joined(pk.notes));

  const auto& override = table_named(tables, "by_override");
  BOOST_TEST(override.key_columns == std::vector<std::string>{"event_id"});
  BOOST_TEST(override.key_source == "key_column");
  BOOST_REQUIRE(override.notes.size() == 1u);
  BOOST_TEST(contains(override.notes[0], "key column event_id may be NULL in PostgreSQL"), override.notes[0]);
  BOOST_TEST(contains(engine::create_table_sql(override), "-- note: key column event_id may be NULL"));

  const auto& ri = table_named(tables, "by_ri");
  BOOST_TEST((ri.model == starrocks_model::primary_key));
  BOOST_TEST(ri.key_columns == std::vector<std::string>{"x"});
  BOOST_TEST(ri.key_source == "replica identity index");

  // StarRocks keys cannot be DECIMAL: the key keeps PostgreSQL's text.
  const auto& dec = table_named(tables, "by_decimal");
  BOOST_TEST(dec.column("amount")->mapping.starrocks_type == "VARCHAR(64)");
  BOOST_TEST((dec.column("amount")->mapping.form == value_form::string));
  BOOST_TEST(contains(engine::create_table_sql(dec), "`amount` VARCHAR(64) NOT NULL COMMENT \"numeric(10,2)\""));
  BOOST_TEST(contains(joined(dec.notes), "held as VARCHAR(64) text: StarRocks keys cannot be DECIMAL(10,2)"));

  // No key: a Duplicate Key table sorted by the first column StarRocks can sort by.
  const auto& keyless = table_named(tables, "keyless");
  BOOST_TEST((keyless.model == starrocks_model::duplicate_key));
  BOOST_TEST(keyless.key_columns.empty());
  BOOST_TEST(keyless.sort_column == "n");
  BOOST_TEST(engine::create_table_sql(keyless) ==
             "-- public.keyless: Duplicate Key table\n"
             "-- note: no key: a Duplicate Key table, which Stream Load only appends to (UPDATE and DELETE of this table "
             "cannot be applied)\n"
             "CREATE TABLE IF NOT EXISTS `analytics`.`keyless` (\n"
             "  `n` INT COMMENT \"integer\",\n"
             "  `ratio` DOUBLE COMMENT \"double precision\",\n"
             "  `doc` JSON COMMENT \"jsonb\",\n"
             "  `t` VARCHAR(1048576) COMMENT \"text\"\n"
             ")\n"
             "DUPLICATE KEY (`n`)\n"
             "DISTRIBUTED BY HASH (`n`);\n");
}

BOOST_AUTO_TEST_CASE(every_unmappable_column_is_reported_with_table_column_and_type) {
  auto db = fresh_database("pg2sr_sr_unmappable");
  sql(db, "CREATE EXTENSION cube; CREATE DOMAIN boxed AS cube;"
          "CREATE TYPE shape AS (id int, extent cube);"
          "CREATE TABLE weird (id int PRIMARY KEY, c cube, cs cube[], ok text);"
          "CREATE TABLE other (id int PRIMARY KEY, b boxed, s shape)");
  auto problems = problems_of("pg2sr_sr_unmappable", starrocks_toml("pg2sr_sr_unmappable"));
  BOOST_REQUIRE_MESSAGE(problems.size() == 4u, joined(problems));
  BOOST_TEST(problems[0] ==
             "public.other.b (declared boxed): type cube has no StarRocks mapping (an extension type pg2sr does not "
             "know); how to fix: change the column to a type with a mapping (e.g. ALTER TABLE \"public\".\"other\" "
             "ALTER COLUMN \"b\" TYPE text USING \"b\"::text), or leave public.other out with [tables] exclude");
  BOOST_TEST(contains(problems[1], "public.other.s: type shape has no StarRocks mapping (field extent: type cube has no "
                                   "StarRocks mapping"),
             problems[1]);
  BOOST_TEST(contains(problems[2], "public.weird.c: type cube has no StarRocks mapping"), problems[2]);
  BOOST_TEST(contains(problems[3], "public.weird.cs: type cube[] has no StarRocks mapping (its elements: type cube"),
             problems[3]);
}

BOOST_AUTO_TEST_CASE(a_key_column_that_is_missing_or_never_sent_is_reported) {
  auto db = fresh_database("pg2sr_sr_bad_keys");
  sql(db, "CREATE TABLE typo (id int PRIMARY KEY, event_id int);"
          "CREATE TABLE derived (a int, b int GENERATED ALWAYS AS (a * 2) STORED PRIMARY KEY)");
  auto problems = problems_of("pg2sr_sr_bad_keys", starrocks_toml("pg2sr_sr_bad_keys",
                                                                  "[tables.override.\"public.typo\"]\nkey_column = \"evnt_id\""));
  BOOST_REQUIRE_MESSAGE(problems.size() == 2u, joined(problems));
  BOOST_TEST(problems[0] == "public.derived: key column \"b\" (primary key) is generated, and pgoutput never sends it");
  BOOST_TEST(problems[1] == "public.typo: key column \"evnt_id\" (key_column) does not exist");
}

BOOST_AUTO_TEST_CASE(names_that_clash_in_starrocks_are_reported) {
  auto db = fresh_database("pg2sr_sr_clash");
  sql(db, "CREATE SCHEMA sales; CREATE TABLE public.t (id int PRIMARY KEY, \"Id\" int);"
          "CREATE TABLE sales.t (id int PRIMARY KEY)");
  auto problems = problems_of("pg2sr_sr_clash", starrocks_toml("pg2sr_sr_clash", "[tables]\ninclude = [\".*\\\\.t\"]"));
  BOOST_REQUIRE_MESSAGE(problems.size() == 2u, joined(problems));
  BOOST_TEST(problems[0] ==
             "public.t: columns \"id\" and \"Id\" differ only in case, which StarRocks column names ignore; how to fix: "
             "rename one");
  BOOST_TEST(problems[1] ==
             "public.t and sales.t both become StarRocks table analytics.t; how to fix: leave one out with [tables] "
             "exclude");
}

// Issue 19.5: names go into Stream Load headers (columns, db, table): one with a control
// character is refused at start, naming table and column, before any load.
BOOST_AUTO_TEST_CASE(names_with_control_characters_are_refused) {
  auto db = fresh_database("pg2sr_sr_ctl");
  sql(db, "CREATE TABLE ctl (id int PRIMARY KEY, U&\"a\\000d\\000aX-Injected: yes\" int); "
          "CREATE TABLE U&\"tab\\0009led\" (id int PRIMARY KEY)");
  auto problems = problems_of("pg2sr_sr_ctl", starrocks_toml("pg2sr_sr_ctl"));
  BOOST_REQUIRE_MESSAGE(problems.size() == 2u, joined(problems));
  BOOST_TEST(problems[0] == "public.ctl: column \"a\\r\\nX-Injected: yes\" has a control character, which a StarRocks "
                            "name cannot hold; how to fix: rename it, or leave public.ctl out with [tables] exclude");
  BOOST_TEST(problems[1] == "public.tab\\tled: the table name has a control character, which a StarRocks name cannot "
                            "hold; how to fix: rename it, or leave it out with [tables] exclude");
}

BOOST_AUTO_TEST_CASE(ddl_prints_the_database_and_every_selected_table) {
  auto db = fresh_database("pg2sr_sr_cli");
  sql(db, "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12,2), placed timestamptz);"
          "CREATE TABLE audit (at timestamptz, what text)");
  config_file file("sr_ddl", starrocks_toml("pg2sr_sr_cli"));
  auto r = run_pg2sr("ddl -c " + file.path());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.starts_with("CREATE DATABASE IF NOT EXISTS `analytics`;\n"), r.output);
  BOOST_TEST(contains(r.output, "CREATE TABLE IF NOT EXISTS `analytics`.`orders` (\n"
                                "  `id` BIGINT NOT NULL COMMENT \"bigint\",\n"
                                "  `total` DECIMAL(12,2) COMMENT \"numeric(12,2)\",\n"
                                "  `placed` DATETIME COMMENT \"timestamp with time zone\"\n"
                                ")\nPRIMARY KEY (`id`)\nDISTRIBUTED BY HASH (`id`);\n"),
             r.output);
  BOOST_TEST(contains(r.output, "CREATE TABLE IF NOT EXISTS `analytics`.`audit` (\n"), r.output);
  BOOST_TEST(contains(r.output, "DUPLICATE KEY (`at`)\n"), r.output);
}

BOOST_AUTO_TEST_CASE(ddl_with_an_unmappable_column_exits_1_naming_it) {
  auto db = fresh_database("pg2sr_sr_cli_bad");
  sql(db, "CREATE EXTENSION cube; CREATE TABLE weird (id int PRIMARY KEY, c cube)");
  config_file file("sr_ddl_bad", starrocks_toml("pg2sr_sr_cli_bad"));
  auto r = run_pg2sr("ddl -c " + file.path());
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(contains(r.output, "public.weird.c: type cube has no StarRocks mapping"), r.output);
  BOOST_TEST(contains(r.output, "pg2sr ddl: 1 problem(s); no DDL printed"), r.output);
  BOOST_TEST(!contains(r.output, "CREATE TABLE"), r.output);
}

BOOST_AUTO_TEST_CASE(ddl_needs_a_starrocks_sink_and_a_postgres_source) {
  config_file null_sink("sr_ddl_null", source_toml(cluster().port, "postgres", "s", "p"));
  auto r = run_pg2sr("ddl -c " + null_sink.path());
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(contains(r.output, "it needs sink.kind = \"starrocks\" and source.kind = \"postgres\" (this file has "
                                "\"null\" and \"postgres\")"),
             r.output);
}

BOOST_AUTO_TEST_CASE(check_with_a_starrocks_sink_maps_every_selected_table) {
  auto db = fresh_database("pg2sr_sr_check");
  sql(db, "CREATE EXTENSION cube; CREATE TABLE good (id int PRIMARY KEY); CREATE TABLE weird (id int PRIMARY KEY, c cube)");
  config_file bad("sr_check_bad", starrocks_toml("pg2sr_sr_check"));
  auto r = run_pg2sr("check -c " + bad.path());
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(contains(r.output, "FAIL: public.weird.c: type cube has no StarRocks mapping"), r.output);
  config_file good("sr_check_good", starrocks_toml("pg2sr_sr_check", "[tables]\ninclude = [\"public\\\\.good\"]"));
  r = run_pg2sr("check -c " + good.path());
  BOOST_TEST(contains(r.output, "ok: 1 selected table(s) map to StarRocks database analytics (1 Primary Key, 0 "
                                "Duplicate Key)"),
             r.output);
}

BOOST_AUTO_TEST_SUITE_END()
