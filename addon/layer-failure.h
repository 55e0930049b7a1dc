// Why a layer could not be applied, in the shape the Node side rebuilds into
// its HutchError family: {name, code, message, hint}, printed as JSON by
// `hutch-runtime apply-layer` (src/storage/apply-client.ts reads it).
#pragma once

#include <string>

namespace hutch {

struct LayerFailure {
  std::string name;     // InvalidContentError, HostError, InterruptedError, SystemError, HutchError
  std::string code;     // EINVALIDCONTENT, EIDMAP, an errno name...
  std::string message;  // names the layer digest and, where there is one, the entry
  std::string hint;     // what to do; may be empty
};

// The hint of every error caused by the layer's content.
inline const char* kMalformedHint = "the image is malformed or malicious; it was not stored";

inline LayerFailure invalid_content(const std::string& message, const std::string& hint = kMalformedHint) {
  return LayerFailure{"InvalidContentError", "EINVALIDCONTENT", message, hint};
}

inline LayerFailure host_failure(const std::string& code, const std::string& message, const std::string& hint) {
  return LayerFailure{"HostError", code, message, hint};
}

}  // namespace hutch
