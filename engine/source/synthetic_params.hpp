// [source.synthetic] -> the WAL generator's parameters (one mapping for the engine and the
// tests that predict what a synthetic run must produce).
#pragma once

#include "codecs/synthetic/wal_generator.hpp"
#include "config/config.hpp"

namespace pg2sr::engine {

codecs::wal_gen::generator_params generator_params_of(const config::synthetic_source& s);

}  // namespace pg2sr::engine
