#include "apply-layer.h"

#include <fcntl.h>
#include <unistd.h>

#include <exception>

#include "json.h"
#include "layer-applier.h"
#include "layer-failure.h"
#include "layer-stream.h"
#include "layer-tar.h"
#include "state.h"
#include "write-all.h"

namespace hutch {

namespace {

// A larger stdin pipe (the default holds 64 KiB) lets the parent hand over a
// whole network read at once and this process read 256 KiB per call: fewer
// blocked writes and wake-ups on both sides. 1 MiB is the unprivileged maximum
// (fs.pipe-max-size).
constexpr int kStdinPipeBytes = 1 << 20;

// fd 3: the parent writes one byte when the lower layers are complete and
// closes it (EOF) when they failed or it died.
constexpr int kLowersFd = 3;

struct Job {
  ApplyOptions apply;
  Compression compression = Compression::kNone;
  StreamLimits limits{64ULL << 30, 200, 256ULL << 20, 0};
};

uint64_t optional_uint(const JsonValue& doc, const char* key, uint64_t fallback, const std::string& where) {
  const JsonValue* v = doc.get(key);
  return v == nullptr ? fallback : v->as_uint64(where + key);
}

Job parse_job(const std::string& text) {
  JsonValue doc = JsonValue::parse(text);
  Job job;
  const JsonValue* target = doc.get("target");
  const JsonValue* digest = doc.get("layerDigest");
  const JsonValue* compression = doc.get("compression");
  if (target == nullptr || digest == nullptr || compression == nullptr) {
    throw LayerFailure{"HutchError", "EINTERNAL", "apply-layer: the job needs `target`, `layerDigest` and `compression`", ""};
  }
  job.apply.target = target->as_string("target");
  job.apply.layer_digest = digest->as_string("layerDigest");
  const std::string& c = compression->as_string("compression");
  if (c == "gzip") job.compression = Compression::kGzip;
  else if (c == "zstd") job.compression = Compression::kZstd;
  else if (c != "none") throw LayerFailure{"HutchError", "EINTERNAL", "apply-layer: unknown compression `" + c + "`", ""};
  if (const JsonValue* lowers = doc.get("lowers")) {
    for (const JsonValue& l : lowers->as_array("lowers")) job.apply.lowers.push_back(l.as_string("lowers[]"));
  }
  if (const JsonValue* v = doc.get("lowersPending")) job.apply.lowers_pending = v->as_bool("lowersPending");
  if (const JsonValue* v = doc.get("ignoreChownErrors")) job.apply.ignore_chown_errors = v->as_bool("ignoreChownErrors");
  job.apply.lowers_fd = kLowersFd;
  // The ratio cap applies to compressed layers only.
  if (job.compression != Compression::kNone) job.limits.compressed_size = optional_uint(doc, "compressedSize", 0, "");
  if (const JsonValue* limits = doc.get("limits")) {
    job.limits.max_bytes = optional_uint(*limits, "maxBytes", job.limits.max_bytes, "limits.");
    job.limits.max_ratio = optional_uint(*limits, "maxRatio", job.limits.max_ratio, "limits.");
    job.limits.ratio_floor = optional_uint(*limits, "ratioFloor", job.limits.ratio_floor, "limits.");
    job.apply.max_entries = optional_uint(*limits, "maxEntries", job.apply.max_entries, "limits.");
  }
  return job;
}

void print_line(const std::string& json) {
  std::string line = json + "\n";
  write_all(STDOUT_FILENO, line.data(), line.size());
}

}  // namespace

int apply_layer_main(const std::vector<std::string>& args) {
  try {
    if (args.size() != 1) throw LayerFailure{"HutchError", "EINTERNAL", "usage: hutch-runtime apply-layer JOB-JSON", ""};
    Job job = parse_job(args[0]);
    // Not a pipe (a file, a terminal), or over a per-user pipe quota: the default size does.
    fcntl(STDIN_FILENO, F_SETPIPE_SZ, kStdinPipeBytes);
    LayerApplier applier(job.apply);
    LayerStream stream(STDIN_FILENO, job.compression, job.apply.layer_digest, job.limits);
    TarReader tar(stream);
    ApplyOutcome out = applier.run(tar);
    // The digest covers every byte, also what follows the end-of-archive marker.
    stream.drain();
    std::string warnings;
    for (const std::string& w : out.warnings) warnings += (warnings.empty() ? "" : ",") + json_string(w);
    print_line("{\"diffId\":" + json_string(stream.diff_id()) + ",\"bytes\":" + std::to_string(stream.bytes()) +
               ",\"entries\":" + std::to_string(out.entries) + ",\"warnings\":[" + warnings +
               "],\"diskBytes\":" + std::to_string(out.disk_bytes) + "}");
    return 0;
  } catch (const LayerFailure& f) {
    print_line("{\"error\":{\"name\":" + json_string(f.name) + ",\"code\":" + json_string(f.code) + ",\"message\":" +
               json_string(f.message) + (f.hint.empty() ? "" : ",\"hint\":" + json_string(f.hint)) + "}}");
  } catch (const std::exception& e) {
    print_line("{\"error\":{\"name\":\"HutchError\",\"code\":\"EINTERNAL\",\"message\":" + json_string(std::string("apply-layer: ") + e.what()) + "}}");
  }
  return 1;
}

}  // namespace hutch
