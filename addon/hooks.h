// runtime-spec hooks (config.md "POSIX-platform Hooks"): parsing, and running
// one hook with the container's state JSON on its stdin and a timeout.
#pragma once

#include <string>
#include <vector>

namespace hutch {

class JsonValue;

struct HookSpec {
  std::string path;
  std::vector<std::string> args;  // args[0] is argv[0]; empty means {path}
  std::vector<std::string> env;
  unsigned timeout = 0;  // seconds; 0 = none
};

struct Hooks {
  std::vector<HookSpec> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

// Parses config.json `hooks`; throws RuntimeError naming the field.
Hooks parse_hooks(const JsonValue& hooks);

// Runs each hook in order in the calling process's namespaces; throws
// RuntimeError "hook createRuntime[0] `/path`: exit 1" on the first failure.
void run_hooks(const std::vector<HookSpec>& hooks, const char* phase, const std::string& state_json);

// Same, but failures are printed as warnings (poststart, poststop).
void run_hooks_warn(const std::vector<HookSpec>& hooks, const char* phase, const std::string& state_json);

}  // namespace hutch
