// An actor system on CAF's `testing` scheduler: nothing runs until the test calls
// sched.run(), and timers fire only when it advances the clock. No sleeps in actor tests.
#pragma once

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace pg2sr::test {

struct deterministic_actors {
  caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }();
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
};

}  // namespace pg2sr::test
