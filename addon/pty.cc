#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "runtime-error.h"

namespace hutch {

namespace {
bool g_saved = false;
int g_saved_fd = -1;
struct termios g_saved_termios;
}  // namespace

int open_container_pty(std::string* slave_path) {
  // The container's devpts, not the host's: the slave must exist inside its
  // /dev/pts, and /dev/ptmx may be the host's node.
  int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) throw sys_error("open", "/dev/pts/ptmx", errno);
  if (unlockpt(master) != 0) {
    int err = errno;
    close(master);
    throw sys_error("unlockpt", "/dev/pts/ptmx", err);
  }
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    throw sys_error("ptsname", "/dev/pts/ptmx", err);
  }
  *slave_path = name;
  return master;
}

void attach_controlling_terminal(const std::string& slave_path) {
  if (setsid() < 0) throw sys_error_plain("setsid", errno);
  int slave = open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) throw sys_error("open", slave_path, errno);
  if (ioctl(slave, TIOCSCTTY, 0) != 0) throw sys_error("ioctl TIOCSCTTY", slave_path, errno);
  for (int target = 0; target <= 2; target++) {
    if (dup2(slave, target) < 0) throw sys_error("dup2", slave_path, errno);
  }
  close(slave);
}

void send_fd(int sock, char tag, int fd) {
  struct msghdr msg = {};
  struct iovec iov = {&tag, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0) throw sys_error_plain("sendmsg pty master", errno);
}

ssize_t recv_message(int sock, char* buf, size_t len, int* fd) {
  *fd = -1;
  struct msghdr msg = {};
  struct iovec iov = {buf, len};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n < 0) throw sys_error_plain("recvmsg sync socket", errno);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
  }
  return n;
}

void make_host_terminal_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return;
  g_saved_termios = t;
  g_saved_fd = fd;
  g_saved = true;
  cfmakeraw(&t);
  if (tcsetattr(fd, TCSANOW, &t) != 0) throw sys_error("tcsetattr", "host terminal", errno);
}

void restore_host_terminal() {
  if (!g_saved) return;
  tcsetattr(g_saved_fd, TCSANOW, &g_saved_termios);
  g_saved = false;
}

void copy_window_size(int host_fd, int master_fd) {
  struct winsize ws;
  if (ioctl(host_fd, TIOCGWINSZ, &ws) == 0) ioctl(master_fd, TIOCSWINSZ, &ws);
}

}  // namespace hutch
