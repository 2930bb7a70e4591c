/*
 * Token signatures off the event loop. pkcs11js runs C_SignInit synchronously on the event loop
 * and only C_Sign on libuv's thread pool; under load the event loop then waits on the module's
 * locks while other threads sign. Here C_SignInit and C_Sign run together on threads of the
 * module's own, on the session and key handles pkcs11js opened (same module instance, so the
 * same handles).
 *
 * Own threads, not libuv's pool: a software token (SoftHSM, tpm2-pkcs11's host side) is CPU
 * bound and contends on its locks, so it signs fastest with about one thread per core, while
 * libuv's pool (4 threads, shared with file I/O) let more threads than cores into the module.
 * Lock discipline: `lock` guards the queue and the thread counts only; no module call and no
 * N-API call runs under it. Results go back through one thread-safe function, which the event
 * loop drains in batches; it is referenced only while signatures are pending, so a process with
 * nothing left to sign can exit.
 */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#define CRYPTOKI_COMPAT /* p11-kit's pkcs11.h: the standard field names */
#include "pkcs11-sign.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throw-errno.h"

#define MAX_SIGNATURE 16384
#define MAX_THREADS 64

typedef struct sign_job {
  struct sign_job *next;
  napi_deferred deferred;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE key;
  CK_MECHANISM_TYPE mechanism;
  unsigned char *input;
  CK_ULONG input_length;
  unsigned char *output;
  CK_ULONG output_length;
  CK_RV rv;
  const char *failed; /* the call that returned rv */
} sign_job_t;

/*
 * Lives as long as the process: its threads wait on it forever, so it is never freed (bound
 * modules are few, one per module path, and cached by the JavaScript side).
 */
typedef struct {
  CK_FUNCTION_LIST_PTR functions;
  napi_threadsafe_function done;
  pthread_mutex_t lock;
  pthread_cond_t queued;
  sign_job_t *head;
  sign_job_t *tail;
  unsigned threads;     /* started */
  unsigned idle;        /* waiting for a job */
  unsigned max_threads; /* never more */
  size_t pending;       /* queued or running; event loop only */
} bound_module_t;

static void free_job(sign_job_t *job) {
  if (job == NULL) return;
  free(job->input);
  free(job->output);
  free(job);
}

static void execute_sign(CK_FUNCTION_LIST_PTR functions, sign_job_t *job) {
  CK_MECHANISM mechanism = {job->mechanism, NULL, 0};
  job->failed = "C_SignInit";
  job->rv = functions->C_SignInit(job->session, &mechanism, job->key);
  if (job->rv != CKR_OK) return;
  job->failed = "C_Sign";
  CK_ULONG length = job->output_length;
  job->rv = functions->C_Sign(job->session, job->input, job->input_length, job->output, &length);
  if (job->rv == CKR_BUFFER_TOO_SMALL && length > job->output_length && length <= MAX_SIGNATURE) {
    /* The operation stays active after CKR_BUFFER_TOO_SMALL: ask again with the size it gave. */
    unsigned char *bigger = realloc(job->output, length);
    if (bigger != NULL) {
      job->output = bigger;
      job->output_length = length;
      job->rv = functions->C_Sign(job->session, job->input, job->input_length, job->output, &length);
    }
  }
  if (job->rv == CKR_BUFFER_TOO_SMALL) {
    /* Still active: end it (PKCS#11 3.0: C_SignInit with no mechanism), or the session's next
     * C_SignInit would fail with CKR_OPERATION_ACTIVE. A 2.x module may refuse; nothing else to try. */
    functions->C_SignInit(job->session, NULL, job->key);
    return;
  }
  if (job->rv == CKR_OK) job->output_length = length;
}

static void *signing_thread(void *data) {
  bound_module_t *bound = data;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "ra-token-sign"); /* as top -H and perf show it */
#endif
  for (;;) {
    pthread_mutex_lock(&bound->lock);
    bound->idle++;
    while (bound->head == NULL) pthread_cond_wait(&bound->queued, &bound->lock);
    bound->idle--;
    sign_job_t *job = bound->head;
    bound->head = job->next;
    if (bound->head == NULL) bound->tail = NULL;
    pthread_mutex_unlock(&bound->lock);

    execute_sign(bound->functions, job);
    /* Only fails once the environment is going away: nobody is left to hear the result. */
    if (napi_call_threadsafe_function(bound->done, job, napi_tsfn_blocking) != napi_ok) free_job(job);
  }
  return NULL;
}

static napi_value plain_error(napi_env env, const char *text) {
  napi_value message, error = NULL;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) == napi_ok)
    napi_create_error(env, NULL, message, &error);
  return error;
}

static napi_value pkcs11_error(napi_env env, CK_RV rv, const char *fn) {
  char text[96];
  snprintf(text, sizeof text, "%s failed: CK_RV 0x%08lX", fn, (unsigned long)rv);
  napi_value error = plain_error(env, text);
  if (error == NULL) return NULL;
  napi_value name, code, call;
  if (napi_create_string_utf8(env, "Pkcs11Error", NAPI_AUTO_LENGTH, &name) == napi_ok)
    napi_set_named_property(env, error, "name", name);
  if (napi_create_double(env, (double)rv, &code) == napi_ok) napi_set_named_property(env, error, "code", code);
  if (napi_create_string_utf8(env, fn, NAPI_AUTO_LENGTH, &call) == napi_ok)
    napi_set_named_property(env, error, "fn", call);
  return error;
}

/* On the event loop, once per finished job. */
static void settle(napi_env env, napi_value callback, void *context, void *data) {
  (void)callback;
  bound_module_t *bound = context;
  sign_job_t *job = data;
  if (env != NULL) {
    napi_value result = NULL;
    if (job->rv != CKR_OK) {
      napi_reject_deferred(env, job->deferred, pkcs11_error(env, job->rv, job->failed));
    } else if (napi_create_buffer_copy(env, job->output_length, job->output, NULL, &result) == napi_ok) {
      napi_resolve_deferred(env, job->deferred, result);
    } else {
      napi_reject_deferred(env, job->deferred, plain_error(env, "pkcs11Sign: cannot allocate the signature"));
    }
    if (--bound->pending == 0) napi_unref_threadsafe_function(env, bound->done);
  }
  free_job(job);
}

napi_value ra_bind_pkcs11_module(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char path[4096];
  size_t length = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok ||
      length == 0 || length >= sizeof path - 1) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "bindPkcs11Module: path must be a non-empty string");
  }
  double threads = 0;
  if (napi_get_value_double(env, argv[1], &threads) != napi_ok || !(threads >= 1 && threads <= MAX_THREADS) ||
      threads != (double)(unsigned)threads) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bindPkcs11Module: threads must be an integer 1..64");
  }
  /* RTLD_NOLOAD: only a module already loaded, so its C_Initialize has run and its handles are ours. */
  void *library = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (library == NULL) {
    char message[4200];
    snprintf(message, sizeof message, "pkcs11 module %s is not loaded in this process", path);
    napi_throw_error(env, "ERR_PKCS11_MODULE_NOT_LOADED", message);
    return NULL;
  }
  CK_C_GetFunctionList get_function_list = (CK_C_GetFunctionList)dlsym(library, "C_GetFunctionList");
  CK_FUNCTION_LIST_PTR functions = NULL;
  if (get_function_list == NULL || get_function_list(&functions) != CKR_OK || functions == NULL ||
      functions->C_SignInit == NULL || functions->C_Sign == NULL) {
    dlclose(library); /* pkcs11js still holds it */
    char message[4200];
    snprintf(message, sizeof message, "pkcs11 module %s gives no usable C_GetFunctionList", path);
    napi_throw_error(env, "ERR_PKCS11_MODULE_INVALID", message);
    return NULL;
  }
  /* Some modules hand each C_GetFunctionList caller an instance of its own (p11-kit-proxy does):
   * one this process has not initialized knows none of pkcs11js's sessions. */
  CK_INFO module_info;
  CK_RV rv = functions->C_GetInfo != NULL ? functions->C_GetInfo(&module_info) : CKR_FUNCTION_NOT_SUPPORTED;
  if (rv != CKR_OK) {
    dlclose(library);
    char message[4200];
    snprintf(message, sizeof message,
             "pkcs11 module %s gives this caller a separate instance (C_GetInfo: CK_RV 0x%08lX)", path,
             (unsigned long)rv);
    napi_throw_error(env, "ERR_PKCS11_MODULE_SEPARATE", message);
    return NULL;
  }
  /* The dlopen reference is kept for the life of the process, like pkcs11js's own. */
  bound_module_t *bound = calloc(1, sizeof *bound);
  if (bound == NULL) {
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "bindPkcs11Module: out of memory");
    return NULL;
  }
  bound->functions = functions;
  bound->max_threads = (unsigned)threads;
  pthread_mutex_init(&bound->lock, NULL);
  pthread_cond_init(&bound->queued, NULL);
  napi_value name;
  if (napi_create_string_utf8(env, "rolesanywhere-agent:pkcs11Sign", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, bound, settle, &bound->done) !=
          napi_ok ||
      napi_unref_threadsafe_function(env, bound->done) != napi_ok) {
    free(bound);
    napi_throw_error(env, "ERR_PKCS11_BIND", "bindPkcs11Module: cannot create the completion queue");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, bound, NULL, NULL, &external) != napi_ok) return NULL;
  return external;
}

/* A pkcs11js handle: a Buffer holding one CK_ULONG in native byte order. */
static int read_handle(napi_env env, napi_value value, CK_ULONG *handle) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return -1;
  void *data = NULL;
  size_t length = 0;
  if (napi_get_buffer_info(env, value, &data, &length) != napi_ok || length != sizeof(CK_ULONG)) return -1;
  memcpy(handle, data, sizeof(CK_ULONG));
  return 0;
}

/* Queues a job, starting a thread when none is idle and the module has fewer than its maximum. */
static int enqueue(bound_module_t *bound, sign_job_t *job) {
  int result = 0;
  pthread_mutex_lock(&bound->lock);
  if (bound->tail != NULL) bound->tail->next = job;
  else bound->head = job;
  bound->tail = job;
  if (bound->idle == 0 && bound->threads < bound->max_threads) {
    pthread_attr_t attributes;
    pthread_t thread;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attributes, signing_thread, bound) == 0) bound->threads++;
    else if (bound->threads == 0) result = -1; /* nobody would ever run it */
    pthread_attr_destroy(&attributes);
  }
  if (result == 0) {
    pthread_cond_signal(&bound->queued);
  } else {
    bound->head = bound->tail = NULL; /* it was the only job: no thread ever started */
  }
  pthread_mutex_unlock(&bound->lock);
  return result;
}

napi_value ra_pkcs11_sign(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return ra_throw_type_error(env, "ERR_MISSING_ARGS", "pkcs11Sign: six arguments expected");

  bound_module_t *bound = NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], (void **)&bound) != napi_ok || bound == NULL) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pkcs11Sign: module must come from bindPkcs11Module");
  }
  CK_ULONG session, key;
  if (read_handle(env, argv[1], &session) != 0 || read_handle(env, argv[3], &key) != 0) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pkcs11Sign: session and key must be pkcs11js handles");
  }
  double mechanism = -1, max_length = 0;
  if (napi_get_value_double(env, argv[2], &mechanism) != napi_ok || !(mechanism >= 0 && mechanism <= 4294967295.0) ||
      napi_get_value_double(env, argv[5], &max_length) != napi_ok || !(max_length >= 1 && max_length <= MAX_SIGNATURE)) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                               "pkcs11Sign: mechanism must be a CK_MECHANISM_TYPE, maxLength 1..16384");
  }
  bool is_buffer = false;
  void *input = NULL;
  size_t input_length = 0;
  if (napi_is_buffer(env, argv[4], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[4], &input, &input_length) != napi_ok) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pkcs11Sign: input must be a Buffer");
  }

  sign_job_t *job = calloc(1, sizeof *job);
  if (job != NULL) {
    /* Copied: the signing thread must not read memory the JS heap may move or free. */
    job->input = malloc(input_length > 0 ? input_length : 1);
    job->output = malloc((size_t)max_length);
  }
  if (job == NULL || job->input == NULL || job->output == NULL) {
    free_job(job);
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "pkcs11Sign: out of memory");
    return NULL;
  }
  memcpy(job->input, input, input_length);
  job->input_length = (CK_ULONG)input_length;
  job->output_length = (CK_ULONG)max_length;
  job->session = session;
  job->key = key;
  job->mechanism = (CK_MECHANISM_TYPE)mechanism;

  napi_value promise;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    free_job(job);
    return NULL;
  }
  if (bound->pending == 0) napi_ref_threadsafe_function(env, bound->done);
  bound->pending++;
  if (enqueue(bound, job) != 0) {
    if (--bound->pending == 0) napi_unref_threadsafe_function(env, bound->done);
    napi_reject_deferred(env, job->deferred, plain_error(env, "pkcs11Sign: cannot start a signing thread"));
    free_job(job);
  }
  return promise;
}
