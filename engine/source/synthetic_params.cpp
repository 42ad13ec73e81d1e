// Translation of the synthetic source's configuration into generator parameters.
#include "engine/source/synthetic_params.hpp"

namespace pg2sr::engine {

codecs::wal_gen::generator_params generator_params_of(const config::synthetic_source& s) {
  codecs::wal_gen::generator_params p;
  p.seed = s.seed;
  p.table_count = static_cast<std::uint32_t>(s.tables);
  p.column_count = static_cast<std::uint32_t>(s.columns);
  p.avg_row_bytes = static_cast<std::uint32_t>(s.row_bytes);
  p.min_rows_per_txn = static_cast<std::uint32_t>(s.txn_rows_min);
  p.max_rows_per_txn = static_cast<std::uint32_t>(s.txn_rows_max);
  auto weight = [](double w) { return static_cast<std::uint32_t>(w * 1000.0 + 0.5); };
  p.operations.inserts = weight(s.insert_weight);
  p.operations.updates = weight(s.update_weight);
  p.operations.deletes = weight(s.delete_weight);
  p.operations.truncates = weight(s.truncate_weight);
  p.unchanged_toast_share = s.unchanged_toast_share;
  p.identity = s.identity == config::replica_identity::full ? codecs::wal_gen::identity_mode::full
                                                            : codecs::wal_gen::identity_mode::default_key;
  p.max_changes = s.max_events;
  p.keepalive_every_txns = 64;  // idle points, as a walsender sends between transactions
  return p;
}

}  // namespace pg2sr::engine
