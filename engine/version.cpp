// `pg2sr --version`: versions of pg2sr and its libraries, and proof of the allocator in use.
#include "engine/version.hpp"

#include <caf/config.hpp>
#include <curl/curl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <mimalloc.h>

#include <cstdlib>

namespace pg2sr::engine {

bool mimalloc_is_allocator() {
  // A block from plain malloc lies in mimalloc's heap only if mimalloc replaced malloc.
  void* probe = std::malloc(64);
  bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  return ours;
}

std::string version_report() {
  int pq = PQlibVersion();
  int mi = mi_version();
  return fmt::format(
      "pg2sr {}\n"
      "CAF {}.{}.{}\n"
      "libpq {}.{}\n"
      "libcurl {}\n"
      "allocator: {} (mimalloc {}.{}.{})\n",
      PG2SR_VERSION, CAF_MAJOR_VERSION, CAF_MINOR_VERSION, CAF_PATCH_VERSION, pq / 10000,
      pq % 10000, curl_version_info(CURLVERSION_NOW)->version,
      mimalloc_is_allocator() ? "mimalloc (in use: malloc is served by mimalloc)"
                              : "system malloc (mimalloc linked but NOT in use)",
      mi / 100, (mi / 10) % 10, mi % 10);
}

}  // namespace pg2sr::engine
