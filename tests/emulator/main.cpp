// starrocks_emulator: the StarRocks Stream Load emulator as a standalone process, for demos
// and manual runs. Prints "fe_port=<n> be_port=<n>" once both ports listen, serves until
// SIGINT or SIGTERM. Tables are created through POST /_emulator/create_table on the FE port.
#include "tests/emulator/starrocks_emulator.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  pg2sr::test::starrocks::emulator_options options;
  CLI::App app{"StarRocks Stream Load emulator (FE and BE HTTP endpoints in one process)"};
  app.add_option("--host", options.host, "address to listen on")->capture_default_str();
  app.add_option("--fe-port", options.fe_port, "FE HTTP port (0 = any free port)")->capture_default_str();
  app.add_option("--be-port", options.be_port, "BE HTTP port (0 = any free port)")->capture_default_str();
  app.add_option("--user", options.user, "the user loads authenticate as")->capture_default_str();
  app.add_option("--password", options.password, "its password")->capture_default_str();
  app.add_flag("--discard", options.discard, "count rows and bytes of loads without storing them");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pg2sr::test::starrocks::starrocks_emulator emulator(options);
  try {
    emulator.start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  std::cout << "fe_port=" << emulator.fe_port() << " be_port=" << emulator.be_port() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  emulator.stop();
  auto stats = emulator.stats();
  std::cerr << "starrocks_emulator: stopped after " << stats.loads << " loads, " << stats.rows_loaded << " rows, "
            << stats.bytes_received << " bytes\n";
  return 0;
}
