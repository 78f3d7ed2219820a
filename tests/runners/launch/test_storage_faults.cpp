// The results database on storage that fails: a full file system (a small tmpfs mounted here) and a read-only
// mount. Real iddl-sweep, mpirun and iddl-train processes; the database is checked with SQLite afterwards.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

// A sweep of one run on generated data: `epochs` epochs of 64 samples (an epoch event each), `seed` apart.
std::string one_run_sweep(const std::string& name, int epochs, int seed) {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 64\ntest_samples = 32\n"
         "hidden = [8]\nbatch_size = 32\nthreads = 1\nepochs = " + std::to_string(epochs) +
         "\nseed = " + std::to_string(seed) + "\n";
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A folder of the test with a file system mounted on `mnt`, unmounted at the end.
class StorageFaults : public SweepFolderTest {
 protected:
  void SetUp() override {
    SweepFolderTest::SetUp();
    mnt = dir / "mnt";
    fs::create_directories(mnt);
  }
  void TearDown() override {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    SweepFolderTest::TearDown();
  }
  // Mounts with mount(2); "" on success, else why not.
  std::string mount_on(const fs::path& target, const char* source, const char* type, unsigned long flags,
                       const char* data) {
    if (::mount(source, target.c_str(), type, flags, data) != 0) return std::strerror(errno);
    if (std::find(mounts_.begin(), mounts_.end(), target) == mounts_.end()) mounts_.push_back(target);
    return "";
  }
  // The stored runs of a sweep, the row and its epochs, as text.
  std::vector<std::vector<std::string>> stored(const fs::path& database, const std::string& sweep_name) {
    auto rows = query(database, "SELECT r.run_key, r.status, r.test_accuracy, r.train_loss, r.finished_at, "
                                "(SELECT group_concat(e.epoch || ':' || e.train_loss, ',') FROM epochs e "
                                "WHERE e.run_id = r.id) FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
                                "WHERE s.name = '" + sweep_name + "' ORDER BY r.id");
    return rows;
  }
  fs::path mnt;

 private:
  std::vector<fs::path> mounts_;
};

TEST_F(StorageFaults, AFullFileSystemStopsTheSweepWithAClearErrorAndKeepsWhatIsStored) {
  if (const auto why = mount_on(mnt, "tmpfs", "tmpfs", 0, "size=1m"); !why.empty())
    GTEST_SKIP() << "cannot mount a tmpfs here (root needed): " << why;
  const fs::path database = mnt / "results.db";
  const std::string kept_name = "kept_" + std::to_string(::getpid());
  const std::string cut_name = "cut_" + std::to_string(::getpid());
  const auto kept = sweep({"run", write("kept.toml", one_run_sweep(kept_name, 3, 11)).string(), "--db", database.string()});
  ASSERT_EQ(kept.exit_code, 0) << kept.out << kept.err;
  const auto before = stored(database, kept_name);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0][1], "done");

  // Fill the file system but 160 KiB: the next sweep opens the database and starts its run, and its
  // 3000 epoch events (one transaction each) run out of space on the way.
  struct statvfs space {};
  ASSERT_EQ(::statvfs(mnt.c_str(), &space), 0);
  const long long free_bytes = static_cast<long long>(space.f_bavail) * static_cast<long long>(space.f_frsize);
  ASSERT_GT(free_bytes, 160 * 1024) << "the first sweep used most of the tmpfs";
  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    for (long long written = 0; written < free_bytes - 160 * 1024; written += 4096) filler << block;
  }
  const auto cut =
      sweep({"run", write("cut.toml", one_run_sweep(cut_name, 3000, 12)).string(), "--db", database.string()});
  EXPECT_EQ(cut.exit_code, 2) << cut.out << cut.err;
  EXPECT_NE(cut.err.find(database.string() + ": the results database failed: database or disk is full; the sweep "
                         "stopped"),
            std::string::npos)
      << cut.err;
  EXPECT_NE(cut.out.find("started"), std::string::npos) << "the run had started: " << cut.out;
  EXPECT_TRUE(eventually([&] { return processes_mentioning(cut_name).empty(); }, std::chrono::seconds(15)))
      << "the run's processes outlived the sweep";

  fs::remove(mnt / "filler");
  // Room for the rest of the run: its WAL takes a page per event until a checkpoint (docs/results-schema.md).
  ASSERT_EQ(mount_on(mnt, "tmpfs", "tmpfs", MS_REMOUNT, "size=64m"), "");
  EXPECT_EQ(query(database, "PRAGMA integrity_check"), (std::vector<std::vector<std::string>>{{"ok"}}));
  EXPECT_EQ(stored(database, kept_name), before) << "the stored run changed";
  const auto left = stored(database, cut_name);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0][1], "running") << "the run cut short stays running until the next invocation";

  // With space again, the next invocation marks it interrupted and runs it to the end.
  const auto again = sweep({"run", (dir / "cut.toml").string(), "--db", database.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("1 run(s) left running by an earlier invocation marked interrupted"), std::string::npos)
      << again.out;
  EXPECT_EQ(query(database, "SELECT status, (SELECT COUNT(*) FROM epochs WHERE run_id = runs.id) FROM runs "
                            "WHERE run_key = '" + left[0][0] + "'"),
            (std::vector<std::vector<std::string>>{{"done", "3000"}}));
  EXPECT_EQ(stored(database, kept_name), before);
}

TEST_F(StorageFaults, AReadOnlyMountIsRefusedBeforeAnythingRunsAndTheDatabaseIsUntouched) {
  const fs::path data = dir / "data";
  fs::create_directories(data);
  const std::string name = "ro_" + std::to_string(::getpid());
  const auto first = sweep({"run", write("first.toml", one_run_sweep(name, 2, 21)).string(), "--db",
                            (data / "results.db").string()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string bytes = file_bytes(data / "results.db");

  if (const auto why = mount_on(mnt, data.c_str(), nullptr, MS_BIND, nullptr); !why.empty())
    GTEST_SKIP() << "cannot bind-mount here (root needed): " << why;
  if (const auto why = mount_on(mnt, nullptr, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr); !why.empty())
    GTEST_SKIP() << "cannot remount read-only here: " << why;
  const fs::path database = mnt / "results.db";
  const auto files_before = std::distance(fs::directory_iterator(data), fs::directory_iterator());

  // A new sweep, and the same sweep with a run added: both need to write.
  for (const auto& file : {write("second.toml", one_run_sweep(name + "_b", 2, 22)),
                           write("first.toml", one_run_sweep(name, 2, 21) + "[matrix]\nlr = [0.1, 0.2]\n")}) {
    const auto refused = sweep({"run", file.string(), "--db", database.string()});
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_NE(refused.err.find(database.string() + ": cannot write the results database: it is on a read-only file "
                               "system"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.out.find("started"), std::string::npos) << "nothing may run: " << refused.out;
  }
  EXPECT_EQ(file_bytes(data / "results.db"), bytes) << "the database changed";
  EXPECT_EQ(std::distance(fs::directory_iterator(data), fs::directory_iterator()), files_before)
      << "a file was created next to the database";
  EXPECT_EQ(query(data / "results.db", "PRAGMA integrity_check"), (std::vector<std::vector<std::string>>{{"ok"}}));
  EXPECT_EQ(query(data / "results.db", "SELECT status FROM runs"), (std::vector<std::vector<std::string>>{{"done"}}));
}

TEST_F(StorageFaults, ADatabaseInAMissingFolderIsAClearError) {
  const fs::path database = dir / "no-such-folder" / "results.db";
  const auto refused =
      sweep({"run", write("s.toml", one_run_sweep("missing", 1, 31)).string(), "--db", database.string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(database.string() + ": cannot write the results database: its folder '" +
                             (dir / "no-such-folder").string() + "' does not exist"),
            std::string::npos)
      << refused.err;
}

}  // namespace
