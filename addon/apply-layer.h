// `hutch-runtime apply-layer JOB-JSON`: extracts one layer blob read from
// stdin, run inside the user namespace through `userns-exec` (see
// src/storage/apply-client.ts for the contract and docs/storage.md).
#pragma once

#include <string>
#include <vector>

namespace hutch {

// Prints one JSON line on stdout — {diffId, bytes, entries, warnings,
// diskBytes}, or {error: {name, code, message, hint}} — and returns the exit
// status (0, or 1 after an error).
int apply_layer_main(const std::vector<std::string>& args);

}  // namespace hutch
