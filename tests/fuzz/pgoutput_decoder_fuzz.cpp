// libFuzzer target: arbitrary bytes into decode_envelope, decoder::decode and change_assembler.
//
// Input format (the capture files' format): a sequence of CopyData payloads, each preceded by a
// big-endian uint32 length; a length running past the end makes the rest of the input one last
// payload. Each payload is decoded as an envelope, its XLogData payload by a decoder that keeps
// Stream Start/Stop state across the input and by a fresh one, the payload itself as a bare
// pgoutput message, and the whole sequence is fed to one change_assembler whose batch is then
// checked for internal consistency; an empty payload resets it first, as a reconnect does.
// Any crash, sanitizer report or broken invariant is a bug.
#include "codecs/pgoutput/change_event.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace pg2sr::codecs::pgoutput;

namespace {

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) std::abort(); \
  } while (0)

/// Reads every byte a message views, so that a view past its buffer trips AddressSanitizer.
std::size_t touch(std::string_view v) {
  std::size_t sum = 0;
  for (char c : v) sum += static_cast<unsigned char>(c);
  return sum;
}

std::size_t touch(const decode_result<message>& r) {
  std::size_t sum = 0;
  if (const auto* e = std::get_if<decode_error>(&r)) {
    FUZZ_CHECK(!e->detail.empty());
    return e->offset;
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, insert_msg>) {
          for (const auto& c : m.new_tuple) sum += touch(c.data);
        } else if constexpr (std::is_same_v<T, update_msg>) {
          for (const auto& c : m.old_tuple) sum += touch(c.data);
          for (const auto& c : m.new_tuple) sum += touch(c.data);
        } else if constexpr (std::is_same_v<T, delete_msg>) {
          for (const auto& c : m.old_tuple) sum += touch(c.data);
        } else if constexpr (std::is_same_v<T, relation_msg>) {
          sum += touch(m.nspname) + touch(m.relname);
          for (const auto& c : m.columns) sum += touch(c.name);
        } else if constexpr (std::is_same_v<T, logical_message_msg>) {
          sum += touch(m.prefix) + touch(m.content);
        } else if constexpr (std::is_same_v<T, truncate_msg>) {
          for (auto relid : m.relids) sum += relid;
        }
      },
      std::get<message>(r));
  return sum;
}

void check_batch(const change_batch& b) {
  for (const auto& e : b.events) {
    FUZZ_CHECK(static_cast<std::size_t>(e.new_begin) + e.new_count <= b.values.size());
    FUZZ_CHECK(static_cast<std::size_t>(e.old_begin) + e.old_count <= b.values.size());
    switch (e.op) {
      case change_op::insert:
      case change_op::update:
      case change_op::delete_row:
        FUZZ_CHECK(e.relation != nullptr);
        FUZZ_CHECK(e.relation->relid == e.relid);
        if (e.op != change_op::delete_row) FUZZ_CHECK(e.new_count == e.relation->columns.size());
        if (e.old_kind != 0) FUZZ_CHECK(e.old_count == e.relation->columns.size());
        for (const auto& c : b.new_tuple(e)) touch(c.data);
        for (const auto& c : b.old_tuple(e)) touch(c.data);
        break;
      case change_op::truncate:
        FUZZ_CHECK(e.relation != nullptr);
        touch(e.relation->relname);
        break;
      case change_op::message:
        FUZZ_CHECK(e.new_count == 2);
        touch(b.message_prefix(e));
        touch(b.message_content(e));
        break;
      default:
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  decoder stateful;
  change_assembler assembler;
  change_batch batch;
  volatile std::size_t sink = 0;

  std::size_t pos = 0;
  while (pos < in.size()) {
    std::string_view record;
    if (in.size() - pos >= 4) {
      auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + i])); };
      std::uint32_t len = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
      if (len <= in.size() - pos - 4) {
        record = in.substr(pos + 4, len);
        pos += 4 + len;
      } else {
        record = in.substr(pos + 4);
        pos = in.size();
      }
    } else {
      record = in.substr(pos);
      pos = in.size();
    }

    // An exact-size copy: reading one byte past the record is an ASan report.
    std::unique_ptr<char[]> exact(new char[record.size() + 1]);
    std::copy(record.begin(), record.end(), exact.get());
    std::string_view view(exact.get(), record.size());

    auto env = decode_envelope(view);
    if (const auto* e = std::get_if<envelope>(&env)) {
      if (const auto* x = std::get_if<xlog_data>(e)) {
        FUZZ_CHECK(x->payload.data() >= view.data() && x->payload.data() + x->payload.size() <= view.data() + view.size());
        sink = sink + touch(stateful.decode(x->payload));
        decoder fresh;
        sink = sink + touch(fresh.decode(x->payload));
      }
    } else {
      FUZZ_CHECK(std::get<decode_error>(env).offset <= view.size());
    }
    decoder bare;
    auto r = bare.decode(view);
    if (const auto* err = std::get_if<decode_error>(&r)) FUZZ_CHECK(err->offset <= view.size());
    sink = sink + touch(r);

    if (record.empty()) assembler.reset();  // an empty record stands for a reconnect
    auto owner = std::make_shared<const std::string>(record);
    std::size_t before = batch.events.size();
    auto err = assembler.feed(*owner, owner, batch);
    if (err) {
      FUZZ_CHECK(batch.events.size() == before);  // all or nothing
      FUZZ_CHECK(err->offset <= owner->size());
    }
    check_batch(batch);
  }
  // Views must survive the assembler and every input buffer but the batch's own.
  change_batch kept = std::move(batch);
  check_batch(kept);
  return 0;
}
