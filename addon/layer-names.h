// Tar entry names → paths relative to a layer's root, the OCI whiteout naming
// rules (image-spec layer.md "Whiteouts"), and which xattrs a layer may set.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace hutch {

// Why a name was refused; the applier names the layer and entry around it.
struct BadEntryName : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Longest entry name accepted, in bytes (PATH_MAX).
constexpr size_t kMaxNameBytes = 4096;

// Splits an entry name into components relative to the layer root. Leading
// `/` and `./` are dropped, as containers/storage does (absolute names are
// made relative to the root, never resolved on the host). A `..` component is
// refused outright rather than resolved: no legitimate layer needs one, and
// refusing it means no path can ever climb out of the root.
std::vector<std::string> split_entry_name(const std::string& name);

enum class WhiteoutKind { kNone, kOpaque, kMeta, kWhiteout };

// Classifies a base name: `.wh..wh..opq` marks an opaque directory; other
// `.wh..wh.` names are AUFS metadata the spec says to ignore; `.wh.<name>`
// deletes <name> (stored in *target) from lower layers. `.wh.`, `.wh..` and
// `.wh...` would name the directory itself or its parent: BadEntryName.
WhiteoutKind classify_whiteout(const std::string& base, std::string* target);

// Prefixes an image must not set: `trusted.*` is the host's (and privileged
// overlayfs's) namespace; `user.overlay.*` and `user.fuseoverlayfs.*` would let
// a layer forge whiteouts, opaque directories or redirects for the overlay
// that later stacks it; `security.selinux` labels are the host policy's.
bool is_forbidden_xattr(const std::string& name);

}  // namespace hutch
