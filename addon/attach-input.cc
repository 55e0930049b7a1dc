#include "attach-input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "runtime-error.h"
#include "state.h"

namespace hutch {

namespace {

constexpr size_t kPacket = 16 * 1024;

// The attach socket is bound through /proc/self/fd/N of its directory (see
// the monitor): connect the same way, so a long state root still fits sun_path.
int connect_attach(const std::string& dir) {
  int dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw sys_error("open", dir, errno);
  std::string path = "/proc/self/fd/" + std::to_string(dir_fd) + "/attach";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size());
  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) throw sys_error_plain("socket AF_UNIX", errno);
  int rc = connect(sock, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(dir_fd);
  if (rc != 0) throw sys_error("connect", dir + "/attach", err);
  return sock;
}

}  // namespace

int attach_input_main(const std::string& root, const std::vector<std::string>& args) {
  if (args.size() != 1) throw RuntimeError("usage: hutch-runtime [--root DIR] attach-input ID");
  validate_container_id(args[0], "attach-input");
  int sock = connect_attach(root + "/" + args[0]);
  signal(SIGPIPE, SIG_IGN);
  char buf[kPacket];
  struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sock, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw sys_error_plain("poll", errno);
    }
    // Output packets are read and dropped: a client that lets them pile up is disconnected.
    if (fds[1].revents & POLLIN) {
      if (recv(sock, buf, sizeof buf, 0) <= 0) return 0;
    } else if (fds[1].revents & (POLLHUP | POLLERR)) {
      return 0;
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      // End of input detaches; the container's stdin stays open, as documented for attach.
      if (n <= 0) return 0;
      if (send(sock, buf, static_cast<size_t>(n), 0) < 0) {
        // The monitor went away (the container ended): nothing more to feed.
        if (errno == EPIPE || errno == ECONNRESET) return 0;
        throw sys_error_plain("send attach", errno);
      }
    }
  }
}

}  // namespace hutch
