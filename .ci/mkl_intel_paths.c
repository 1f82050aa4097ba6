/* LD_PRELOAD shim for CI: MKL takes its Intel-CPU code paths on any x86 CPU.
 * MKL picks different sgemm kernels on Intel and AMD CPUs; the bit-identical-tile tests once passed on an
 * AMD EPYC and failed on an Intel Xeon. With this shim an AMD CI machine runs the Intel kernels too
 * (on an Intel CPU it changes nothing). Built and used by .ci/run only. */
int mkl_serv_intel_cpu_true(void) { return 1; }
int mkl_serv_intel_cpu(void) { return 1; }
int mkl_serv_cpuiszen(void) { return 0; }
