// `hutch-runtime [--root DIR] attach-input ID`: feeds this process's stdin
// to a monitored container through its attach socket (the CLI cannot speak
// SOCK_SEQPACKET from Node). Output is not relayed: callers follow the log.
#pragma once

#include <string>
#include <vector>

namespace hutch {

int attach_input_main(const std::string& root, const std::vector<std::string>& args);

}  // namespace hutch
