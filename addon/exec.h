// `exec`: a new process inside a running container, in all its namespaces
// and with the security settings recorded at create.
#pragma once

#include <string>
#include <vector>

namespace hutch {

// hutch-runtime [--root DIR] exec [--tty] [--user UID[:GID]] [--cwd DIR]
// [--env K=V]... ID -- CMD ARG...; returns the process's exit status.
int exec_main(const std::string& root, const std::vector<std::string>& args);

}  // namespace hutch
