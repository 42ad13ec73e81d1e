// Folds one table's change events into a load_batch holding the final state of each key.
//
// Rules (per key, in stream order): insert/update -> upsert of the newest values;
// insert + delete -> delete; an update whose new tuple has unchanged-TOAST ('u') columns is
// completed from the old tuple under REPLICA IDENTITY FULL, else merged onto an earlier
// upsert of the same key in the batch, else stays partial (rows of a keyless table are
// never folded: identical rows are distinct rows); a key
// change (old tuple differs) -> delete of the old key, then upsert of the new one; TRUNCATE
// -> everything before it is dropped and the batch starts with a truncate. Rows keep the
// order of their last change, so a delete and an upsert that the target sees as the same
// key are applied in the order they happened. A delete stays (is not folded away) when the
// row after it cannot replace the deleted row whole: a partial row moving into its key
// (its missing values are its own, not the deleted row's), or any row of the key when the
// delete is the first half of such a move (the pair moves the target's row).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "actors/core/load_batch.hpp"

namespace pg2sr::actors {

class table_compactor {
 public:
  /// `distinct_rows`: a table without a key (REPLICA IDENTITY FULL flags every column as
  /// key): two identical rows are two rows, so nothing is folded.
  explicit table_compactor(std::shared_ptr<const relation_schema> relation, bool distinct_rows = false);

  /// Adds an insert, update, delete or truncate event of this table from `source`.
  void add(const std::shared_ptr<const codecs::pgoutput::change_batch>& source,
           const codecs::pgoutput::change_event& event, std::uint64_t position);

  /// Adds a snapshot row of `chunk` (an insert whose key appears once in its chunk):
  /// appended without a compaction lookup. Later changes of the key come after it in the
  /// batch, so the order alone keeps the final state right.
  void add_unique(const std::shared_ptr<const codecs::pgoutput::change_batch>& source,
                  const codecs::pgoutput::change_event& event, std::uint64_t position, const chunk_ref& chunk);

  bool empty() const { return batch_->events == 0; }
  std::size_t events() const { return batch_->events; }
  std::size_t bytes() const { return batch_->bytes; }
  std::uint64_t first_position() const { return batch_->first_position; }
  const relation_schema* relation() const { return batch_->relation.get(); }

  /// Hands over the batch (rows in order, dead ones removed) and starts an empty one.
  std::shared_ptr<load_batch> take(std::uint64_t id);

 private:
  void note(const std::shared_ptr<const codecs::pgoutput::change_batch>& source,
            const codecs::pgoutput::change_event& e, std::uint64_t position);
  void put(row_op op, codecs::pgoutput::tuple values, const codecs::pgoutput::change_event& e,
           std::string key, bool moved = false, bool moves_out = false);
  std::string key_of(codecs::pgoutput::tuple values) const;
  codecs::pgoutput::tuple merge(codecs::pgoutput::tuple older, codecs::pgoutput::tuple newer);

  std::shared_ptr<load_batch> batch_;
  std::vector<bool> alive_;                              ///< per row: not superseded
  std::unordered_map<std::string, std::size_t> by_key_;  ///< key -> its live row
};

}  // namespace pg2sr::actors
