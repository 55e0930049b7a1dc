// `cp`: copies a tar stream into or out of a container's root filesystem,
// confined to it by the kernel (CVE-2018-15664): the process enters the
// container's own mount namespace (running) or mounts its overlay privately
// (stopped), so "/" is the container's root for every lookup it makes.
#pragma once

#include <string>
#include <vector>

namespace hutch {

// hutch-runtime [--root DIR] cp (--container ID | --lower L[:L...] [--upper U --work W] --mountpoint M)
//   (--out PATH [--name NAME] | --in PATH [--into-dir] [--keep-owners]); returns the exit status.
int cp_main(const std::string& root, const std::vector<std::string>& args);

}  // namespace hutch
