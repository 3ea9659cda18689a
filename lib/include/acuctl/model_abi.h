/* acuctl native model ABI, version 1 (SPEC section 8). A native model is a
 * shared library exporting the four functions below; the runner dlopen()s it.
 * The numbers are fixed: do not renumber. */
#ifndef ACUCTL_MODEL_ABI_H
#define ACUCTL_MODEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { ACU_BOOL = 1, ACU_UINT8, ACU_UINT16, ACU_UINT32, ACU_UINT64, ACU_INT8, ACU_INT16,
       ACU_INT32, ACU_INT64, ACU_FP16, ACU_FP32, ACU_FP64, ACU_BYTES };

typedef struct {
  const char* name; int datatype; const int64_t* shape; size_t rank;
  const void* data; size_t size_bytes;                  /* row-major, little-endian */
} acu_tensor;

typedef struct {
  void* ctx;                                             /* owned by the runner */
  int (*add_output)(void* ctx, const acu_tensor* out);  /* copies; returns 0 on success */
} acu_output_sink;

int   acu_model_abi_version(void);                                  /* returns 1 */
void* acu_model_load(const char* model_dir, char* err, size_t err_cap);   /* NULL on failure */
int   acu_model_infer(void* model, const acu_tensor* inputs, size_t n_inputs,
                      acu_output_sink* outputs, char* err, size_t err_cap);  /* 0 = success */
void  acu_model_unload(void* model);

#ifdef __cplusplus
}
#endif

#endif /* ACUCTL_MODEL_ABI_H */
