/* A native acuctl model: a linear softmax classifier over 4 features (an
 * iris-like example). Replace the weights, or the whole function, with your
 * own model; keep the four exported functions of acuctl/model_abi.h.
 * Build: make (produces model.so, which model.json names). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acuctl/model_abi.h"

#define N_FEATURES 4
#define N_CLASSES 3

typedef struct {
  float weights[N_CLASSES][N_FEATURES];
  float bias[N_CLASSES];
} model;

int acu_model_abi_version(void) { return 1; }

void* acu_model_load(const char* model_dir, char* err, size_t err_cap) {
  (void)model_dir; /* a real model would read its parameters from here */
  model* m = malloc(sizeof *m);
  if (!m) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  static const float w[N_CLASSES][N_FEATURES] = {
      {0.42f, 1.35f, -2.10f, -0.98f}, {0.53f, -0.32f, -0.21f, -0.94f}, {-0.95f, -1.03f, 2.31f, 1.92f}};
  static const float b[N_CLASSES] = {0.26f, 1.08f, -1.34f};
  memcpy(m->weights, w, sizeof w);
  memcpy(m->bias, b, sizeof b);
  return m;
}

/* Called from many threads at once: uses no shared mutable state. */
int acu_model_infer(void* handle, const acu_tensor* inputs, size_t n_inputs, acu_output_sink* outputs,
                    char* err, size_t err_cap) {
  const model* m = handle;
  if (n_inputs != 1 || inputs[0].datatype != ACU_FP32 || inputs[0].rank != 2 ||
      inputs[0].shape[1] != N_FEATURES) {
    snprintf(err, err_cap, "expected one FP32 input of shape [-1, %d]", N_FEATURES);
    return 1;
  }
  int64_t rows = inputs[0].shape[0];
  const float* x = inputs[0].data;
  float stack[64 * N_CLASSES];
  float* out = rows <= 64 ? stack : malloc((size_t)rows * N_CLASSES * sizeof(float));
  if (!out) {
    snprintf(err, err_cap, "out of memory");
    return 1;
  }
  for (int64_t r = 0; r < rows; ++r) {
    float z[N_CLASSES], max = -INFINITY, sum = 0;
    for (int c = 0; c < N_CLASSES; ++c) {
      z[c] = m->bias[c];
      for (int f = 0; f < N_FEATURES; ++f) z[c] += m->weights[c][f] * x[r * N_FEATURES + f];
      if (z[c] > max) max = z[c];
    }
    for (int c = 0; c < N_CLASSES; ++c) sum += (z[c] = expf(z[c] - max));
    for (int c = 0; c < N_CLASSES; ++c) out[r * N_CLASSES + c] = z[c] / sum;
  }
  int64_t shape[2] = {rows, N_CLASSES};
  acu_tensor t = {"probabilities", ACU_FP32, shape, 2, out, (size_t)rows * N_CLASSES * sizeof(float)};
  int rc = outputs->add_output(outputs->ctx, &t);
  if (out != stack) free(out);
  if (rc != 0) snprintf(err, err_cap, "the runner refused the output");
  return rc;
}

void acu_model_unload(void* handle) { free(handle); }
