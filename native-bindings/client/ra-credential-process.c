/*
 * ra-credential-process: the fast path of a per-call `credential_process`.
 *
 *   credential_process = ra-credential-process --profile NAME
 *
 * A Node process costs ~60 ms to start; this asks the running agent over its Unix socket
 * instead (GET /v1/profiles/<name>/credentials) and prints the agent's 200 body to stdout
 * byte for byte: the agent already formats the credential_process JSON. No dependency beyond
 * libc; every read is bounded in size (64 KiB) and time (--timeout, default 30 s in all).
 *
 * Exit codes: 0 credentials printed; 1 the agent could not be reached or said no
 * (`error:` and `hint:` lines on stderr); 2 usage error (nothing was sent).
 *
 * HTTP: the request says `Connection: close`. The agent answers with Content-Length; chunked
 * transfer-encoding and a body ended by the close are accepted too. Content-Length together
 * with Transfer-Encoding is rejected as ambiguous.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (64 * 1024)
#define MAX_PROFILE 64
#define DEFAULT_TIMEOUT_S 30
#define MAX_TIMEOUT_S 600
#define EXIT_RUN 1
#define EXIT_USAGE 2

static const char USAGE[] =
    "usage: ra-credential-process [--socket PATH] [--timeout SECONDS] --profile NAME\n"
    "  Prints the credential_process JSON of agent profile NAME, fetched from the running\n"
    "  rolesanywhere-agent over its Unix socket.\n"
    "  --socket   default $ROLESANYWHERE_AGENT_SOCKET, else\n"
    "             $XDG_RUNTIME_DIR/rolesanywhere-agent/agent.sock, or\n"
    "             /run/rolesanywhere-agent/agent.sock as root or without XDG_RUNTIME_DIR\n"
    "  --timeout  seconds for the whole exchange, 1 to 600 (default 30)\n";

static const char HINT_NOT_RUNNING[] = "is the agent running? (systemctl status rolesanywhere-agent)";
static const char HINT_LOG[] = "check the agent's log (journalctl -u rolesanywhere-agent)";

/* ---- reporting ------------------------------------------------------------------------- */

/* Prints `error: ...` and `hint: ...` to stderr and returns `code`. */
static int report(int code, const char *hint, const char *format, ...) {
  char message[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  fprintf(stderr, "error: %s\nhint: %s\n", message, hint);
  return code;
}

/* Replaces bytes a terminal would act on (C0, DEL, C1 as UTF-8) so text from the agent cannot
 * move the cursor or inject escape sequences into the user's terminal or logs. */
static void sanitize(char *text) {
  for (unsigned char *p = (unsigned char *)text; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7f) {
      *p = ' ';
    } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
      p[0] = ' ';
      p[1] = ' ';
      p++;
    }
  }
}

/* ---- arguments ------------------------------------------------------------------------- */

typedef struct {
  const char *socket_path; /* NULL: the default */
  const char *profile;
  int timeout_s;
} options_t;

/* [A-Za-z0-9._-]{1,64}, and not only dots: the name goes into the request line unescaped, so
 * this is what rules out header injection ("\r\n") and path tricks ("..", "/"). */
static int valid_profile(const char *name) {
  size_t len = strlen(name);
  if (len < 1 || len > MAX_PROFILE) return 0;
  int only_dots = 1;
  for (const char *p = name; *p != '\0'; p++) {
    char c = *p;
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
             c == '_' || c == '-';
    if (!ok) return 0;
    if (c != '.') only_dots = 0;
  }
  return !only_dots;
}

/* Matches `--name VALUE` and `--name=VALUE`; advances *i past a separate value. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *arg = argv[*i];
  size_t len = strlen(name);
  if (strncmp(arg, name, len) != 0) return 0;
  if (arg[len] == '=') {
    *value = arg + len + 1;
    return 1;
  }
  if (arg[len] != '\0') return 0;
  if (*i + 1 >= argc) {
    *value = NULL;
    return 1;
  }
  *i += 1;
  *value = argv[*i];
  return 1;
}

static int usage_error(const char *format, const char *detail) {
  char message[512];
  snprintf(message, sizeof message, format, detail);
  sanitize(message);
  fprintf(stderr,
          "error: %s\nhint: usage: ra-credential-process [--socket PATH] [--timeout SECONDS] --profile NAME"
          " (--help for more)\n",
          message);
  return EXIT_USAGE;
}

/* Returns -1 when parsed, else the exit code (0 after --help). */
static int parse_args(int argc, char **argv, options_t *options) {
  options->socket_path = NULL;
  options->profile = NULL;
  options->timeout_s = DEFAULT_TIMEOUT_S;
  for (int i = 1; i < argc; i++) {
    const char *value = NULL;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(USAGE, stdout);
      return 0;
    } else if (option_value(argc, argv, &i, "--socket", &value)) {
      if (value == NULL || value[0] == '\0') return usage_error("%s needs a socket path", "--socket");
      options->socket_path = value;
    } else if (option_value(argc, argv, &i, "--profile", &value)) {
      if (value == NULL) return usage_error("%s needs a profile name", "--profile");
      options->profile = value;
    } else if (option_value(argc, argv, &i, "--timeout", &value)) {
      if (value == NULL) return usage_error("%s needs a number of seconds", "--timeout");
      char *end = NULL;
      errno = 0;
      long seconds = strtol(value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || seconds < 1 || seconds > MAX_TIMEOUT_S) {
        return usage_error("invalid --timeout '%s': expected whole seconds from 1 to 600", value);
      }
      options->timeout_s = (int)seconds;
    } else {
      return usage_error("unknown argument '%s'", argv[i]);
    }
  }
  if (options->profile == NULL) return usage_error("%s is required", "--profile NAME");
  if (!valid_profile(options->profile)) {
    return usage_error("invalid profile name '%s': expected 1 to 64 of A-Z a-z 0-9 . _ -", options->profile);
  }
  return -1;
}

/* $XDG_RUNTIME_DIR/rolesanywhere-agent/agent.sock for a user, /run/... for root or without it. */
static int default_socket_path(char *out, size_t size) {
  const char *runtime = getenv("XDG_RUNTIME_DIR");
  int n;
  if (getuid() == 0 || runtime == NULL || runtime[0] == '\0') {
    n = snprintf(out, size, "/run/rolesanywhere-agent/agent.sock");
  } else {
    n = snprintf(out, size, "%s/rolesanywhere-agent/agent.sock", runtime);
  }
  return n > 0 && (size_t)n < size ? 0 : -1;
}

/* ---- time ------------------------------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets SO_RCVTIMEO/SO_SNDTIMEO to what is left until the deadline; 0 when it has passed. */
static int arm_timeout(int fd, int option, long long deadline) {
  long long left = deadline - now_ms();
  if (left <= 0) return 0;
  struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
  return 1;
}

/* ---- HTTP response --------------------------------------------------------------------- */

typedef struct {
  /* one byte more than allowed, to see that it was exceeded, and a NUL after that */
  char raw[MAX_RESPONSE + 2];
  size_t len;
  size_t header_end; /* offset of the body; 0 while headers are incomplete */
  size_t scanned;    /* where the search for the end of headers resumes */
  int status;
  char status_line[128];
  long long content_length; /* -1: none */
  int chunked;
  /* chunked decoding, resumed where the last complete chunk ended */
  char body[MAX_RESPONSE];
  size_t body_len;
  size_t chunk_pos;
  int chunks_done;
} response_t;

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int name_is(const char *name, size_t len, const char *expected) {
  if (strlen(expected) != len) return 0;
  for (size_t i = 0; i < len; i++) {
    if (lower((unsigned char)name[i]) != expected[i]) return 0;
  }
  return 1;
}

static void trim(const char **start, const char **end) {
  while (*start < *end && (**start == ' ' || **start == '\t')) (*start)++;
  while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) (*end)--;
}

/* Parses the status line and the headers in raw[0, header_end). 0 ok, -1 malformed. */
static int parse_head(response_t *r, const char **problem) {
  const char *p = r->raw;
  const char *end = r->raw + r->header_end - 2; /* at the blank line's CRLF */
  const char *eol = strstr(p, "\r\n");
  if (eol == NULL || eol > end || eol - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
      p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
      (eol - p > 12 && p[12] != ' ')) {
    *problem = "malformed status line";
    return -1;
  }
  r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  size_t line_len = (size_t)(eol - p);
  if (line_len >= sizeof r->status_line) line_len = sizeof r->status_line - 1;
  memcpy(r->status_line, p, line_len);
  r->status_line[line_len] = '\0';
  sanitize(r->status_line);

  r->content_length = -1;
  r->chunked = 0;
  for (p = eol + 2; p < end; p = eol + 2) {
    eol = strstr(p, "\r\n");
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (colon == NULL || colon == p) {
      *problem = "malformed header line";
      return -1;
    }
    const char *value = colon + 1;
    const char *value_end = eol;
    trim(&value, &value_end);
    size_t name_len = (size_t)(colon - p);
    if (name_is(p, name_len, "content-length")) {
      long long n = 0;
      if (value == value_end || value_end - value > 9) {
        *problem = "invalid Content-Length";
        return -1;
      }
      for (const char *d = value; d < value_end; d++) {
        if (*d < '0' || *d > '9') {
          *problem = "invalid Content-Length";
          return -1;
        }
        n = n * 10 + (*d - '0');
      }
      if (r->content_length >= 0 && r->content_length != n) {
        *problem = "conflicting Content-Length headers";
        return -1;
      }
      r->content_length = n;
    } else if (name_is(p, name_len, "transfer-encoding")) {
      if (!name_is(value, (size_t)(value_end - value), "chunked")) {
        *problem = "unsupported Transfer-Encoding";
        return -1;
      }
      r->chunked = 1;
    }
  }
  if (r->chunked && r->content_length >= 0) {
    *problem = "both Content-Length and Transfer-Encoding";
    return -1;
  }
  return 0;
}

/* Finds the end of the headers, resuming the search where the last call stopped. */
static void find_header_end(response_t *r) {
  size_t i = r->scanned;
  for (; i + 4 <= r->len; i++) {
    if (memcmp(r->raw + i, "\r\n\r\n", 4) == 0) {
      r->header_end = i + 4;
      return;
    }
  }
  r->scanned = i;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (char)lower((unsigned char)c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes whole chunks received so far. 1 done, 0 more needed, -1 malformed, -2 too large. */
static int decode_chunks(response_t *r) {
  const char *data = r->raw + r->header_end;
  size_t n = r->len - r->header_end;
  for (;;) {
    size_t pos = r->chunk_pos;
    if (r->chunks_done) {
      /* trailers: header lines until an empty line */
      for (;;) {
        if (pos + 2 > n) return 0;
        if (data[pos] == '\r' && data[pos + 1] == '\n') return 1;
        const char *eol = NULL;
        for (size_t i = pos; i + 1 < n; i++) {
          if (data[i] == '\r' && data[i + 1] == '\n') {
            eol = data + i;
            break;
          }
        }
        if (eol == NULL) return 0;
        pos = (size_t)(eol - data) + 2;
        r->chunk_pos = pos;
      }
    }
    size_t size = 0;
    size_t digits = 0;
    while (pos < n && hex_value(data[pos]) >= 0) {
      if (++digits > 8) return -1;
      size = size * 16 + (size_t)hex_value(data[pos]);
      pos++;
    }
    if (pos == n) return 0;
    if (digits == 0) return -1;
    /* chunk extensions up to CRLF; bounded by the response limit */
    while (pos + 1 < n && !(data[pos] == '\r' && data[pos + 1] == '\n')) {
      if (data[pos] == '\n') return -1;
      pos++;
    }
    if (pos + 1 >= n) return 0;
    pos += 2;
    if (size == 0) {
      r->chunks_done = 1;
      r->chunk_pos = pos;
      continue;
    }
    if (size > sizeof r->body - r->body_len) return -2;
    if (n - pos < size + 2) return 0;
    if (data[pos + size] != '\r' || data[pos + size + 1] != '\n') return -1;
    memcpy(r->body + r->body_len, data + pos, size);
    r->body_len += size;
    r->chunk_pos = pos + size + 2;
  }
}

/* ---- a tiny JSON reader: one top-level string field of an error body ------------------- */

typedef struct {
  const char *p;
  const char *end;
} cursor_t;

static void skip_ws(cursor_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static size_t put_utf8(char *out, unsigned long cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

static long read_hex4(cursor_t *c) {
  if (c->end - c->p < 4) return -1;
  long v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(c->p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  c->p += 4;
  return v;
}

/* Reads a JSON string at the cursor into out (NUL-terminated, cut to fit; out may be NULL). */
static int read_string(cursor_t *c, char *out, size_t size) {
  size_t o = 0;
  if (c->p >= c->end || *c->p != '"') return -1;
  c->p++;
  while (c->p < c->end && *c->p != '"') {
    char buf[4];
    size_t n = 1;
    unsigned char ch = (unsigned char)*c->p++;
    if (ch < 0x20) return -1;
    buf[0] = (char)ch;
    if (ch == '\\') {
      if (c->p >= c->end) return -1;
      char e = *c->p++;
      switch (e) {
        case '"': case '\\': case '/': buf[0] = e; break;
        case 'b': buf[0] = '\b'; break;
        case 'f': buf[0] = '\f'; break;
        case 'n': buf[0] = '\n'; break;
        case 'r': buf[0] = '\r'; break;
        case 't': buf[0] = '\t'; break;
        case 'u': {
          long cp = read_hex4(c);
          if (cp < 0) return -1;
          if (cp >= 0xd800 && cp <= 0xdbff && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
            cursor_t look = {c->p + 2, c->end};
            long low = read_hex4(&look);
            if (low >= 0xdc00 && low <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
              c->p = look.p;
            }
          }
          if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; /* lone surrogate */
          n = put_utf8(buf, (unsigned long)cp);
          break;
        }
        default: return -1;
      }
    }
    if (out != NULL && o + n < size) {
      memcpy(out + o, buf, n);
      o += n;
    }
  }
  if (c->p >= c->end) return -1;
  c->p++;
  if (out != NULL && size > 0) out[o] = '\0';
  return 0;
}

static int skip_value(cursor_t *c, int depth) {
  skip_ws(c);
  if (c->p >= c->end || depth > 32) return -1;
  char open = *c->p;
  if (open == '"') return read_string(c, NULL, 0);
  if (open == '{' || open == '[') {
    char close = open == '{' ? '}' : ']';
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
      c->p++;
      return 0;
    }
    for (;;) {
      if (open == '{') {
        skip_ws(c);
        if (read_string(c, NULL, 0) != 0) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return -1;
        c->p++;
      }
      if (skip_value(c, depth + 1) != 0) return -1;
      skip_ws(c);
      if (c->p >= c->end) return -1;
      if (*c->p == close) {
        c->p++;
        return 0;
      }
      if (*c->p != ',') return -1;
      c->p++;
    }
  }
  /* number, true, false, null */
  const char *start = c->p;
  while (c->p < c->end && strchr("+-.0123456789eEtruefalsn", *c->p) != NULL) c->p++;
  return c->p > start ? 0 : -1;
}

/* Copies the top-level string field `key` of a JSON object into out; 1 found, 0 not. */
static int json_field(const char *json, size_t len, const char *key, char *out, size_t size) {
  cursor_t c = {json, json + len};
  char name[64];
  skip_ws(&c);
  if (c.p >= c.end || *c.p != '{') return 0;
  c.p++;
  skip_ws(&c);
  if (c.p < c.end && *c.p == '}') return 0;
  for (;;) {
    skip_ws(&c);
    if (read_string(&c, name, sizeof name) != 0) return 0;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != ':') return 0;
    c.p++;
    skip_ws(&c);
    if (strcmp(name, key) == 0 && c.p < c.end && *c.p == '"') {
      if (read_string(&c, out, size) != 0) return 0;
      sanitize(out);
      return out[0] != '\0';
    }
    if (skip_value(&c, 1) != 0) return 0;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != ',') return 0;
    c.p++;
  }
}

/* ---- the exchange ---------------------------------------------------------------------- */

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Prints the agent's refusal: its "message" and "hint", else the status line and a default. */
static int report_status(const response_t *r, const char *body, size_t body_len, const char *profile) {
  char message[1024];
  char hint[1024];
  if (!json_field(body, body_len, "message", message, sizeof message)) {
    snprintf(message, sizeof message, "the agent answered %s", r->status_line);
  }
  if (!json_field(body, body_len, "hint", hint, sizeof hint)) {
    if (r->status == 401 || r->status == 403) {
      snprintf(hint, sizeof hint, "the agent does not allow this user (uid %ld): add it to the agent's allowed users or groups",
               (long)getuid());
    } else if (r->status == 404) {
      snprintf(hint, sizeof hint, "check that profile '%s' is in the agent's configuration", profile);
    } else {
      snprintf(hint, sizeof hint, "%s", HINT_LOG);
    }
  }
  return report(EXIT_RUN, hint, "%s", message);
}

static int connect_agent(const char *path, long long deadline, int timeout_s, int *out_fd) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, strlen(path) + 1);

  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return report(EXIT_RUN, HINT_LOG, "cannot create a Unix socket: %s", strerror(errno));
  /* a full listen backlog blocks connect() on Unix sockets; SO_SNDTIMEO bounds it (Linux) */
  arm_timeout(fd, SO_SNDTIMEO, deadline);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int err = errno;
    close(fd);
    if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT || err == EINPROGRESS) {
      return report(EXIT_RUN, HINT_LOG, "the agent at %s did not accept the connection within %d s", path, timeout_s);
    }
    if (err == EACCES || err == EPERM) {
      return report(EXIT_RUN,
                    "the agent's socket admits only its own user or group: run as an allowed user, or check "
                    "the socket directory's permissions",
                    "cannot connect to the agent at %s: %s", path, strerror(err));
    }
    return report(EXIT_RUN, HINT_NOT_RUNNING, "cannot connect to the agent at %s: %s", path, strerror(err));
  }
  *out_fd = fd;
  return 0;
}

static response_t response;

int main(int argc, char **argv) {
  options_t options;
  int parsed = parse_args(argc, argv, &options);
  if (parsed >= 0) return parsed;

  char default_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *path = options.socket_path;
  /* The same order as the agent's other clients: --socket, $ROLESANYWHERE_AGENT_SOCKET, default. */
  const char *from_env = getenv("ROLESANYWHERE_AGENT_SOCKET");
  if (path == NULL && from_env != NULL && from_env[0] != '\0') path = from_env;
  if (path == NULL) {
    if (default_socket_path(default_path, sizeof default_path) != 0) {
      return report(EXIT_RUN, "use a shorter XDG_RUNTIME_DIR, or pass --socket PATH",
                    "the default socket path under XDG_RUNTIME_DIR is longer than a Unix socket path can be");
    }
    path = default_path;
  } else if (strlen(path) >= sizeof default_path) {
    return usage_error("socket path too long (at most 107 bytes): %s", path);
  }

  /* a closed socket must be an error we report, not a silent death by SIGPIPE */
  signal(SIGPIPE, SIG_IGN);
  long long deadline = now_ms() + (long long)options.timeout_s * 1000;

  int fd = -1;
  int failed = connect_agent(path, deadline, options.timeout_s, &fd);
  if (failed) return failed;

  char request[256];
  int request_len = snprintf(request, sizeof request,
                             "GET /v1/profiles/%s/credentials HTTP/1.1\r\n"
                             "Host: localhost\r\n"
                             "Accept: application/json\r\n"
                             "User-Agent: ra-credential-process/1\r\n"
                             "Connection: close\r\n\r\n",
                             options.profile);
  arm_timeout(fd, SO_SNDTIMEO, deadline);
  if (write_all(fd, request, (size_t)request_len) != 0) {
    int err = errno;
    close(fd);
    return report(EXIT_RUN, HINT_LOG, "cannot send the request to the agent at %s: %s", path, strerror(err));
  }

  response_t *r = &response;
  int complete = 0;
  while (!complete) {
    if (!arm_timeout(fd, SO_RCVTIMEO, deadline)) {
      close(fd);
      return report(EXIT_RUN, HINT_LOG, "no complete answer from the agent at %s within %d s", path, options.timeout_s);
    }
    ssize_t n = recv(fd, r->raw + r->len, sizeof r->raw - 1 - r->len, 0);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      close(fd);
      if (err == EAGAIN || err == EWOULDBLOCK) {
        return report(EXIT_RUN, HINT_LOG, "no complete answer from the agent at %s within %d s", path,
                      options.timeout_s);
      }
      return report(EXIT_RUN, HINT_LOG, "lost the connection to the agent at %s: %s", path, strerror(err));
    }
    int eof = n == 0;
    r->len += (size_t)n;
    r->raw[r->len] = '\0';
    if (r->len > MAX_RESPONSE) {
      close(fd);
      return report(EXIT_RUN, HINT_LOG, "the agent's answer is larger than %d bytes", MAX_RESPONSE);
    }
    if (r->header_end == 0) {
      find_header_end(r);
      if (r->header_end != 0) {
        const char *problem = NULL;
        if (memchr(r->raw, '\0', r->header_end) != NULL) {
          problem = "NUL byte in the headers";
        } else if (parse_head(r, &problem) == 0 && r->content_length >= 0 &&
                   r->header_end + (size_t)r->content_length > MAX_RESPONSE) {
          close(fd);
          return report(EXIT_RUN, HINT_LOG, "the agent's answer is larger than %d bytes", MAX_RESPONSE);
        }
        if (problem != NULL) {
          close(fd);
          return report(EXIT_RUN, HINT_LOG, "invalid HTTP answer from the agent at %s: %s", path, problem);
        }
      }
    }
    if (r->header_end != 0) {
      size_t have = r->len - r->header_end;
      if (r->content_length >= 0) {
        complete = have >= (size_t)r->content_length;
      } else if (r->chunked) {
        int state = decode_chunks(r);
        if (state == -2) {
          close(fd);
          return report(EXIT_RUN, HINT_LOG, "the agent's answer is larger than %d bytes", MAX_RESPONSE);
        }
        if (state < 0) {
          close(fd);
          return report(EXIT_RUN, HINT_LOG, "invalid chunked body from the agent at %s", path);
        }
        complete = state == 1;
      } else {
        complete = eof; /* the body ends with the connection */
      }
    }
    if (eof && !complete) {
      close(fd);
      return report(EXIT_RUN, HINT_LOG, "the agent at %s closed the connection before a complete answer", path);
    }
  }
  close(fd);

  const char *body = r->chunked ? r->body : r->raw + r->header_end;
  size_t body_len = r->chunked                 ? r->body_len
                    : r->content_length >= 0 ? (size_t)r->content_length
                                             : r->len - r->header_end;
  if (r->status != 200) return report_status(r, body, body_len, options.profile);
  if (body_len == 0) {
    /* fail closed: empty credentials must never reach the SDK as a success */
    return report(EXIT_RUN, HINT_LOG, "the agent answered 200 with an empty body for profile '%s'", options.profile);
  }
  if (write_all(STDOUT_FILENO, body, body_len) != 0) {
    return report(EXIT_RUN, "check where stdout goes", "cannot write the credentials to stdout: %s", strerror(errno));
  }
  return 0;
}
