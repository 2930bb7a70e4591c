/*
 * A closed-loop HTTP/1.1 load generator for a Unix socket, like wrk (which cannot use one):
 * `connections` keep-alive connections, each sending the request in --request-file again as soon
 * as the previous answer is complete. Written in C so that, on a small shared machine, the load
 * costs the server under test little CPU. Used by scripts/bench-agent.mjs, which compiles it.
 *
 * Usage: bench-load --socket PATH --request-file FILE [--connections 64] [--seconds 3]
 *          [--warmup 0.5]
 * Prints one JSON line: {"requests":N,"seconds":S,"p50":MS,"p99":MS,"cpu":CORES} (its own CPU).
 * Any answer but 200 is an error; the first one is printed on stderr and the run exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUFFER 65536

typedef struct {
  int fd;
  size_t written;
  size_t received;
  double started;
  char buffer[BUFFER];
} connection_t;

static const char *request;
static size_t request_length;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "error: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Writes what is left of the request; 0 when it is all out, 1 when the socket is full. */
static int send_request(connection_t *c) {
  while (c->written < request_length) {
    ssize_t n = write(c->fd, request + c->written, request_length - c->written);
    if (n < 0) {
      if (errno == EAGAIN) return 1;
      fail("write");
    }
    c->written += (size_t)n;
  }
  return 0;
}

/* Length of a complete answer at the start of the buffer, or 0 while it is incomplete. */
static size_t complete_answer(connection_t *c, int *status) {
  char *end = memmem(c->buffer, c->received, "\r\n\r\n", 4);
  if (end == NULL) return 0;
  size_t head = (size_t)(end - c->buffer) + 4;
  size_t body = 0;
  for (char *line = c->buffer; line < end; line++) {
    if ((line == c->buffer || line[-1] == '\n') && strncasecmp(line, "content-length:", 15) == 0) {
      body = strtoul(line + 15, NULL, 10);
    }
  }
  if (c->received < head + body) return 0;
  *status = atoi(c->buffer + 9);
  return head + body;
}

int main(int argc, char **argv) {
  const char *socket_path = NULL, *request_file = NULL;
  int connections = 64;
  double seconds = 3, warmup = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--socket") == 0) socket_path = argv[i + 1];
    else if (strcmp(argv[i], "--request-file") == 0) request_file = argv[i + 1];
    else if (strcmp(argv[i], "--connections") == 0) connections = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--warmup") == 0) warmup = atof(argv[i + 1]);
    else {
      fprintf(stderr, "error: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (socket_path == NULL || request_file == NULL || connections < 1 || connections > 4096 || seconds <= 0) {
    fprintf(stderr, "usage: bench-load --socket PATH --request-file FILE [--connections N] [--seconds S]\n");
    return 2;
  }
  FILE *file = fopen(request_file, "rb");
  if (file == NULL) fail(request_file);
  static char request_buffer[BUFFER];
  request_length = fread(request_buffer, 1, sizeof request_buffer, file);
  fclose(file);
  request = request_buffer;

  int epoll = epoll_create1(0);
  if (epoll < 0) fail("epoll_create1");
  connection_t *pool = calloc((size_t)connections, sizeof *pool);
  if (pool == NULL) fail("calloc");
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  strncpy(address.sun_path, socket_path, sizeof address.sun_path - 1);
  for (int i = 0; i < connections; i++) {
    connection_t *c = &pool[i];
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) fail("socket");
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event) != 0) fail("epoll_ctl");
  }

  size_t capacity = 1 << 20, count = 0;
  double *latencies = malloc(capacity * sizeof *latencies);
  if (latencies == NULL) fail("malloc");
  struct rusage usage0, usage1;
  double start = now_seconds();
  double count_from = start + warmup, stop_at = count_from + seconds;
  getrusage(RUSAGE_SELF, &usage0);
  for (int i = 0; i < connections; i++) {
    pool[i].started = now_seconds();
    send_request(&pool[i]);
  }
  struct epoll_event events[256];
  for (;;) {
    double now = now_seconds();
    if (now >= stop_at) break;
    int ready = epoll_wait(epoll, events, 256, 100);
    if (ready < 0 && errno != EINTR) fail("epoll_wait");
    for (int e = 0; e < ready; e++) {
      connection_t *c = events[e].data.ptr;
      if (events[e].events & EPOLLOUT) send_request(c);
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      for (;;) {
        ssize_t n = read(c->fd, c->buffer + c->received, BUFFER - c->received);
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) {
          fprintf(stderr, "error: the server closed a connection\n");
          return 1;
        }
        c->received += (size_t)n;
        int status = 0;
        size_t used;
        while ((used = complete_answer(c, &status)) > 0) {
          if (status != 200) {
            fprintf(stderr, "error: the server answered %d: %.*s\n", status, (int)c->received, c->buffer);
            return 1;
          }
          double finished = now_seconds();
          if (c->started >= count_from && finished < stop_at) {
            if (count == capacity) {
              capacity *= 2;
              latencies = realloc(latencies, capacity * sizeof *latencies);
              if (latencies == NULL) fail("realloc");
            }
            latencies[count++] = (finished - c->started) * 1000;
          }
          memmove(c->buffer, c->buffer + used, c->received - used);
          c->received -= used;
          c->written = 0;
          c->started = finished;
          send_request(c);
        }
      }
    }
  }
  getrusage(RUSAGE_SELF, &usage1);
  double cpu = (double)(usage1.ru_utime.tv_sec - usage0.ru_utime.tv_sec) +
               (double)(usage1.ru_utime.tv_usec - usage0.ru_utime.tv_usec) / 1e6 +
               (double)(usage1.ru_stime.tv_sec - usage0.ru_stime.tv_sec) +
               (double)(usage1.ru_stime.tv_usec - usage0.ru_stime.tv_usec) / 1e6;
  double elapsed = now_seconds() - start;
  qsort(latencies, count, sizeof *latencies, compare);
  double p50 = count ? latencies[count / 2] : 0, p99 = count ? latencies[(size_t)(count * 0.99)] : 0;
  printf("{\"requests\":%zu,\"seconds\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"cpu\":%.3f}\n", count,
         seconds, p50, p99, cpu / elapsed);
  return 0;
}
