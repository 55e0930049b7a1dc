// The container's terminal: a pty allocated from the container's own devpts
// instance, its master handed to the runtime's parent, which relays it to
// the host terminal (raw mode, window size).
#pragma once

#include <string>

namespace hutch {

// Opens /dev/pts/ptmx of the (already pivoted) container; returns the
// master fd and stores the slave's path.
int open_container_pty(std::string* slave_path);

// Makes the slave the controlling terminal and stdin/stdout/stderr of the
// calling process (which becomes a session leader).
void attach_controlling_terminal(const std::string& slave_path);

// Passes an fd over a unix socket with SCM_RIGHTS, tagged with one byte.
void send_fd(int sock, char tag, int fd);

// Receives one message; *fd is set when it carried one, else -1.
// Returns the message length (0 on EOF).
ssize_t recv_message(int sock, char* buf, size_t len, int* fd);

// Puts the host terminal on `fd` into raw mode until restore_host_terminal().
void make_host_terminal_raw(int fd);
void restore_host_terminal();

// Copies the host terminal's window size to the pty master.
void copy_window_size(int host_fd, int master_fd);

}  // namespace hutch
