// Pipeline errors: one category, the message in the context.
#include "actors/core/messages.hpp"

namespace pg2sr::actors {

caf::error make_pipeline_error(pipeline_errc code, std::string message) {
  return caf::error(static_cast<std::uint8_t>(code), caf::atom("pg2sr"), caf::make_message(std::move(message)));
}

std::string describe(const caf::error& err) {
  if (!err) return "no error";
  if (err.category() == caf::atom("pg2sr") && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

}  // namespace pg2sr::actors
