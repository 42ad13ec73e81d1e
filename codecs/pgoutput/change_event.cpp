// Change events and the assembler that builds them from CopyData (see change_event.hpp).
#include "codecs/pgoutput/change_event.hpp"

#include <algorithm>

namespace pg2sr::codecs::pgoutput {

namespace {

/// 'w' type byte + dataStart + walEnd + sendTime: where the pgoutput message starts.
constexpr std::size_t xlog_header_bytes = 25;

decode_error semantic_error(char type, std::string_view detail) {
  return decode_error{decode_errc::bad_value, xlog_header_bytes, type, detail};
}

/// Appends a tuple's columns to `values` and returns where they start.
std::uint32_t append_values(std::vector<column_value>& values, tuple t) {
  auto begin = static_cast<std::uint32_t>(values.size());
  values.insert(values.end(), t.begin(), t.end());
  return begin;
}

}  // namespace

std::string_view to_string(change_op op) {
  switch (op) {
    case change_op::begin: return "begin";
    case change_op::commit: return "commit";
    case change_op::insert: return "insert";
    case change_op::update: return "update";
    case change_op::delete_row: return "delete";
    case change_op::truncate: return "truncate";
    case change_op::message: return "message";
    case change_op::keepalive: return "keepalive";
  }
  return "unknown";
}

// ---- change_batch ------------------------------------------------------------------------

void change_batch::clear() {
  events.clear();
  values.clear();
  buffers.clear();
  relations.clear();
  payload_bytes = 0;
}

void change_batch::keep(const std::shared_ptr<const std::string>& buffer) {
  if (!buffer || (!buffers.empty() && buffers.back() == buffer)) return;
  buffers.push_back(buffer);
}

void change_batch::keep(const std::shared_ptr<const relation_schema>& relation) {
  if (!relation) return;
  // Batches usually touch few tables: look at the most recent ones, and accept an
  // occasional duplicate rather than a linear scan per event.
  std::size_t look = std::min<std::size_t>(relations.size(), 8);
  for (std::size_t i = 0; i < look; ++i)
    if (relations[relations.size() - 1 - i] == relation) return;
  relations.push_back(relation);
}

void change_batch::append(const change_batch& other) {
  auto base = static_cast<std::uint32_t>(values.size());
  values.insert(values.end(), other.values.begin(), other.values.end());
  events.reserve(events.size() + other.events.size());
  for (change_event e : other.events) {
    e.new_begin += base;
    e.old_begin += base;
    events.push_back(e);
  }
  for (const auto& b : other.buffers) keep(b);
  for (const auto& r : other.relations) keep(r);
  payload_bytes += other.payload_bytes;
}

// ---- change_assembler --------------------------------------------------------------------

std::size_t change_assembler::buffered_bytes() const {
  std::size_t n = 0;
  for (const auto& [xid, s] : streams_) n += s.batch.payload_bytes;
  return n;
}

void change_assembler::reset() {
  // The open transaction's events appended so far (in an earlier session too) are skipped
  // when the server resends it.
  if (open_final_ != 0 && (cut_final_ != open_final_ || open_seen_ > cut_count_)) {
    cut_final_ = open_final_;
    cut_count_ = open_seen_;
    cut_last_lsn_ = open_last_lsn_;
  }
  resent_upto_ = appended_upto_;
  open_final_ = 0;
  open_seen_ = 0;
  decoder_.reset();
  txn_open_ = false;
  txn_xid_ = 0;
  txn_final_lsn_ = 0;
  streams_.clear();
  current_stream_ = nullptr;
  current_stream_xid_ = 0;
}

std::optional<decode_error> change_assembler::feed(std::string_view copy_data,
                                                   const std::shared_ptr<const std::string>& owner,
                                                   change_batch& out) {
  std::size_t first = out.events.size();
  auto err = assemble(copy_data, owner, out);
  if (!err) err = drop_resent(out, first);
  if (err) out.events.resize(first);
  return err;
}

// Keeps of the events from `first` on those not appended before a reset (see the class),
// and notes what is appended.
std::optional<decode_error> change_assembler::drop_resent(change_batch& out, std::size_t first) {
  std::size_t kept = first;
  for (std::size_t i = first; i < out.events.size(); ++i) {
    const change_event& e = out.events[i];
    bool pass = true;
    if (e.op == change_op::keepalive) {
      pass = cut_final_ == 0;  // the cut transaction is open downstream until its commit
    } else if (e.txn_final_lsn == 0) {  // a non-transactional message
      pass = e.lsn > resent_upto_;
      if (pass) appended_upto_ = std::max(appended_upto_, e.lsn);
    } else if (e.txn_final_lsn <= resent_upto_) {
      pass = false;  // the whole transaction was appended before the reset
    } else {
      if (e.op == change_op::begin) {
        if (cut_final_ != 0 && e.txn_final_lsn != cut_final_)
          return semantic_error('B', "after a reconnect the server did not resend the transaction it was sending");
        open_final_ = e.txn_final_lsn;
        open_seen_ = 0;
      }
      std::size_t index = open_seen_++;
      if (e.txn_final_lsn == cut_final_ && index < cut_count_) {
        pass = false;
        if (e.op == change_op::commit || (index + 1 == cut_count_ && e.lsn != cut_last_lsn_))
          return semantic_error(e.op == change_op::commit ? 'C' : 'B',
                                "after a reconnect the server resent a transaction otherwise than before");
      } else {
        open_last_lsn_ = e.lsn;
      }
      if (e.op == change_op::commit) {
        appended_upto_ = e.txn_final_lsn;
        if (cut_final_ == e.txn_final_lsn) cut_final_ = 0, cut_count_ = 0;
        open_final_ = 0;
        open_seen_ = 0;
      }
    }
    if (pass) out.events[kept++] = e;
  }
  out.events.resize(kept);
  return std::nullopt;
}

std::optional<decode_error> change_assembler::assemble(std::string_view copy_data,
                                                       const std::shared_ptr<const std::string>& owner,
                                                       change_batch& out) {
  auto env = decode_envelope(copy_data);
  if (auto* err = std::get_if<decode_error>(&env)) return *err;
  const auto& e = std::get<envelope>(env);

  if (const auto* k = std::get_if<keepalive>(&e)) {
    if (!in_transaction()) {
      change_event ev;
      ev.op = change_op::keepalive;
      ev.lsn = k->wal_end;
      ev.time = k->send_time;
      ev.flags = k->reply_requested ? keepalive_reply_requested : 0;
      out.events.push_back(ev);
      out.payload_bytes += copy_data.size();
    }
    return std::nullopt;
  }
  if (std::holds_alternative<status_update>(e))
    return decode_error{decode_errc::bad_value, 0, 'r', "status update is sent by the client, not the walsender"};

  const auto& x = std::get<xlog_data>(e);
  auto decoded = decoder_.decode(x.payload);
  if (auto* err = std::get_if<decode_error>(&decoded)) {
    decode_error shifted = *err;
    shifted.offset += xlog_header_bytes;
    return shifted;
  }
  return on_message(std::get<message>(decoded), x, copy_data.size(), owner, out);
}

std::optional<decode_error> change_assembler::on_message(const message& msg, const xlog_data& x,
                                                         std::size_t copy_bytes,
                                                         const std::shared_ptr<const std::string>& owner,
                                                         change_batch& out) {
  if (std::holds_alternative<insert_msg>(msg) || std::holds_alternative<update_msg>(msg) ||
      std::holds_alternative<delete_msg>(msg) || std::holds_alternative<truncate_msg>(msg))
    return on_change(msg, x, copy_bytes, owner, out);

  if (const auto* m = std::get_if<relation_msg>(&msg)) {
    relations_.apply(*m);
    return std::nullopt;
  }
  if (const auto* m = std::get_if<type_msg>(&msg)) {
    relations_.apply(*m);
    return std::nullopt;
  }
  if (std::holds_alternative<origin_msg>(msg)) return std::nullopt;

  if (const auto* m = std::get_if<begin_msg>(&msg)) {
    if (txn_open_) return semantic_error('B', "Begin inside an open transaction");
    if (current_stream_ != nullptr) return semantic_error('B', "Begin inside a stream block");
    txn_open_ = true;
    txn_xid_ = m->xid;
    txn_final_lsn_ = m->final_lsn;
    change_event ev;
    ev.op = change_op::begin;
    ev.xid = m->xid;
    ev.lsn = x.data_start;
    ev.txn_final_lsn = m->final_lsn;
    ev.time = m->commit_time;
    out.events.push_back(ev);
    out.payload_bytes += copy_bytes;
    return std::nullopt;
  }
  if (const auto* m = std::get_if<commit_msg>(&msg)) {
    if (!txn_open_) return semantic_error('C', "Commit without Begin");
    change_event ev;
    ev.op = change_op::commit;
    ev.xid = txn_xid_;
    ev.lsn = x.data_start;
    ev.txn_final_lsn = txn_final_lsn_;
    ev.end_lsn = m->end_lsn;
    ev.time = m->commit_time;
    out.events.push_back(ev);
    out.payload_bytes += copy_bytes;
    txn_open_ = false;
    txn_xid_ = 0;
    txn_final_lsn_ = 0;
    return std::nullopt;
  }

  if (const auto* m = std::get_if<logical_message_msg>(&msg)) {
    change_batch* target = &out;
    change_event ev;
    ev.op = change_op::message;
    ev.lsn = m->lsn;
    ev.flags = m->flags & message_transactional;
    if (m->transactional()) {
      if (current_stream_ != nullptr) {
        target = &current_stream_->batch;
        ev.xid = m->xid.value_or(current_stream_xid_);
      } else if (txn_open_) {
        ev.xid = txn_xid_;
        ev.txn_final_lsn = txn_final_lsn_;
      } else {
        return semantic_error('M', "transactional Message outside a transaction");
      }
    }
    ev.new_begin = static_cast<std::uint32_t>(target->values.size());
    ev.new_count = 2;
    target->values.push_back(column_value{value_kind::text, m->prefix});
    target->values.push_back(column_value{value_kind::text, m->content});
    target->events.push_back(ev);
    target->keep(owner);
    target->payload_bytes += copy_bytes;
    return std::nullopt;
  }

  if (const auto* m = std::get_if<stream_start_msg>(&msg)) {
    // The decoder has entered the stream block; leave it again if the assembler refuses.
    if (txn_open_) {
      decoder_.reset();
      return semantic_error('S', "Stream Start inside an open transaction");
    }
    auto it = streams_.find(m->xid);
    if (m->first_segment != 0) {
      if (it != streams_.end()) {
        decoder_.reset();
        return semantic_error('S', "Stream Start first segment of a transaction already streaming");
      }
      it = streams_.emplace(m->xid, streamed_txn{}).first;
      it->second.first_lsn = x.data_start;
    } else if (it == streams_.end()) {
      decoder_.reset();
      return semantic_error('S', "Stream Start continues a transaction whose first segment was not seen");
    }
    current_stream_ = &it->second;
    current_stream_xid_ = m->xid;
    return std::nullopt;
  }
  if (std::holds_alternative<stream_stop_msg>(msg)) {
    current_stream_ = nullptr;
    current_stream_xid_ = 0;
    return std::nullopt;
  }
  if (const auto* m = std::get_if<stream_commit_msg>(&msg)) {
    if (current_stream_ != nullptr) return semantic_error('c', "Stream Commit inside a stream block");
    if (txn_open_) return semantic_error('c', "Stream Commit inside an open transaction");
    auto it = streams_.find(m->xid);
    if (it == streams_.end()) return semantic_error('c', "Stream Commit of a transaction that was not streamed");
    change_batch& held = it->second.batch;

    change_event begin;
    begin.op = change_op::begin;
    begin.xid = m->xid;
    begin.lsn = it->second.first_lsn;
    begin.txn_final_lsn = m->commit_lsn;
    begin.time = m->commit_time;
    out.events.push_back(begin);
    std::size_t first = out.events.size();
    out.append(held);
    for (std::size_t i = first; i < out.events.size(); ++i) {
      out.events[i].xid = m->xid;  // held changes carry their subxid until now
      out.events[i].txn_final_lsn = m->commit_lsn;
    }
    change_event commit;
    commit.op = change_op::commit;
    commit.xid = m->xid;
    commit.lsn = x.data_start;
    commit.txn_final_lsn = m->commit_lsn;
    commit.end_lsn = m->end_lsn;
    commit.time = m->commit_time;
    out.events.push_back(commit);
    out.payload_bytes += copy_bytes;
    streams_.erase(it);
    return std::nullopt;
  }
  if (const auto* m = std::get_if<stream_abort_msg>(&msg)) {
    if (current_stream_ != nullptr) return semantic_error('A', "Stream Abort inside a stream block");
    auto it = streams_.find(m->xid);
    if (it == streams_.end()) return std::nullopt;  // nothing held: nothing to discard
    if (m->subxid == m->xid) {
      streams_.erase(it);
    } else {
      auto& events = it->second.batch.events;
      std::erase_if(events, [&](const change_event& ev) { return ev.xid == m->subxid; });
    }
    return std::nullopt;
  }
  if (const auto* m = std::get_if<two_phase_msg>(&msg))
    return semantic_error(m->type, "two-phase messages are not supported (start replication without two_phase)");
  return semantic_error(0, "unhandled message");
}

std::optional<decode_error> change_assembler::on_change(const message& msg, const xlog_data& x,
                                                        std::size_t copy_bytes,
                                                        const std::shared_ptr<const std::string>& owner,
                                                        change_batch& out) {
  change_batch* target = &out;
  change_event ev;
  ev.lsn = x.data_start;
  std::optional<std::uint32_t> msg_xid;
  std::visit(
      [&](const auto& m) {
        if constexpr (requires { m.xid; }) msg_xid = m.xid;
      },
      msg);
  char type = std::holds_alternative<insert_msg>(msg)   ? 'I'
              : std::holds_alternative<update_msg>(msg) ? 'U'
              : std::holds_alternative<delete_msg>(msg) ? 'D'
                                                        : 'T';
  if (current_stream_ != nullptr) {
    target = &current_stream_->batch;
    ev.xid = msg_xid.value_or(current_stream_xid_);
  } else if (txn_open_) {
    ev.xid = txn_xid_;
    ev.txn_final_lsn = txn_final_lsn_;
  } else {
    return semantic_error(type, "change outside a transaction");
  }

  if (const auto* m = std::get_if<truncate_msg>(&msg)) {
    // Validate every relid first: feed() appends all or nothing.
    for (std::uint32_t relid : m->relids)
      if (!relations_.find(relid)) return semantic_error('T', "Truncate of a relation with no Relation message");
    ev.op = change_op::truncate;
    ev.flags = m->flags;
    for (std::uint32_t relid : m->relids) {
      const auto& rel = relations_.find(relid);
      // A mapped partition's own TRUNCATE is not its root's (a root's lists the root too);
      // PostgreSQL does not publish it via the root either.
      if (rel->relid != relid) continue;
      ev.relid = relid;
      ev.relation = rel.get();
      target->events.push_back(ev);
      target->keep(rel);
    }
    target->payload_bytes += copy_bytes;
    return std::nullopt;
  }

  std::uint32_t relid = 0;
  tuple new_tuple, old_tuple;
  if (const auto* m = std::get_if<insert_msg>(&msg)) {
    ev.op = change_op::insert;
    relid = m->relid;
    new_tuple = m->new_tuple;
  } else if (const auto* m = std::get_if<update_msg>(&msg)) {
    ev.op = change_op::update;
    relid = m->relid;
    new_tuple = m->new_tuple;
    old_tuple = m->old_tuple;
    ev.old_kind = m->old_kind;
  } else {
    const auto& d = std::get<delete_msg>(msg);
    ev.op = change_op::delete_row;
    relid = d.relid;
    old_tuple = d.old_tuple;
    ev.old_kind = d.old_kind;
  }
  const auto& rel = relations_.find(relid);
  if (!rel) return semantic_error(type, "change for a relation with no Relation message");
  std::size_t ncols = rel->columns.size();
  if ((ev.op != change_op::delete_row && new_tuple.size() != ncols) || (ev.old_kind != 0 && old_tuple.size() != ncols))
    return semantic_error(type, "tuple column count differs from the Relation message");

  ev.relid = rel->relid;  // a mapped partition's root
  ev.relation = rel.get();
  if (ev.op != change_op::delete_row) {
    ev.new_count = static_cast<std::uint32_t>(new_tuple.size());
    ev.new_begin = append_values(target->values, new_tuple);
  }
  if (ev.old_kind != 0) {
    ev.old_count = static_cast<std::uint32_t>(old_tuple.size());
    ev.old_begin = append_values(target->values, old_tuple);
  }
  target->events.push_back(ev);
  target->keep(rel);
  target->keep(owner);
  target->payload_bytes += copy_bytes;
  return std::nullopt;
}

}  // namespace pg2sr::codecs::pgoutput
