// The checkpoint file, replaced atomically (actors/core/durable_file.hpp).
#include "actors/core/checkpoint_store.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "actors/core/durable_file.hpp"
#include "codecs/pgoutput/lsn.hpp"

namespace pg2sr::actors {

checkpoint_store::checkpoint_store(std::filesystem::path state_dir)
    : dir_(std::move(state_dir)), file_(dir_ / "checkpoint.json") {}

std::optional<checkpoint_state> checkpoint_store::load() const {
  std::ifstream in(file_);
  if (!in) {
    if (std::filesystem::exists(file_)) throw std::runtime_error("cannot read checkpoint " + file_.string());
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(ss.str());
    checkpoint_state s;
    auto lsn = codecs::parse_lsn(j.at("durable_lsn").get<std::string>());
    if (!lsn) throw std::runtime_error("durable_lsn is not an LSN");
    s.durable_lsn = *lsn;
    s.source_id = j.value("source_id", "");
    if (j.contains("snapshot")) {
      for (const auto& jt : j.at("snapshot").at("tables")) {
        snapshot_table_state t;
        t.relid = jt.at("relid").get<std::uint32_t>();
        t.schema = jt.at("schema").get<std::string>();
        t.name = jt.at("name").get<std::string>();
        t.select_list = jt.at("select_list").get<std::string>();
        t.columns = jt.at("columns").get<std::vector<std::string>>();
        t.key_columns = jt.at("key_columns").get<std::vector<std::string>>();
        t.key_source = jt.at("key_source").get<std::string>();
        t.written_before = jt.value("written_before", "");
        t.rows_listed = jt.value("rows_listed", false);
        for (const auto& jc : jt.at("chunks")) {
          snapshot_chunk_state c;
          c.index = jc.at("index").get<std::uint32_t>();
          c.predicate = jc.at("predicate").get<std::string>();
          c.description = jc.value("description", "");
          c.estimated_rows = jc.value("estimated_rows", std::uint64_t{0});
          c.done = jc.at("done").get<bool>();
          c.source_relid = jc.value("source_relid", std::uint32_t{0});
          c.deletes = jc.value("deletes", false);
          c.target_keys = jc.value("target_keys", false);
          c.keys_file = jc.value("keys_file", "");
          if (c.keys_file.find_first_of("/\\") != std::string::npos || c.keys_file.starts_with("."))
            throw std::runtime_error("keys_file is not a file name");
          t.chunks.push_back(std::move(c));
        }
        s.snapshot.tables.push_back(std::move(t));
      }
      s.snapshot.resync_pending = j.at("snapshot").value("resync_pending", false);
      auto partitions = j.at("snapshot").value("partition_leaves", nlohmann::json::object());
      for (const auto& [root, leaves] : partitions.items())
        s.snapshot.partition_leaves[static_cast<std::uint32_t>(std::stoul(root))] =
            leaves.get<std::vector<std::uint32_t>>();
    }
    if (j.contains("prepared"))
      for (const auto& jp : j.at("prepared")) {
        auto commit_lsn = codecs::parse_lsn(jp.at("commit_lsn").get<std::string>());
        if (!commit_lsn) throw std::runtime_error("prepared: commit_lsn is not an LSN");
        s.prepared.push_back({jp.at("db").get<std::string>(), jp.at("table").get<std::string>(),
                              jp.at("label").get<std::string>(), *commit_lsn});
      }
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint " + file_.string() + " is damaged (" + e.what() +
                             "); restore it or remove the state_dir to start over");
  }
}

void checkpoint_store::save(const checkpoint_state& state) const {
  std::filesystem::create_directories(dir_);
  nlohmann::json j{{"version", 1}, {"durable_lsn", codecs::format_lsn(state.durable_lsn)},
                   {"source_id", state.source_id}};
  if (!state.snapshot.tables.empty() || !state.snapshot.partition_leaves.empty() || state.snapshot.resync_pending) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : state.snapshot.tables) {
      nlohmann::json chunks = nlohmann::json::array();
      for (const auto& c : t.chunks) {
        chunks.push_back({{"index", c.index}, {"predicate", c.predicate}, {"description", c.description},
                          {"estimated_rows", c.estimated_rows}, {"done", c.done}});
        if (c.source_relid != 0) chunks.back()["source_relid"] = c.source_relid;
        if (c.deletes) chunks.back()["deletes"] = true;
        if (c.target_keys) chunks.back()["target_keys"] = true;
        if (!c.keys_file.empty()) chunks.back()["keys_file"] = c.keys_file;
      }
      tables.push_back({{"relid", t.relid}, {"schema", t.schema}, {"name", t.name}, {"select_list", t.select_list},
                        {"columns", t.columns}, {"key_columns", t.key_columns}, {"key_source", t.key_source},
                        {"chunks", chunks}});
      if (!t.written_before.empty()) tables.back()["written_before"] = t.written_before;
      if (t.rows_listed) tables.back()["rows_listed"] = true;
    }
    j["snapshot"] = {{"tables", tables}};
    if (state.snapshot.resync_pending) j["snapshot"]["resync_pending"] = true;
    if (!state.snapshot.partition_leaves.empty()) {
      nlohmann::json leaves = nlohmann::json::object();
      for (const auto& [root, l] : state.snapshot.partition_leaves) leaves[std::to_string(root)] = l;
      j["snapshot"]["partition_leaves"] = leaves;
    }
  }
  if (!state.prepared.empty()) {
    nlohmann::json prepared = nlohmann::json::array();
    for (const auto& p : state.prepared)
      prepared.push_back({{"db", p.db}, {"table", p.table}, {"label", p.label}, {"commit_lsn", codecs::format_lsn(p.commit_lsn)}});
    j["prepared"] = prepared;
  }
  replace_file_durably(file_, j.dump(2) + "\n");
}

}  // namespace pg2sr::actors
