// Where the files of each dataset live and which are missing; usable without LibTorch, so that
// iddl-sweep can check a sweep's data before launching anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace iddl::data {

// The default directory of a dataset and the file names it reads.
struct DatasetFiles {
  std::string default_dir;
  std::vector<std::string> train;  // IDX: images then labels; CIFAR-10: data_batch_1..5.bin
  std::vector<std::string> test;   // IDX: images then labels; CIFAR-10: test_batch.bin
};

// The files of a dataset (fashion-mnist, mnist, cifar10; synthetic and synthetic-cifar have none); throws
// std::invalid_argument for an unknown name.
DatasetFiles dataset_files(const std::string& dataset);

// The directory a dataset is read from: data_dir, or the dataset's default when it is empty.
std::string dataset_dir(const std::string& dataset, const std::string& data_dir);

// The path of file `name` in dir if it exists; a name ending in .gz is also found uncompressed.
std::optional<std::string> locate_file(const std::string& dir, const std::string& name);

// The names of the dataset's files that are not in its directory (empty data_dir = default).
std::vector<std::string> missing_files(const std::string& dataset, const std::string& data_dir);

// "" when no file is missing, else which files are missing, where they were looked for and how
// to provide them.
std::string missing_files_message(const std::string& dataset, const std::string& data_dir);

}  // namespace iddl::data
