// The per-container monitor (conmon's role): a daemon that is the
// container's parent outside its namespaces, keeps its stdout/stderr (or
// pty master), writes the log, serves attach clients, forwards signals,
// records the exit, restarts by policy and runs the exit command.
#pragma once

#include <string>
#include <vector>

namespace hutch {

// `hutch-runtime monitor ...` (args: the words after "monitor"). Returns in
// the calling process once the container started (printing its pid) or
// failed; the monitor itself lives on, detached.
int monitor_main(const std::vector<std::string>& args);

}  // namespace hutch
