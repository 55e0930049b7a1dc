{
  "targets": [
    {
      "target_name": "hutch",
      "sources": [
        "addon/binding.cc",
        "addon/lock.cc",
        "addon/memfd.cc",
        "addon/passwd.cc",
        "addon/probes.cc",
        "addon/spawn.cc",
        "addon/xattr.cc",
        "addon/zstd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "hutch-runtime",
      "type": "executable",
      "sources": [
        "addon/runtime-main.cc",
        "addon/runtime-error.cc",
        "addon/idmap.cc",
        "addon/namespaces.cc",
        "addon/json.cc",
        "addon/config.cc",
        "addon/mounts.cc",
        "addon/copy-up.cc",
        "addon/seccomp.cc",
        "addon/seccomp-cache.cc",
        "addon/pty.cc",
        "addon/process.cc",
        "addon/state.cc",
        "addon/rfc3339.cc",
        "addon/hooks.cc",
        "addon/lifecycle.cc",
        "addon/remove-tree.cc",
        "addon/monitor.cc",
        "addon/exec.cc",
        "addon/cp.cc",
        "addon/attach-input.cc",
        "addon/cp-tar.cc",
        "addon/rootfs-fuse.cc",
        "addon/rootfs-copy.cc",
        "addon/apply-layer.cc",
        "addon/layer-applier.cc",
        "addon/layer-fs.cc",
        "addon/layer-names.cc",
        "addon/layer-stream.cc",
        "addon/layer-tar.cc",
        "addon/gunzip.cc",
        "addon/sha256.cc",
        "addon/zstd.cc",
        "addon/cgroup.cc"
      ],
      "defines": ["_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Os", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--gc-sections", "-Wl,--build-id=sha1", "-s"],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "hutch-init",
      "type": "executable",
      "sources": ["addon/init-main.cc"],
      "defines": ["_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Os", "-fno-exceptions", "-fno-rtti"],
      "ldflags!": ["-rdynamic"],
      "ldflags": ["-static", "-s"]
    },
    {
      "target_name": "hutch-monitor",
      "type": "executable",
      "sources": ["addon/monitor-main.cc", "addon/logfile.cc", "addon/rfc3339.cc"],
      "defines": ["_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Os", "-fno-exceptions", "-fno-rtti",
                    "-fno-asynchronous-unwind-tables", "-ffunction-sections", "-fdata-sections"],
      "ldflags!": ["-rdynamic"],
      "ldflags": ["-static", "-s", "-Wl,--gc-sections"]
    }
  ]
}
