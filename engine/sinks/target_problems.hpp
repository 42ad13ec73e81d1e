// Every reason a sink's target tables keep the pipeline from starting, one line each with
// its fix: the engine logs each line, whatever the sink.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pg2sr::engine {

class target_problems : public std::runtime_error {
 public:
  target_problems(const std::string& what, std::vector<std::string> problems)
      : std::runtime_error(what), problems_(std::move(problems)) {}
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

}  // namespace pg2sr::engine
