// JSONL loader: renders rows as JSON lines, write + fdatasync, then acknowledges.
#include "actors/sinks/jsonl/jsonl_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "codecs/pgoutput/lsn.hpp"
#include "codecs/values/pg_values.hpp"

namespace pg2sr::actors {

using codecs::pgoutput::value_kind;

jsonl_loader_state::~jsonl_loader_state() {
  if (fd >= 0) ::close(fd);
}

namespace {

void append_value(const column_value& v, std::string& out) {
  switch (v.kind) {
    case value_kind::null:
      out += "null";
      break;
    case value_kind::binary: {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\"\\\\x";
      for (unsigned char c : v.data) {
        out += hex[c >> 4];
        out += hex[c & 15];
      }
      out += '"';
      break;
    }
    default:
      codecs::pg_values::append_json_string(v.data, out);
  }
}

void append_object(const relation_schema& rel, const load_row& row, bool keys_only, std::string& out) {
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < rel.columns.size() && i < row.count; ++i) {
    if (keys_only && !rel.columns[i].is_key) continue;
    if (row.values[i].kind == value_kind::unchanged_toast) continue;
    if (!first) out += ',';
    first = false;
    codecs::pg_values::append_json_string(rel.columns[i].name, out);
    out += ':';
    append_value(row.values[i], out);
  }
  out += '}';
}

}  // namespace

void render_jsonl(const load_batch& batch, std::string& out) {
  const auto& rel = *batch.relation;
  std::string table;
  codecs::pg_values::append_json_string(rel.qualified_name(), table);
  if (batch.truncate_first) {
    out += "{\"table\":" + table + ",\"op\":\"truncate\",\"lsn\":\"" + codecs::format_lsn(batch.first_lsn) + "\"}\n";
  }
  for (const auto& row : batch.rows) {
    out += "{\"table\":";
    out += table;
    out += row.op == row_op::upsert ? ",\"op\":\"upsert\"" : ",\"op\":\"delete\"";
    out += ",\"lsn\":\"" + codecs::format_lsn(row.lsn) + "\",\"commit_lsn\":\"" + codecs::format_lsn(row.commit_lsn) + "\"";
    out += ",\"key\":";
    append_object(rel, row, true, out);
    if (row.op == row_op::upsert) {
      if (row.partial()) out += ",\"partial\":true";
      out += ",\"values\":";
      append_object(rel, row, false, out);
    }
    out += "}\n";
  }
}

namespace {

// "<device> <inode>": which file a descriptor is open on.
std::string file_identity(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  return std::to_string(st.st_dev) + " " + std::to_string(st.st_ino);
}

}  // namespace

void mark_jsonl_output(int fd, const std::filesystem::path& path, const std::filesystem::path& marker) {
  std::string text = file_identity(fd) + " " + path.string() + "\n";
  auto temporary = marker.string() + ".tmp";
  int out = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = out >= 0 && ::write(out, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(out) == 0;
  if (out >= 0) ::close(out);
  if (!ok || std::rename(temporary.c_str(), marker.c_str()) != 0)
    throw std::runtime_error("cannot write " + marker.string() + ": " + std::strerror(errno));
}

std::size_t repair_jsonl_tail(const std::filesystem::path& path, const std::filesystem::path& marker) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  off_t keep = size;
  char c = 0;
  // Walk back to the last newline; everything after it is a torn line.
  while (keep > 0 && ::pread(fd, &c, 1, keep - 1) == 1 && c != '\n') --keep;
  if (keep != size) {
    std::ifstream recorded(marker);
    std::string device, inode;
    recorded >> device >> inode;
    if (file_identity(fd) != device + " " + inode) {
      ::close(fd);
      throw std::runtime_error(path.string() + " ends with an unfinished line and is not the file this pipeline wrote "
                               "(" + marker.string() + " does not name it): pg2sr cuts a torn line only from its "
                               "own output; end that line, move the file away or name another sink.path");
    }
    if (::ftruncate(fd, keep) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot truncate " + path.string() + ": " + std::strerror(errno));
    }
  }
  ::close(fd);
  return static_cast<std::size_t>(size - keep);
}

loader_actor::behavior_type jsonl_loader(loader_actor::stateful_pointer<jsonl_loader_state> self,
                                         std::filesystem::path path, bool fsync, std::filesystem::path marker) {
  try {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    repair_jsonl_tail(path, marker);
    self->state.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (self->state.fd < 0) throw std::runtime_error("cannot open " + path.string() + " for appending: " + std::strerror(errno));
    mark_jsonl_output(self->state.fd, path, marker);  // what it appends from now on is its own
  } catch (const std::exception& e) {
    self->quit(make_pipeline_error(pipeline_errc::load_failed, e.what()));
    return {[](load_request&) -> load_ack { return {}; }};
  }
  return {
      [=](load_request& req) -> caf::result<load_ack> {
        auto& st = self->state;
        st.buffer.clear();
        render_jsonl(*req.batch, st.buffer);
        std::size_t done = 0;
        while (done < st.buffer.size()) {
          ssize_t n = ::write(st.fd, st.buffer.data() + done, st.buffer.size() - done);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0)
            return make_pipeline_error(pipeline_errc::load_failed,
                                       "cannot write " + path.string() + ": " + std::strerror(errno));
          done += static_cast<std::size_t>(n);
        }
        if (fsync && ::fdatasync(st.fd) != 0)
          return make_pipeline_error(pipeline_errc::load_failed,
                                     "cannot fsync " + path.string() + ": " + std::strerror(errno));
        return load_ack{req.batch->id, req.batch->relid, req.batch->rows.size()};
      },
  };
}

}  // namespace pg2sr::actors
