/* A native test model for the runner (acuctl/model_abi.h). y = 2 * x and
 * sum = the sum of each row. It reads optional settings from
 * MODEL_DIR/fixture.conf, one "key=value" a line, so tests can build a
 * faulty or slow version of the same model:
 *   fail_rate=0.25   fail exactly this fraction of requests (deterministic)
 *   latency_ms=50    sleep this long in every request
 *   fail_load=1      refuse to load
 * Build: cc -shared -fPIC -O2 -I lib/include tests/data/fixture_model.c -o model.so
 * (-DFIXTURE_ABI=2 builds a library with the wrong ABI version). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acuctl/model_abi.h"

#ifndef FIXTURE_ABI
#define FIXTURE_ABI 1
#endif
#define N_FEATURES 4

typedef struct {
  double fail_rate;
  long latency_ms;
  atomic_ulong requests;
} fixture;

int acu_model_abi_version(void) { return FIXTURE_ABI; }

void* acu_model_load(const char* model_dir, char* err, size_t err_cap) {
  fixture* f = calloc(1, sizeof *f);
  if (!f) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/fixture.conf", model_dir);
  FILE* in = fopen(path, "r");
  if (in) {
    char line[256];
    while (fgets(line, sizeof line, in)) {
      if (strncmp(line, "fail_rate=", 10) == 0) f->fail_rate = atof(line + 10);
      if (strncmp(line, "latency_ms=", 11) == 0) f->latency_ms = atol(line + 11);
      if (strncmp(line, "fail_load=1", 11) == 0) {
        fclose(in);
        free(f);
        snprintf(err, err_cap, "fixture told to fail loading");
        return NULL;
      }
    }
    fclose(in);
  }
  return f;
}

/* True for exactly fail_rate of the requests: request n fails when
 * floor((n+1) * rate) > floor(n * rate). */
static int should_fail(fixture* f) {
  if (f->fail_rate <= 0) return 0;
  unsigned long n = atomic_fetch_add(&f->requests, 1);
  return (unsigned long)((double)(n + 1) * f->fail_rate) > (unsigned long)((double)n * f->fail_rate);
}

int acu_model_infer(void* handle, const acu_tensor* inputs, size_t n_inputs, acu_output_sink* outputs, char* err,
                    size_t err_cap) {
  fixture* f = handle;
  if (f->latency_ms > 0) {
    struct timespec ts = {f->latency_ms / 1000, (f->latency_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (should_fail(f)) {
    snprintf(err, err_cap, "fixture failure (fail_rate=%g)", f->fail_rate);
    return 1;
  }
  if (n_inputs != 1 || inputs[0].datatype != ACU_FP32 || inputs[0].rank != 2 || inputs[0].shape[1] != N_FEATURES) {
    snprintf(err, err_cap, "expected one FP32 input of shape [-1, %d]", N_FEATURES);
    return 1;
  }
  int64_t rows = inputs[0].shape[0];
  const float* x = inputs[0].data;
  float* y = malloc((size_t)(rows > 0 ? rows : 1) * N_FEATURES * sizeof(float));
  double* sum = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(double));
  if (!y || !sum) {
    free(y);
    free(sum);
    snprintf(err, err_cap, "out of memory");
    return 1;
  }
  for (int64_t r = 0; r < rows; ++r) {
    sum[r] = 0;
    for (int c = 0; c < N_FEATURES; ++c) {
      y[r * N_FEATURES + c] = 2 * x[r * N_FEATURES + c];
      sum[r] += x[r * N_FEATURES + c];
    }
  }
  int64_t y_shape[2] = {rows, N_FEATURES};
  int64_t sum_shape[1] = {rows};
  acu_tensor ty = {"y", ACU_FP32, y_shape, 2, y, (size_t)rows * N_FEATURES * sizeof(float)};
  acu_tensor ts = {"sum", ACU_FP64, sum_shape, 1, sum, (size_t)rows * sizeof(double)};
  int rc = outputs->add_output(outputs->ctx, &ty);
  if (rc == 0) rc = outputs->add_output(outputs->ctx, &ts);
  free(y);
  free(sum);
  if (rc != 0) snprintf(err, err_cap, "the runner refused an output");
  return rc;
}

void acu_model_unload(void* handle) { free(handle); }
