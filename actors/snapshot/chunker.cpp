// Chunker: dispatch, retry, completion.
#include "actors/snapshot/chunker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pg2sr::actors {

using self_ptr = chunker_actor::stateful_pointer<chunker_state>;

namespace {

constexpr int max_attempts = 5;

void dispatch(self_ptr self);

void finished_one(self_ptr self, std::size_t reader, std::chrono::microseconds rest) {
  auto& st = self->state;
  st.busy[reader] = false;
  if (rest.count() > 0) {  // the throttle: the reader gets its next chunk once rested
    st.rested_at[reader] = std::chrono::steady_clock::now() + rest;
    self->delayed_send(self, rest, tick_atom::value);
  }
  dispatch(self);
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  while (!st.pending.empty() && st.in_flight < st.max_in_flight) {
    std::size_t reader = 0;
    while (reader < st.busy.size() && (st.busy[reader] || st.rested_at[reader] > now)) ++reader;
    if (reader == st.busy.size()) return;
    st.busy[reader] = true;
    chunk_task_ptr task = std::move(st.pending.front());
    st.pending.pop_front();
    ++st.in_flight;
    self->request(st.readers[reader], caf::infinite, read_chunk_msg{task})
        .then([=](chunk_read_msg& read) { finished_one(self, reader, read.rest); },
              [=](caf::error& err) {
                auto& failures = self->state.failures[{task->ref.relid, task->ref.index}];
                if (++failures >= max_attempts) {
                  self->quit(make_pipeline_error(pipeline_errc::source_failed,
                                                 describe(err) + " (failed " + std::to_string(failures) + " times)"));
                  return;
                }
                auto delay = std::chrono::milliseconds(500 << failures);
                spdlog::warn("{}; reading it again in {} ms", describe(err), delay.count());
                self->state.pending.push_back(task);
                --self->state.in_flight;  // its window was aborted
                self->delayed_send(self, delay, tick_atom::value);
                self->state.busy[reader] = false;
              });
  }
  if (!st.announced && st.pending.empty() && std::none_of(st.busy.begin(), st.busy.end(), [](bool b) { return b; })) {
    st.announced = true;
    self->send(st.watermark, snapshot_read_msg{});
  }
}

}  // namespace

chunker_actor::behavior_type chunker(self_ptr self, std::vector<chunk_task_ptr> tasks,
                                     std::vector<chunk_reader_actor> readers, watermark_actor watermark) {
  auto& st = self->state;
  st.pending.assign(tasks.begin(), tasks.end());
  st.readers = std::move(readers);
  st.busy.assign(st.readers.size(), false);
  st.rested_at.assign(st.readers.size(), std::chrono::steady_clock::time_point{});
  st.watermark = std::move(watermark);
  st.max_in_flight = 2 * st.readers.size();
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) { dispatch(self); },
      [=](add_tasks_msg& more) {
        auto& st = self->state;
        st.pending.insert(st.pending.end(), more.tasks.begin(), more.tasks.end());
        st.announced = false;
        dispatch(self);
      },
      [=](chunk_released_msg& dropped) {  // its rows were dropped: read the chunk first thing
        auto& st = self->state;
        if (st.in_flight > 0) --st.in_flight;
        st.announced = false;
        if (dropped.reread->deletes) {
          // It waits for an older chunk of its table to be released: not at once again.
          st.pending.push_back(std::move(dropped.reread));
          self->delayed_send(self, std::chrono::milliseconds(200), tick_atom::value);
          return;
        }
        st.pending.push_front(std::move(dropped.reread));
        dispatch(self);
      },
      [=](chunk_durable_msg&) {
        if (self->state.in_flight > 0) --self->state.in_flight;
        dispatch(self);
      },
  };
}

}  // namespace pg2sr::actors
