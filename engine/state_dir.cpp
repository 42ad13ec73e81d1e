// The state_dir: its mode and its lock.
#include "engine/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>

#include "actors/core/durable_file.hpp"

namespace pg2sr::engine {

namespace {

// "pid 123 on host db1 since 2026-12-07T05:50:00Z", what the lock file says of its holder.
std::string this_process() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  char since[32] = {};
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return "pid " + std::to_string(::getpid()) + " on host " + host + " since " + since;
}

std::string read_holder(int fd) {
  char buf[512] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? "another process" : text;
}

}  // namespace

state_dir_lock::state_dir_lock(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("state_dir " + dir.string() + " cannot be created: " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) throw std::runtime_error("state_dir " + dir.string() + " cannot be made private (0700): " + ec.message());
  auto file = dir / "lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    std::string holder = saved == EWOULDBLOCK ? read_holder(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (saved == EWOULDBLOCK)
      throw std::runtime_error("state_dir " + dir.string() + " is held by another pg2sr run (" + holder +
                               "); stop it first, or give this pipeline its own state_dir");
    throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(saved));
  }
  std::string me = this_process() + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size()))
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

std::string state_dir_problem(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    // Created by the run: the nearest existing ancestor must be a directory it may write.
    fs::path parent = fs::absolute(dir, ec).parent_path();
    while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.root_path()) parent = parent.parent_path();
    if (!fs::is_directory(parent, ec)) return "state_dir " + dir.string() + " cannot be created: " + parent.string() + " is not a directory";
    if (::access(parent.c_str(), W_OK | X_OK) != 0)
      return "state_dir " + dir.string() + " cannot be created in " + parent.string() + ": " + std::strerror(errno);
    return "";
  }
  if (!fs::is_directory(dir, ec)) return "state_dir " + dir.string() + " is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "state_dir " + dir.string() + " is not writable: " + std::strerror(errno);
  auto file = dir / "lock";
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? "" : "cannot open " + file.string() + ": " + std::strerror(errno);
  std::string problem;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    problem = errno == EWOULDBLOCK ? "state_dir " + dir.string() + " is held by another pg2sr run (" + read_holder(fd) + ")"
                                   : "cannot lock " + file.string() + ": " + std::strerror(errno);
  ::close(fd);  // releases the probe's lock at once
  return problem;
}

state_dir_lock::~state_dir_lock() {
  if (fd_ >= 0) ::close(fd_);  // the flock goes with the descriptor
}

namespace {
std::filesystem::path unplanned_file(const std::filesystem::path& dir) { return dir / "slot-unplanned"; }
}  // namespace

void mark_slot_unplanned(const std::filesystem::path& dir, const std::string& slot) {
  actors::replace_file_durably(unplanned_file(dir), slot + "\n");
}

bool slot_unplanned(const std::filesystem::path& dir, const std::string& slot) {
  std::ifstream in(unplanned_file(dir));
  std::string name;
  return in && std::getline(in, name) && name == slot;
}

void clear_slot_unplanned(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove(unplanned_file(dir), ec);
}

}  // namespace pg2sr::engine
