// pg2sr command line: placeholder until the CLI lands.
#include <iostream>

#include "engine/version.hpp"

int main() {
  std::cout << pg2sr::engine::version_report();
  return 0;
}
