#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "core/data/dataset.hpp"

namespace iddl::train {

// Where a run's batches are cut: from the host tensors themselves (CPU runs), from a copy of the whole data
// set on the GPU, or from pinned host memory copied to the GPU without blocking.
enum class DataPlacement { Host, Device, Pinned };

// Host on a CPU; on CUDA, Device when the data set's `bytes` fit in `budget_mb` MB (0: never), else Pinned.
DataPlacement data_placement(torch::Device device, int64_t bytes, int64_t budget_mb);

// The bytes of a data set's images and labels, training and test sets.
int64_t dataset_bytes(const data::Dataset& data);

// A data set's training and test sets placed once for `device` (data_placement), batches taken from there.
class DeviceData {
 public:
  DeviceData(const data::Dataset& data, torch::Device device, int64_t budget_mb);

  DataPlacement placement() const { return placement_; }
  // Training images and labels of `rows` (int64 on the CPU), on the device.
  data::TensorSet train_rows(const torch::Tensor& rows) const;
  // Test images and labels [begin, end), on the device.
  data::TensorSet test_slice(int64_t begin, int64_t end) const;

 private:
  // `rows` of `from` on the device: indexed there, or gathered into pinned memory and copied without blocking.
  torch::Tensor rows_of(const torch::Tensor& from, const torch::Tensor& rows) const;
  // `part` of a placed tensor on the device.
  torch::Tensor on_device(const torch::Tensor& part) const;

  torch::Device device_;
  DataPlacement placement_;
  data::TensorSet train_, test_;
};

}  // namespace iddl::train
