// Live PostgreSQL source: the actor front and the libpq replication thread.
#include "actors/source/pg_replication_source.hpp"

#include <concurrentqueue/concurrentqueue.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>

#include "actors/source/pg_connection.hpp"
#include "codecs/pgoutput/lsn.hpp"
#include "codecs/pgoutput/pgoutput.hpp"

namespace pg2sr::actors {

namespace pgo = codecs::pgoutput;
using steady = std::chrono::steady_clock;

int pgoutput_protocol_for(int server_version) {
  if (server_version >= 160000) return 4;
  if (server_version >= 150000) return 3;
  if (server_version >= 140000) return 2;
  return 1;
}

std::string start_replication_command(const replication_settings& s, std::uint64_t lsn, int proto) {
  std::string cmd = "START_REPLICATION SLOT " + quote_ident(s.slot) + " LOGICAL " + codecs::format_lsn(lsn) +
                    " (proto_version '" + std::to_string(proto) + "', publication_names " +
                    quote_replication_literal(quote_ident(s.publication)) + ", messages 'true'";
  if (proto >= 2 && s.streaming) cmd += ", streaming 'on'";
  if (s.binary) cmd += ", binary 'true'";
  return cmd + ")";
}

std::string explain_replication_error(const std::string& sqlstate, const std::string& message,
                                      const std::string& slot) {
  if (sqlstate == "53300" || message.find("exceeds max_wal_senders") != std::string::npos)
    return message + " -- every walsender is in use; pg2sr needs exactly one per pipeline: raise max_wal_senders "
                     "(server restart) or stop an unused replication client (see pg_stat_replication)";
  if (sqlstate == "55006" || message.find("is active for PID") != std::string::npos)
    return message + " -- another process streams from slot \"" + slot +
           "\": stop it (SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" +
           slot + "') or give this pipeline its own slot";
  if (message.find("has been invalidated") != std::string::npos)
    return message + " -- PostgreSQL removed WAL the slot still needed (max_slot_wal_keep_size); the changes in it "
                     "cannot be read any more. `pg2sr check -c FILE` says how to start over";
  if (message.find("all replication slots are in use") != std::string::npos)
    return message + " -- raise max_replication_slots (server restart) or drop an unused slot";
  return message;
}

bool replication_error_is_permanent(const std::string& sqlstate, const std::string& message) {
  static const char* permanent_states[] = {"28P01", "28000", "3D000", "42501", "42704", "55000", "42602"};
  for (const char* s : permanent_states)
    if (sqlstate == s) return true;
  return message.find("password authentication failed") != std::string::npos ||
         message.find("does not exist") != std::string::npos ||
         message.find("must be superuser or replication role") != std::string::npos ||
         message.find("permission denied") != std::string::npos;
}

// ---- the thread's side ----------------------------------------------------------------

/// Commands from the actor to the thread.
struct reader_command {
  enum class kind : std::uint8_t { credit, durable, stop } what = kind::credit;
  std::uint64_t value = 0;
};

struct replication_reader {
  replication_settings settings;
  decoder_actor downstream;
  source_actor front;  ///< the actor, for source_failed_msg
  pipeline_metrics* metrics = nullptr;
  moodycamel::ConcurrentQueue<reader_command> commands;
  int wake_fd = -1;
  std::atomic<bool> shutdown{false};

  // Thread-local from here on.
  std::int64_t credit = 0;
  std::uint64_t durable = 0;
  std::uint64_t received = 0;  ///< walEnd of the last message read
  bool stopping = false;        ///< stop asked: end the stream, keep acknowledging
  bool ended = false;           ///< end_of_stream sent
  bool restart_pending = true;  ///< next chunk starts a walsender session
  std::shared_ptr<raw_chunk> chunk = std::make_shared<raw_chunk>();
  steady::time_point chunk_started;  ///< when the chunk's first message arrived

  void wake() {
    std::uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
  }
  void run();

 private:
  struct session;
  void drain_commands();
  void end_stream();
  void flush_chunk();
  bool stream(PGconn* conn);
  int read_available(PGconn* conn, bool& reply_now);
  bool sleep_backoff(std::chrono::milliseconds d);
  void fail(const std::string& reason);
};

void replication_reader::drain_commands() {
  std::uint64_t drained;
  (void)!::read(wake_fd, &drained, sizeof drained);
  reader_command cmd;
  while (commands.try_dequeue(cmd)) {
    switch (cmd.what) {
      case reader_command::kind::credit: credit += static_cast<std::int64_t>(cmd.value); break;
      case reader_command::kind::durable: durable = std::max(durable, cmd.value); break;
      case reader_command::kind::stop: stopping = true; break;
    }
  }
}

void replication_reader::flush_chunk() {
  if (chunk->empty()) return;
  credit -= static_cast<std::int64_t>(chunk->bytes.size());
  metrics->source_bytes.fetch_add(chunk->bytes.size(), std::memory_order_relaxed);
  metrics->source_chunks.fetch_add(1, std::memory_order_relaxed);
  metrics->source_lsn.store(received, std::memory_order_relaxed);
  caf::anon_send(downstream, wal_chunk_msg{std::move(chunk), restart_pending});
  restart_pending = false;
  chunk = std::make_shared<raw_chunk>();
}

void replication_reader::end_stream() {
  if (ended) return;
  flush_chunk();
  ended = true;
  caf::anon_send(downstream, end_of_stream_msg{});
}

void replication_reader::fail(const std::string& reason) {
  spdlog::error("source {}: {}", settings.where, reason);
  caf::anon_send(front, source_failed_msg{reason});
  stopping = true;
  ended = true;  // the pipeline stops; nothing more to send
}

// Sleeps `d` unless stop or shutdown comes first; false when the reader must stop.
bool replication_reader::sleep_backoff(std::chrono::milliseconds d) {
  auto until = steady::now() + d;
  while (!shutdown.load() && steady::now() < until) {
    pollfd p{wake_fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
    ::poll(&p, 1, static_cast<int>(std::max<long>(1, std::min<long>(left, 200))));
    drain_commands();
    if (stopping) {
      end_stream();
      return false;
    }
  }
  return !shutdown.load();
}

namespace {

// Sends a standby status update: everything up to `durable` is safely applied.
bool send_status(PGconn* conn, std::uint64_t durable, bool reply_requested) {
  pgo::status_update s;
  s.write = s.flush = s.apply = durable;
  auto since_2000 = std::chrono::system_clock::now().time_since_epoch() - std::chrono::seconds(946'684'800);
  s.client_time = std::chrono::duration_cast<std::chrono::microseconds>(since_2000).count();
  s.reply_requested = reply_requested;
  std::string bytes;
  pgo::encode(pgo::envelope{s}, bytes);
  return PQputCopyData(conn, bytes.data(), static_cast<int>(bytes.size())) == 1 && PQflush(conn) == 0;
}

std::uint64_t be64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

struct conn_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};

}  // namespace

// Appends every complete CopyData message libpq holds to the chunk (shipping full chunks).
// Returns how many were read, or -1 when the connection ended.
int replication_reader::read_available(PGconn* conn, bool& reply_now) {
  int count = 0;
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn, &buf, 1);
    if (n == 0) return count;
    if (n < 0) {
      if (buf) PQfreemem(buf);
      flush_chunk();
      if (n == -2) spdlog::warn("source {}: replication connection lost: {}", settings.where, last_error(conn));
      else spdlog::warn("source {}: the server ended the replication stream", settings.where);
      return -1;
    }
    ++count;
    std::uint64_t reached = 0;  // where the stream provably is: a commit's end or a keepalive
    if (buf[0] == 'w' && n >= 25) {
      received = std::max(received, be64(buf + 9));
      if (n >= 25 + 18 && buf[25] == 'C') reached = be64(buf + 25 + 10);
    } else if (buf[0] == 'k' && n >= 18) {
      received = std::max(received, be64(buf + 1));
      reached = be64(buf + 1);
      if (buf[17] != 0) reply_now = true;
    }
    if (settings.stop_at_lsn != 0 && reached >= settings.stop_at_lsn) stopping = true;
    if (chunk->empty()) chunk_started = steady::now();
    chunk->bytes.append(buf, static_cast<std::size_t>(n));
    chunk->ends.push_back(static_cast<std::uint32_t>(chunk->bytes.size()));
    PQfreemem(buf);
    if (stopping || reply_now) return count;
    if (chunk->bytes.size() >= settings.max_chunk_bytes || static_cast<std::int64_t>(chunk->bytes.size()) >= credit) {
      flush_chunk();
      if (credit <= 0) return count;
    }
  }
}

// One walsender session: read while credit lasts, acknowledge, until the connection
// ends (returns true: reconnect) or the reader stops (returns false).
bool replication_reader::stream(PGconn* conn) {
  int sock = PQsocket(conn);
  // The walsender writes message by message; waking per message costs more than the
  // message. Ask the kernel to wake us only once a chunk's worth waits (or the poll timeout).
  // (Below the socket buffer, or a full buffer would stall the walsender until the poll
  // timeout; chunks still grow to max_chunk_bytes across several reads.)
  const std::size_t low_water = settings.max_chunk_bytes;
  int wake_bytes = static_cast<int>(std::min<std::size_t>(low_water, 64 << 10));
  ::setsockopt(sock, SOL_SOCKET, SO_RCVLOWAT, &wake_bytes, sizeof wake_bytes);
  constexpr auto linger = std::chrono::milliseconds(10);
  constexpr auto quiet = std::chrono::milliseconds(1);
  auto last_data = steady::now();
  auto next_status = steady::now();
  std::uint64_t last_sent_durable = 0;
  bool reply_now = false;
  while (!shutdown.load()) {
    drain_commands();
    if (stopping) end_stream();
    auto now = steady::now();
    if (reply_now || now >= next_status || durable > last_sent_durable + (16u << 20)) {
      // Both are on disk (checkpoint.hpp); the metric may be ahead of the last durable_msg.
      std::uint64_t flush = std::max(durable, metrics->durable_lsn.load(std::memory_order_relaxed));
      if (!send_status(conn, flush, false)) return true;
      last_sent_durable = flush;
      next_status = now + settings.status_interval;
      reply_now = false;
    }
    bool reading = !ended && credit > 0;
    if (reading) {
      int got = read_available(conn, reply_now);
      if (got < 0) return true;
      auto now2 = steady::now();
      if (got > 0) last_data = now2;
      // Ship when the chunk is big, 10 ms old, the socket went quiet for a millisecond (a
      // lone watermark or commit should not wait), or it must go now. Not on every wake-up:
      // credit and durable messages wake us often; tiny chunks would bring more of them.
      if (!chunk->empty() && (stopping || reply_now || chunk->bytes.size() >= low_water ||
                              now2 - chunk_started >= linger || now2 - last_data >= quiet))
        flush_chunk();
      if (reply_now || stopping) continue;
    }
    auto until = chunk->empty() ? next_status : std::min(next_status, chunk_started + linger);
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {sock, static_cast<short>(reading ? POLLIN : 0), 0}};
    int max_wait = !reading ? 1000 : chunk->empty() ? 10 : 1;
    ::poll(fds, 2, static_cast<int>(std::clamp<long>(wait_ms, 1, max_wait)));
    if (reading && PQconsumeInput(conn) == 0) {
      flush_chunk();
      spdlog::warn("source {}: replication connection lost: {}", settings.where, last_error(conn));
      return true;
    }
  }
  // Shutting down: tell the server what is on disk, so the slot does not lag until the
  // next start (the last durable_msg may still be queued behind the shutdown).
  send_status(conn, std::max(durable, metrics->durable_lsn.load()), false);
  return false;
}

void replication_reader::run() {
  auto backoff = settings.first_backoff;
  durable = settings.start_lsn;
  while (!shutdown.load() && !ended) {
    std::unique_ptr<PGconn, conn_closer> conn(PQconnectdb((settings.conninfo + " replication=database").c_str()));
    std::string problem, sqlstate;
    try {
      if (PQstatus(conn.get()) != CONNECTION_OK) throw pg_error(last_error(conn.get()), "");
      pg_connection::check_result(conn.get(), PQexec(conn.get(), "IDENTIFY_SYSTEM"));
      int proto = pgoutput_protocol_for(PQserverVersion(conn.get()));
      // A replication connection speaks only the simple query protocol: no parameters.
      std::string lookup = "SELECT plugin FROM pg_replication_slots WHERE slot_name = " + quote_literal(conn.get(), settings.slot);
      auto slot = pg_connection::rows(conn.get(), PQexec(conn.get(), lookup.c_str()));
      if (slot.empty()) {
        std::string create = "CREATE_REPLICATION_SLOT " + quote_ident(settings.slot) + " LOGICAL pgoutput" +
                             (PQserverVersion(conn.get()) >= 150000 ? " (SNAPSHOT 'nothing')" : " NOEXPORT_SNAPSHOT");
        auto created = pg_connection::rows(conn.get(), PQexec(conn.get(), create.c_str()));
        spdlog::info("source {}: created replication slot {} at {}", settings.where, settings.slot,
                     created.empty() ? "?" : created[0][1].value_or("?"));
      } else if (slot[0][0].value_or("") != "pgoutput") {
        fail("replication slot \"" + settings.slot + "\" uses the plugin " + slot[0][0].value_or("?") +
             ", not pgoutput; drop it (pg2sr slot drop) or configure another slot name");
        break;
      }
      std::string start = start_replication_command(settings, durable, proto);
      PGresult* res = PQexec(conn.get(), start.c_str());
      bool copying = PQresultStatus(res) == PGRES_COPY_BOTH;
      if (!copying) pg_connection::check_result(conn.get(), res);
      else PQclear(res);
      spdlog::info("source {}: streaming slot {} from {} (pgoutput proto {}, publication {})", settings.where,
                   settings.slot, codecs::format_lsn(durable), proto, settings.publication);
      backoff = settings.first_backoff;
      restart_pending = true;
      if (!stream(conn.get())) break;
      continue;
    } catch (const pg_error& e) {
      problem = e.what();
      sqlstate = e.sqlstate();
    }
    std::string explained = explain_replication_error(sqlstate, problem, settings.slot);
    if (replication_error_is_permanent(sqlstate, problem)) {
      fail(explained);
      break;
    }
    spdlog::warn("source {}: {}; retrying in {} ms", settings.where, explained, backoff.count());
    if (!sleep_backoff(backoff)) break;
    backoff = std::min(settings.max_backoff, backoff * 2);
  }
  // Stopped or failed: keep the decoder's end-of-stream promise, then wait for shutdown.
  if (!ended) end_stream();
}

// ---- the actor's side -------------------------------------------------------------------

pg_replication_source_state::~pg_replication_source_state() {
  if (reader) {
    reader->shutdown.store(true);
    reader->wake();
  }
  if (thread.joinable()) thread.join();
  if (reader && reader->wake_fd >= 0) ::close(reader->wake_fd);
}

source_actor::behavior_type pg_replication_source(source_actor::stateful_pointer<pg_replication_source_state> self,
                                                  replication_settings settings, decoder_actor downstream,
                                                  pipeline_metrics* metrics) {
  auto reader = std::make_shared<replication_reader>();
  reader->settings = std::move(settings);
  reader->downstream = std::move(downstream);
  reader->front = caf::actor_cast<source_actor>(self);
  reader->metrics = metrics;
  reader->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  self->state.reader = reader;
  self->state.thread = std::thread([reader] { reader->run(); });
  auto send = [reader](reader_command::kind what, std::uint64_t value) {
    reader->commands.enqueue({what, value});
    reader->wake();
  };
  return {
      [=](credit_msg& c) { send(reader_command::kind::credit, c.bytes); },
      [=](durable_msg& d) { send(reader_command::kind::durable, d.lsn); },
      [=](stop_atom) { send(reader_command::kind::stop, 0); },
      [=](produce_atom) {},
      [=](source_failed_msg& failed) {
        self->quit(make_pipeline_error(pipeline_errc::source_failed, failed.reason));
      },
  };
}

}  // namespace pg2sr::actors
