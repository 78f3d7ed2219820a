// Every command line README.md and docs/*.md show (tests/docs/doc_commands.hpp says which lines are commands) runs
// with the built programs and exits 0, so the docs cannot drift from the programs. The commands run in order, in one
// temporary folder holding quick versions of every shipped sweep (sweeps/*.toml cut to a few samples and one epoch,
// tests/support/quick_sweep.hpp), each doc file on its own copy of one database that holds the sweeps the docs'
// examples read. Commands that need a cluster or the whole build are not run: kNotRunHere names each with its
// reason. A failure names the doc file, the line and the command.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "results/sqlite.hpp"
#include "tests/docs/doc_commands.hpp"
#include "tests/support/quick_sweep.hpp"
#include "tests/support/sweep_folder.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

// A command not run here: the doc file, how the command starts, and why.
struct NotRun {
  std::string file;
  std::string start;
  std::string reason;
};

const std::vector<NotRun> kNotRunHere = {
    {"README.md", "make demo", "installs packages, builds and runs the full quickstart (minutes); make test runs this test"},
    {"README.md", "make test", "runs the whole suite this test is part of"},
    {"docs/fuzzing.md", "make fuzz", "runs each libFuzzer target for minutes (tests/fuzz builds and runs the targets)"},
    {"docs/launchers.md", "build/bin/iddl-sweep run sweeps/quickstart.toml --launcher sbatch",
     "needs a Slurm cluster (tests/runners/launch/test_slurm.cpp starts one)"},
    {"docs/launchers.md", "build/bin/iddl-sweep task", "needs a job array's run list (test_launchers runs tasks)"},
    {"docs/launchers.md", "build/bin/iddl-sweep collect", "needs a job array's journals (test_launchers collects them)"},
    {"docs/launchers.md", "build/bin/iddl-sweep run sweeps/parallel.toml --launcher srun",
     "runs inside a Slurm allocation of 2 nodes (salloc)"},
    {"docs/launchers.md", "iddl-sweep run big.toml", "a cluster's login node with its shared folders"},
    {"docs/scaling.md", "iddl-sweep run big_r2.toml", "a cluster's login node with its shared folders"},
    {"docs/scaling.md", "iddl-sweep collect", "a running job array's journals on a cluster's shared folder"},
    {"docs/gpu.md", "make gpu-check", "needs GPUs and a CUDA LibTorch (test_gpu_check runs gpu-check where they exist)"},
};

// Placeholders of the synopses and what of the database stands for them: sweeps here, and the docs' run keys
// (RUN_KEY and made-up examples) once DocCommands has run the example sweeps (stood for by runs of "iddl").
std::map<std::string, std::string> placeholders = {{"SWEEP_A", "baseline"}, {"SWEEP_B", "topk"}};
const std::vector<std::string> kShownRunKeys = {"RUN_KEY", "RUN_KEY...", "3f2a9c01d4e5b6a7", "8e1d0b2c3a4f5e6d"};

// A sweep named `name` of one epoch on 256 synthetic samples: a few seconds.
std::string small_sweep(const std::string& name, const std::string& settings) {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 256\ntest_samples = 64\n"
         "epochs = 1\nthreads = 1\n" + settings;
}

// The sweeps the docs' examples read besides the shipped ones (by name: `--sweep iddl`, `compare baseline topk`,
// `--sweep compression --baseline compression=none`, `s.name = 'iddl'`), each small: the metrics the examples ask
// for (members, exits, compression, pipeline) in seconds.
const std::vector<std::pair<std::string, std::string>> kExampleSweeps = {
    {"iddl", small_sweep("iddl", R"(hidden = [32, 16]
[[zip]]
vertical = ["ensemble", "none"]
horizontal = ["none", {method = "early_exit", threshold = 0.8}]
ranks = [2, 1]
)")},
    {"pipeline", small_sweep("pipeline", R"(hidden = [32, 16]
batch_size = 32
ranks = 2
parallelism = {method = "pipeline", chunks = 4}
)")},
    {"baseline", small_sweep("baseline", R"(hidden = [16]
parallelism = "sync"
ranks = 2
)")},
    {"compression", small_sweep("compression", R"(hidden = [16]
parallelism = "sync"
ranks = 2
[matrix]
compression = ["none", {method = "topk", ratio = 0.1}]
)")},
    {"topk", small_sweep("topk", R"(hidden = [16]
parallelism = "sync"
ranks = 2
compression = {method = "topk", ratio = 0.1}
)")},
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// README.md, then docs/*.md by name, as paths relative to the source folder.
std::vector<std::string> doc_files() {
  std::set<std::string> docs;
  for (const auto& entry : fs::directory_iterator(fs::path(IDDL_SOURCE_DIR) / "docs"))
    if (entry.path().extension() == ".md") docs.insert("docs/" + entry.path().filename().string());
  std::vector<std::string> files{"README.md"};
  files.insert(files.end(), docs.begin(), docs.end());
  return files;
}

// The argument vector to run: the programs of the project from the build, placeholders replaced.
std::vector<std::string> runnable(std::vector<std::string> argv) {
  const std::string built = "build/bin/";
  if (argv[0].rfind(built, 0) == 0) argv[0] = argv[0].substr(built.size());
  if (argv[0].rfind("iddl-", 0) == 0) argv[0] = std::string(IDDL_BIN_DIR) + "/" + argv[0];
  for (auto& word : argv)
    if (placeholders.count(word)) word = placeholders.at(word);
  return argv;
}

// Copies `from` to `to`, replacing it; removes what SQLite keeps next to `to`.
void fresh_copy(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(to.string() + suffix);
  fs::copy_file(from, to);
}

// The folder the commands run in, made once: sweeps/ with quick versions of the shipped sweeps, and example.db with
// the quickstart and the example sweeps done.
class DocCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("OMP_NUM_THREADS", "1", 1);
    original_ = fs::current_path();
    fs::current_path(folder_.file(""));
    fs::create_directories("sweeps");
    for (const auto& entry : fs::directory_iterator(fs::path(IDDL_SOURCE_DIR) / "sweeps"))
      std::ofstream("sweeps" / entry.path().filename()) << quick_version(entry.path().filename().string());
    fs::create_directories("examples");
    std::vector<std::string> files{"sweeps/quickstart.toml"};
    for (const auto& [name, text] : kExampleSweeps) {
      std::ofstream("examples/" + name + ".toml") << text;
      files.push_back("examples/" + name + ".toml");
    }
    for (const auto& file : files) {
      const auto run = sweep({"run", file, "--db", "example.db"});
      ASSERT_EQ(run.exit_code, 0) << file << "\n" << run.out << run.err;
    }
    iddl::results::Database db("example.db", iddl::results::Database::Mode::ReadOnly);
    auto select = db.prepare(
        "SELECT r.run_key FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = 'iddl' ORDER BY r.id");
    std::vector<std::string> keys;
    while (select.step()) keys.push_back(select.column_text(0));
    ASSERT_EQ(keys.size(), 2u);
    for (size_t i = 0; i < kShownRunKeys.size(); ++i) placeholders[kShownRunKeys[i]] = keys[i == 3 ? 1 : 0];
  }
  void TearDown() override { fs::current_path(original_); }

  iddl::test_support::TempDir folder_;
  fs::path original_;
};

}  // namespace

TEST(DocCommandRules, CommandsAreProgramLinesOfShellBlocksOrPromptedLines) {
  const std::string markdown =
      "Text iddl-sweep plan x\n"
      "```sh\n"
      "build/bin/iddl-sweep plan a.toml [--db iddl.db]   # the plan\n"
      "                     [--jobs 2]\n"
      "rsvg-convert -o a.png a.svg\n"
      "iddl-report markdown --where \"x = 1\" \\\n"
      "  --columns a,b\n"
      "for x in 1 2; do\n"
      "  sqlite3 x.db 'SELECT 1'\n"
      "done\n"
      "```\n"
      "```\n"
      "iddl-report markdown|csv [--db PATH]\n"
      "$ build/bin/iddl-sweep hardware\n"
      "  cpu: x\n"
      "```\n";
  const auto commands = shown_commands(markdown);
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0].line, 3);
  EXPECT_EQ(commands[0].text, "build/bin/iddl-sweep plan a.toml [--db iddl.db]   # the plan [--jobs 2]");
  EXPECT_EQ(commands[1].line, 6);
  EXPECT_EQ(commands[1].text, "iddl-report markdown --where \"x = 1\"  --columns a,b");
  EXPECT_EQ(commands[2].line, 14);
  EXPECT_EQ(commands[2].text, "build/bin/iddl-sweep hardware");
}

TEST(DocCommandRules, WordsAsShSplitsThemWithTheSynopsisResolved) {
  const auto plain = shell_words("iddl-report query --format csv \"SELECT * FROM \\\"t\\\" WHERE a = 'x'\" > out.csv");
  EXPECT_EQ(plain.variants, (std::vector<std::vector<std::string>>{
                                {"iddl-report", "query", "--format", "csv", "SELECT * FROM \"t\" WHERE a = 'x'"}}));
  EXPECT_EQ(plain.stdout_file, "out.csv");

  const auto synopsis = shell_words("iddl-report csv|json [--db iddl.db] [--where \"ranks = 2\"] [...] --sweep q # x");
  EXPECT_EQ(synopsis.variants, (std::vector<std::vector<std::string>>{{"iddl-report", "csv", "--sweep", "q"},
                                                                      {"iddl-report", "json", "--sweep", "q"}}));
  EXPECT_EQ(shell_words("iddl-report csv --columns 'a,b.*'").variants.front().back(), "a,b.*");
  EXPECT_EQ(shell_words("sqlite3 x.db \"SELECT json_extract(c, '$.a')\"").variants.front().back(),
            "SELECT json_extract(c, '$.a')");  // `$.` is no expansion in sh
  EXPECT_THROW(shell_words("iddl-report csv | head"), std::invalid_argument);
  EXPECT_THROW(shell_words("iddl-sweep run $FILE"), std::invalid_argument);
  EXPECT_THROW(shell_words("iddl-sweep run a; ls"), std::invalid_argument);
  EXPECT_THROW(shell_words("iddl-sweep run [--force"), std::invalid_argument);
}

TEST_F(DocCommands, EveryCommandShownRuns) {
  std::set<const NotRun*> used;
  int ran = 0;
  for (const auto& file : doc_files()) {
    fresh_copy("example.db", "iddl.db");
    fresh_copy("example.db", "cluster.db");
    for (const auto& command : shown_commands(read_text(fs::path(IDDL_SOURCE_DIR) / file))) {
      const std::string where = file + ":" + std::to_string(command.line) + ": `" + command.text + "`";
      const NotRun* skip = nullptr;
      for (const auto& entry : kNotRunHere)
        if (entry.file == file && command.text.rfind(entry.start, 0) == 0) skip = &entry;
      if (skip) {
        used.insert(skip);
        continue;
      }
      ShellCommand shell;
      try {
        shell = shell_words(command.text);
      } catch (const std::invalid_argument& e) {
        ADD_FAILURE() << where << ": " << e.what() << " (write it as a plain command, or add it to kNotRunHere)";
        continue;
      }
      for (const auto& variant : shell.variants) {
        const auto argv = runnable(variant);
        if (argv[0] == "make") {
          ADD_FAILURE() << where << ": make is not run by this test; add the command to kNotRunHere with the reason";
          continue;
        }
        const auto result = invoke(argv);
        ++ran;
        if (!shell.stdout_file.empty()) std::ofstream(shell.stdout_file) << result.out;
        EXPECT_EQ(result.exit_code, 0) << where << " exited " << result.exit_code << "\nstdout:\n"
                                       << result.out.substr(0, 2000) << "\nstderr:\n" << result.err;
      }
    }
  }
  for (const auto& entry : kNotRunHere)
    EXPECT_TRUE(used.count(&entry)) << "kNotRunHere: no command of " << entry.file << " starts with `" << entry.start
                                    << "`; remove the entry";
  EXPECT_GT(ran, 30) << "the docs show fewer commands than expected: is the extraction rule still right?";
}
