// The pipeline's slot's WAL health (see slot_health.hpp).
#include "engine/source/slot_health.hpp"

namespace pg2sr::engine {

slot_health::slot_health(std::string conninfo, std::string slot) : conninfo_(std::move(conninfo)), slot_(std::move(slot)) {}

slot_health::~slot_health() = default;

std::optional<server_slot> slot_health::read() {
  try {
    if (!conn_ || PQstatus(conn_->get()) != CONNECTION_OK) conn_ = std::make_unique<actors::pg_connection>(conninfo_);
    return find_slot(read_slots(*conn_), slot_);
  } catch (const std::exception&) {
    conn_.reset();  // the stream's own reconnecting says why
    return std::nullopt;
  }
}

}  // namespace pg2sr::engine
