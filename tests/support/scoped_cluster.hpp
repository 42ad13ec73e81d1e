// A dedicated throwaway PostgreSQL cluster for one test (scripts/pg-cluster.sh), for
// settings the shared harness cluster must not get (max_wal_senders = 3, restarts...).
// Stopped and removed when the object goes, also when the test fails.
#pragma once

#include <string>
#include <vector>

namespace pg2sr::test {

class scoped_cluster {
 public:
  /// Starts a cluster in a fresh folder named after `name`, with extra postgresql.conf lines.
  explicit scoped_cluster(const std::string& name, const std::vector<std::string>& extra_conf = {});
  ~scoped_cluster();
  scoped_cluster(const scoped_cluster&) = delete;
  scoped_cluster& operator=(const scoped_cluster&) = delete;

  int port() const { return port_; }
  std::string conninfo(const std::string& dbname = "postgres") const;
  /// pg_ctl stop (fast) + start on the same port.
  void restart();
  /// pg_ctl stop (fast), pg_resetwal with `options` (e.g. {"-e", "1"}), start on the same port.
  void reset_wal(const std::vector<std::string>& options);

 private:
  std::string dir_;
  int port_ = 0;
};

}  // namespace pg2sr::test
