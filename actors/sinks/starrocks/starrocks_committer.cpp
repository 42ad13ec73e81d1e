// StarRocks committer and the 2PC journal.
#include "actors/sinks/starrocks/starrocks_committer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "actors/core/durable_file.hpp"

namespace pg2sr::actors {

namespace sl = codecs::stream_load;

void commit_prepared(stream_load_client& client, const prepared_load& load) {
  auto backoff = std::chrono::milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    sl::response r = client.transaction("commit", load.db, load.table, load.label);
    if (r.http_status == 200 && r.status == "OK") return;
    // Transport errors and a transaction still busy pass; anything else is final.
    bool transient = (r.http_status == 0 && !r.certificate_failure) || r.http_status >= 500 || r.status == "TXN_IN_PROCESSING";
    if (!transient || attempt >= 10)
      throw std::runtime_error("commit of prepared load " + load.label + " into " + load.db + "." + load.table +
                               " failed: " + sl::describe(r) +
                               "; its rows are below the durable LSN, so they are missing from StarRocks: "
                               "snapshot the table again (pg2sr snapshot -c FILE --table ...)");
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10'000));
  }
}

void roll_back_label(stream_load_client& client, const std::string& db, const std::string& table,
                     const std::string& label) {
  std::string error;
  if (sl::classify_load_state(client.load_state(db, label, error)) == sl::outcome::loaded) return;
  sl::response r = client.transaction("rollback", db, table, label);
  if (r.http_status == 200 && r.status != "OK" && r.status != "TXN_NOT_EXISTS")
    spdlog::warn("rollback of {} in {}.{}: {}", label, db, table, sl::describe(r));
}

label_settlement settle_unanswered_label(stream_load_client& client, const prepared_load& load,
                                         std::chrono::steady_clock::time_point deadline,
                                         std::chrono::milliseconds load_timeout,
                                         const std::function<void()>& between_polls) {
  using clock = std::chrono::steady_clock;
  constexpr auto never = clock::time_point::max();
  auto next_note = clock::now();
  auto running_since = never;  // a load holds the label since then
  bool can_hold = true;
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    std::string answer;
    bool running = false;
    if (can_hold) {
      sl::response r = client.transaction("begin", load.db, load.table, load.label);
      answer = sl::describe(r);
      if (r.http_status == 200 && r.status == "OK") return {label_settlement::outcome::held, answer};
      if (r.certificate_failure || r.http_status == 401) return {label_settlement::outcome::unsettled, answer};
      bool transient = r.http_status == 0 || r.http_status >= 500 || r.status == "TXN_IN_PROCESSING";
      if (r.status == "LABEL_ALREADY_EXISTS" && r.existing_job_status == "FINISHED")
        return {label_settlement::outcome::ended, answer};
      running = r.status == "LABEL_ALREADY_EXISTS";
      if (!running && !transient) {
        spdlog::warn("label {} in {} (a load the last run sent) cannot be held ({}): waiting for StarRocks to say "
                     "it finished",
                     load.label, load.db, answer);
        can_hold = false;
      }
    }
    if (running || !can_hold) {
      std::string error;
      auto state = client.load_state(load.db, load.label, error);
      answer = error.empty() ? state : error;
      auto outcome = sl::classify_load_state(state);
      // ABORTED ends it only when the label cannot be held: else it is taken next time.
      if (error.empty() && (outcome == sl::outcome::loaded || (!can_hold && outcome == sl::outcome::retry)))
        return {label_settlement::outcome::ended, answer};
      // Running: it may run for its own timeout from now.
      if (error.empty() && outcome == sl::outcome::poll && running_since == never) {
        running_since = clock::now();
        deadline = std::max(deadline, running_since + load_timeout);
      }
    }
    auto now = clock::now();
    if (now >= deadline) return {label_settlement::outcome::unsettled, answer};
    if (now >= next_note) {
      spdlog::info("waiting for label {} in {} (a load the last run sent) to finish in StarRocks: {}; at most {} s more",
                   load.label, load.db, answer, std::chrono::ceil<std::chrono::seconds>(deadline - now).count());
      next_note = now + std::chrono::seconds(5);
    }
    between_polls();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2'000));
  }
}

committer_actor::behavior_type starrocks_committer(committer_actor::stateful_pointer<starrocks_committer_state> self,
                                                   stream_load_settings settings,
                                                   std::shared_ptr<prepared_journal> journal) {
  self->state.client = std::make_unique<stream_load_client>(std::move(settings));
  return {
      [=](commit_prepared_msg& msg) -> caf::result<prepared_committed_msg> {
        try {
          for (const auto& load : msg.loads) commit_prepared(*self->state.client, load);
          journal->remove(msg.loads);
        } catch (const std::exception& e) {
          return make_pipeline_error(pipeline_errc::load_failed, e.what());
        }
        return prepared_committed_msg{std::move(msg.loads)};
      },
  };
}

namespace {

// A journal field: a tab, line break or backslash in a name would end the field or the line,
// so they are written \t, \n, \r and \\.
std::string journal_field(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out += c;
    }
  }
  return out;
}

std::string from_journal_field(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    switch (char next = field[++i]) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      default: out += '\\', out += next;  // written before escaping: kept as it was
    }
  }
  return out;
}

std::string journal_line(const prepared_load& load) {
  return journal_field(load.db) + "\t" + journal_field(load.table) + "\t" + journal_field(load.label) + "\n";
}

}  // namespace

prepared_journal::prepared_journal(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t begin = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; begin = end + 1, end = text.find('\n', begin)) {
    std::string_view line(text.data() + begin, end - begin);
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string_view::npos || t2 == std::string_view::npos) continue;  // a torn line
    entries_.push_back({from_journal_field(line.substr(0, t1)), from_journal_field(line.substr(t1 + 1, t2 - t1 - 1)),
                        from_journal_field(line.substr(t2 + 1))});
  }
}

namespace {

// write + fdatasync of `text` to `path` (opened with `flags`); throws on failure.
void write_synced(const std::filesystem::path& path, int flags, const std::string& text) {
  int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fdatasync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(saved));
}

}  // namespace

void prepared_journal::append(const prepared_load& load) {
  std::lock_guard lock(mu_);
  if (entries_.empty()) std::filesystem::create_directories(file_.parent_path());  // a first start
  write_synced(file_, O_APPEND, journal_line(load));
  entries_.push_back({load.db, load.table, load.label});
}

void prepared_journal::remove(const std::vector<prepared_load>& loads) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const prepared_load& e) {
    return std::any_of(loads.begin(), loads.end(), [&](const prepared_load& l) { return l.label == e.label; });
  });
  rewrite();
}

std::vector<prepared_load> prepared_journal::entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

void prepared_journal::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  rewrite();
}

// Atomically: a crash leaves the old list or the new one.
void prepared_journal::rewrite() {
  std::string text;
  for (const auto& e : entries_) text += journal_line(e);
  replace_file_durably(file_, text);
}

}  // namespace pg2sr::actors
