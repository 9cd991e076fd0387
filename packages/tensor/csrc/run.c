/*
 * The one entry point every thread calls for a parallel op: thread `tid` of `nth` does its share of
 * op `op` whose parameters lie at `params`. Ops split their work by output rows (or attention heads) and
 * never wait for each other, so a call returns when this thread's share is done.
 */
#include "qo.h"

enum { OP_LINEAR = 1, OP_SWIGLU = 2, OP_ATTENTION = 3 };

void qo_linear(const void* params, i32 tid, i32 nth);
void qo_swiglu(const void* params, i32 tid, i32 nth);
void qo_attention(const void* params, i32 tid, i32 nth);

QO_EXPORT(qo_run)
void qo_run(i32 op, const void* params, i32 tid, i32 nth) {
  switch (op) {
    case OP_LINEAR: qo_linear(params, tid, nth); break;
    case OP_SWIGLU: qo_swiglu(params, tid, nth); break;
    case OP_ATTENTION: qo_attention(params, tid, nth); break;
    default: __builtin_trap();
  }
}
