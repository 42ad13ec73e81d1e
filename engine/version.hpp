// Build and runtime version report: pg2sr and the libraries it runs on.
#pragma once

#include <string>

namespace pg2sr::engine {

/// Multi-line report for `pg2sr --version`: pg2sr, CAF, libpq, libcurl, and the allocator
/// actually serving malloc (checked at run time, not assumed from the link line).
std::string version_report();

/// True when the process's malloc is mimalloc's.
bool mimalloc_is_allocator();

}  // namespace pg2sr::engine
