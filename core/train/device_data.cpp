#include "core/train/device_data.hpp"

namespace iddl::train {
namespace {

int64_t bytes_of(const torch::Tensor& t) { return t.numel() * static_cast<int64_t>(t.element_size()); }

// `set` moved to the device, pinned, or as it is.
data::TensorSet placed(const data::TensorSet& set, DataPlacement placement, torch::Device device) {
  switch (placement) {
    case DataPlacement::Device: return {set.images.to(device), set.labels.to(device)};
    case DataPlacement::Pinned: return {set.images.pin_memory(), set.labels.pin_memory()};
    case DataPlacement::Host: break;
  }
  return set;
}

}  // namespace

DataPlacement data_placement(torch::Device device, int64_t bytes, int64_t budget_mb) {
  if (!device.is_cuda()) return DataPlacement::Host;
  return budget_mb > 0 && bytes <= budget_mb * 1024 * 1024 ? DataPlacement::Device : DataPlacement::Pinned;
}

int64_t dataset_bytes(const data::Dataset& data) {
  return bytes_of(data.train.images) + bytes_of(data.train.labels) + bytes_of(data.test.images) +
         bytes_of(data.test.labels);
}

DeviceData::DeviceData(const data::Dataset& data, torch::Device device, int64_t budget_mb)
    : device_(device),
      placement_(data_placement(device, dataset_bytes(data), budget_mb)),
      train_(placed(data.train, placement_, device)),
      test_(placed(data.test, placement_, device)) {}

data::TensorSet DeviceData::train_rows(const torch::Tensor& rows) const {
  return {rows_of(train_.images, rows), rows_of(train_.labels, rows)};
}

data::TensorSet DeviceData::test_slice(int64_t begin, int64_t end) const {
  return {on_device(test_.images.slice(0, begin, end)), on_device(test_.labels.slice(0, begin, end))};
}

torch::Tensor DeviceData::rows_of(const torch::Tensor& from, const torch::Tensor& rows) const {
  switch (placement_) {
    case DataPlacement::Device: return from.index_select(0, rows.to(device_, /*non_blocking=*/true));
    case DataPlacement::Pinned: {
      std::vector<int64_t> shape = from.sizes().vec();
      shape[0] = rows.size(0);
      // A fresh pinned buffer per batch: the caching host allocator keeps it until its copy is done.
      torch::Tensor gathered = torch::empty(shape, from.options().pinned_memory(true));
      torch::index_select_out(gathered, from, 0, rows);
      return gathered.to(device_, /*non_blocking=*/true);
    }
    case DataPlacement::Host: break;
  }
  return from.index_select(0, rows).to(device_);
}

torch::Tensor DeviceData::on_device(const torch::Tensor& part) const {
  return part.to(device_, /*non_blocking=*/placement_ == DataPlacement::Pinned);
}

}  // namespace iddl::train
