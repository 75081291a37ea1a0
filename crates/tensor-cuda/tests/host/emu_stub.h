// A host emulation of the CUDA built-ins the kernels use, for checking the kernels' semantics on
// a CPU (see tests/cuda/host_emulation.rs): one thread (blockDim = gridDim = 1), so every
// grid-stride loop walks all elements in order; atomics are plain read-modify-writes. The
// test replaces the PTX f16 conversions of common.cuh with `_Float16` casts (same rounding).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__
#define __align__(n) __attribute__((aligned(n)))
struct dim3 { unsigned x, y, z; };
dim3 blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, threadIdx = {0, 0, 0}, gridDim = {1, 1, 1};
void __syncthreads() {}
float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
double __longlong_as_double(long long u) { double f; memcpy(&f, &u, 8); return f; }
long long __double_as_longlong(double f) { long long u; memcpy(&u, &f, 8); return u; }
unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
float atomicAdd(float* p, float v) { float o = *p; *p += v; return o; }
double atomicAdd(double* p, double v) { double o = *p; *p += v; return o; }
int atomicAdd(int* p, int v) { int o = *p; *p = (int)((unsigned)o + (unsigned)v); return o; }
unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { auto o = *p; *p += v; return o; }
unsigned atomicCAS(unsigned* p, unsigned c, unsigned v) { unsigned o = *p; if (o == c) *p = v; return o; }
unsigned long long atomicCAS(unsigned long long* p, unsigned long long c, unsigned long long v) { auto o = *p; if (o == c) *p = v; return o; }
unsigned atomicOr(unsigned* p, unsigned v) { unsigned o = *p; *p |= v; return o; }
unsigned char smem_raw[1 << 16];
