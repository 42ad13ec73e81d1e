// Hand-built relations and change events for actor tests, without a decoder in between.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/pgoutput/change_event.hpp"
#include "codecs/pgoutput/relation_cache.hpp"

namespace pg2sr::test {

/// public.`relname` with `columns` (name, type oid, typmod, is_key, "", "").
inline std::shared_ptr<codecs::pgoutput::relation_schema> test_relation(
    std::uint32_t relid, std::string relname, std::vector<codecs::pgoutput::column_schema> columns) {
  auto r = std::make_shared<codecs::pgoutput::relation_schema>();
  r->relid = relid;
  r->nspname = "public";
  r->relname = std::move(relname);
  r->columns = std::move(columns);
  return r;
}

/// Appends an insert into `rel` (a one-column table) of the text `key`; `key` must outlive `b`.
inline void append_insert(codecs::pgoutput::change_batch& b, const codecs::pgoutput::relation_schema& rel,
                          std::string_view key) {
  codecs::pgoutput::change_event ins;
  ins.op = codecs::pgoutput::change_op::insert;
  ins.relid = rel.relid;
  ins.relation = &rel;
  ins.new_begin = static_cast<std::uint32_t>(b.values.size());
  ins.new_count = 1;
  b.values.push_back({codecs::pgoutput::value_kind::text, key});
  b.events.push_back(ins);
}

/// Appends a commit ending at `end_lsn`.
inline void append_commit(codecs::pgoutput::change_batch& b, codecs::pgoutput::lsn_t end_lsn) {
  codecs::pgoutput::change_event commit;
  commit.op = codecs::pgoutput::change_op::commit;
  commit.end_lsn = end_lsn;
  b.events.push_back(commit);
}

}  // namespace pg2sr::test
