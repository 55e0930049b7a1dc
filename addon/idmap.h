// User and group id mappings of a user namespace: parsing, and writing them
// either directly or through the setuid newuidmap/newgidmap helpers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hutch {

// One line of /proc/<pid>/uid_map: container id, host id, count.
struct IdRange {
  uint32_t container = 0;
  uint32_t host = 0;
  uint32_t size = 0;
};

using IdMap = std::vector<IdRange>;

enum class IdKind { kUser, kGroup };

// Parses "C:H:N[,C:H:N...]"; throws RuntimeError naming the bad entry.
IdMap parse_id_map(const std::string& text, const char* option);

// True when the map is exactly one id that is `own` on the host: the kernel
// lets an unprivileged process write such a map without helpers.
bool is_own_single_id(const IdMap& map, uint32_t own);

// Maps a container id to the host id; false when it is unmapped.
bool map_to_host(const IdMap& map, uint32_t container_id, uint32_t* host_id);

// Writes the map of `pid` ("self" allowed) directly into /proc/<pid>/{uid,gid}_map.
void write_id_map_file(const std::string& pid, IdKind kind, const IdMap& map);

// Writes "deny" to /proc/<pid>/setgroups, required before an unprivileged
// process may write gid_map (user_namespaces(7), since Linux 3.19).
void deny_setgroups(const std::string& pid);

// Writes both maps of `pid`, choosing per map: direct write when running as
// root on the host or when the map is the caller's own single id; the helper
// otherwise (newuidmap and newgidmap run at the same time, and both are
// reaped before any failure is thrown). Must run in the user namespace that
// is the parent of pid's.
void write_id_maps(pid_t pid, const IdMap& uid_map, const IdMap& gid_map);

}  // namespace hutch
