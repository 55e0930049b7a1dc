// The per-container monitor (conmon's role) is the static hutch-monitor
// executable (addon/monitor-main.cc); this is its entry point in
// hutch-runtime and the container creation it delegates back here.
#pragma once

#include <string>
#include <vector>

namespace hutch {

// `hutch-runtime monitor ...` (args: the words after "monitor"). Returns in
// the calling process once the container started (printing its pid) or
// failed; the monitor itself lives on, detached. `monitor --child ...` is
// the create-and-start step run by hutch-monitor.
int monitor_main(const std::vector<std::string>& args);

}  // namespace hutch
