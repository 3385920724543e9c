/*
 * server_proc: what the tests of the servers share: seeded random bytes,
 * child processes, the server under test, and sockets to talk to it over
 * loopback.
 * Every wait has a hang guard, GUARD_MS without any progress.
 */
#ifndef SERVER_PROC_H
#define SERVER_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GUARD_MS 60000 /* a wait with no progress for this long has hung */

extern uint64_t rng_state; /* seed it in each test's setup */
uint64_t rng_next(void);
unsigned char *random_bytes(size_t n);
void sleep_ms(long ms);
int wait_exit(pid_t pid);
int temp_file(void);
int open_null(void);
void raise_fd_limit(void);
int read_port(int fd);
int connect_to(int port, int rcvbuf);
char *which(const char *name);

pid_t spawn(char *const argv[], char *const envp[], int in, int out,
            int err);
char *file_bytes(int fd, size_t *len);
char *file_text(int fd);

/* The server of the current test; server_kill() ends it if a test failed. */
struct server {
    pid_t pid;
    int out;  /* the read end of its stdout */
    int err;  /* a temp file with its stderr */
    int port;
    int ipv6; /* it listens on [::1] or [::]: connect_to uses ::1 */
};
extern struct server srv;
void server_launch(char *const argv[]);
char *server_stop(int sig);
void server_stop_clean(void);
void server_kill(void);

pid_t start_streamers(int port, int n, const void *msg, size_t len);

#endif
