// Relation cache: latest Relation/Type message per relid/oid (see relation_cache.hpp).
#include "codecs/pgoutput/relation_cache.hpp"

namespace pg2sr::codecs::pgoutput {

namespace {
std::string namespace_name(std::string_view nspname) {
  // pgoutput writes "" for pg_catalog to save space.
  return nspname.empty() ? std::string("pg_catalog") : std::string(nspname);
}
}  // namespace

std::optional<std::size_t> relation_schema::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return i;
  return std::nullopt;
}

bool relation_schema::same_columns(const relation_schema& other) const {
  if (columns.size() != other.columns.size()) return false;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& a = columns[i];
    const auto& b = other.columns[i];
    if (a.name != b.name || a.type_oid != b.type_oid || a.typmod != b.typmod || a.is_key != b.is_key)
      return false;
  }
  return true;
}

std::string relation_schema::qualified_name() const { return nspname + "." + relname; }

const std::shared_ptr<const relation_schema>& relation_cache::apply(const relation_msg& msg) {
  auto schema = std::make_shared<relation_schema>();
  schema->relid = msg.relid;
  schema->nspname = namespace_name(msg.nspname);
  schema->relname = std::string(msg.relname);
  schema->replica_identity = msg.replica_identity;
  schema->columns.reserve(msg.columns.size());
  for (std::size_t i = 0; i < msg.columns.size(); ++i) {
    const auto& c = msg.columns[i];
    column_schema col;
    col.name = std::string(c.name);
    col.type_oid = c.type_oid;
    col.typmod = c.typmod;
    col.is_key = c.is_key();
    if (const type_info* t = type(c.type_oid)) {
      col.type_nspname = t->nspname;
      col.type_name = t->name;
    }
    if (col.is_key) schema->key_columns.push_back(static_cast<std::uint16_t>(i));
    schema->columns.push_back(std::move(col));
  }
  auto& slot = relations_[msg.relid];
  if (auto root = lookup_ ? lookup_(msg.relid) : std::nullopt) {
    schema->relid = root->relid;
    schema->nspname = root->nspname;
    schema->relname = root->relname;
    auto& shared = root_schemas_[root->relid];
    if (shared && shared->same_columns(*schema) && shared->replica_identity == schema->replica_identity) {
      slot = shared;  // no new version: rows of sibling partitions batch together
      return slot;
    }
    schema->version = ++last_version_;
    shared = schema;
    slot = std::move(schema);
    return slot;
  }
  schema->version = ++last_version_;
  slot = std::move(schema);
  return slot;
}

void relation_cache::apply(const type_msg& msg) {
  types_[msg.oid] = type_info{msg.oid, namespace_name(msg.nspname), std::string(msg.name)};
}

const std::shared_ptr<const relation_schema>& relation_cache::find(std::uint32_t relid) const {
  static const std::shared_ptr<const relation_schema> none;
  auto it = relations_.find(relid);
  return it == relations_.end() ? none : it->second;
}

const type_info* relation_cache::type(std::uint32_t oid) const {
  auto it = types_.find(oid);
  return it == types_.end() ? nullptr : &it->second;
}

void relation_cache::clear() {
  relations_.clear();
  root_schemas_.clear();
  types_.clear();
}

}  // namespace pg2sr::codecs::pgoutput
