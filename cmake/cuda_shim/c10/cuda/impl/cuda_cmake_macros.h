// Stands in for the header a CPU-only LibTorch package leaves out, so that IDDL's CUDA code compiles (not links) here.
#define C10_CUDA_BUILD_SHARED_LIBS
