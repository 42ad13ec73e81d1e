// Snapshot progress bookkeeping.
#include "actors/snapshot/snapshot_state.hpp"

#include <algorithm>

namespace pg2sr::actors {

std::size_t snapshot_table_state::chunks_done() const {
  return static_cast<std::size_t>(std::count_if(chunks.begin(), chunks.end(), [](const auto& c) { return c.done; }));
}

bool snapshot_state::complete() const { return chunks_done() == chunks_total(); }

std::size_t snapshot_state::chunks_total() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.chunks.size();
  return n;
}

std::size_t snapshot_state::chunks_done() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.chunks_done();
  return n;
}

snapshot_table_state* snapshot_state::find(std::uint32_t relid) {
  for (auto& t : tables)
    if (t.relid == relid) return &t;
  return nullptr;
}

const snapshot_table_state* snapshot_state::find(std::uint32_t relid) const {
  return const_cast<snapshot_state*>(this)->find(relid);
}

}  // namespace pg2sr::actors
