// Carries the precompiled LibTorch header that every LibTorch target of IDDL reuses.
#include <torch/torch.h>
