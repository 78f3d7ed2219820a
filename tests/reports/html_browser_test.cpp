// `iddl-report html` checked in a real browser: a small real sweep (three runs of iddl-train under
// mpirun) is run by iddl-sweep, its page rendered by iddl-report and opened by headless Chromium:
// the DOM has the table's cells and one <svg> per curve chart, a screenshot is not blank, and a
// scripted click on a header sorts the table numerically. Chromium is spawned with an argument
// vector, its own profile folder and a time limit, and killed by pid when it overruns.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/reports/report_process.hpp"
#include "tests/support/sweep_folder.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

namespace fs = std::filesystem;

constexpr auto kBrowserLimit = std::chrono::seconds(90);

// Three single-rank runs of two epochs on 256 synthetic samples; the batch sizes are in an order
// that neither a numeric nor a text sort keeps (text: "32" < "64" < "8").
const char* const kSweep = R"(
[sweep]
name = "browser"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
epochs = 2
threads = 1
hidden = [16]
[matrix]
batch_size = [64, 8, 32]
)";

// The first of these that exists: Debian's chromium.
std::string find_chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(path)) return path;
  return "";
}

struct Browser {
  int exit_code;  // -1: killed after the time limit or not started
  std::string out;
  std::string err;
};

// Runs argv with stdout and stderr to files in dir; kills it by pid after kBrowserLimit.
Browser run_limited(const test_support::TempDir& dir, std::vector<std::string> argv) {
  const std::string out_path = dir.file("browser-out.txt"), err_path = dir.file("browser-err.txt");
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);  // its own group: its helpers die with it
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return {-1, "", "cannot start " + argv[0]};
  const auto deadline = std::chrono::steady_clock::now() + kBrowserLimit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return {-1, slurp(out_path), "killed after the time limit\n" + slurp(err_path)};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid, SIGKILL);  // helpers chromium left behind in its group, if any
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_path), slurp(err_path)};
}

// Counts the pixels of a PNG (8-bit RGB or RGBA) that are not white, with python3's zlib.
const char* const kCountPixels = R"py(
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
at, idat = 8, b''
while at < len(data):
    length, kind = struct.unpack('>I4s', data[at:at + 8])
    body = data[at + 8:at + 8 + length]
    if kind == b'IHDR':
        width, height, depth, colour = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    at += 12 + length
assert depth == 8 and colour in (2, 6), 'unsupported PNG'
size = 3 if colour == 2 else 4
raw, stride = zlib.decompress(idat), width * size
previous, count = bytearray(stride), 0
for y in range(height):
    kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - size] if i >= size else 0
        b = previous[i]
        c = previous[i - size] if i >= size else 0
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    count += sum(1 for x in range(0, stride, size) if line[x:x + 3] != b'\xff\xff\xff')
    previous = line
print(width, height, count)
)py";

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The data-v values of one column of the first table's body rows, in DOM order.
std::vector<std::string> column_keys(const std::string& dom, size_t column) {
  const size_t body = dom.find("<tbody>"), end = dom.find("</tbody>");
  std::vector<std::string> keys;
  const std::regex row("<tr>(.*?)</tr>"), cell("<td[^>]*data-v=\"([^\"]*)\"");
  const std::string rows = dom.substr(body, end - body);
  for (std::sregex_iterator r(rows.begin(), rows.end(), row), none; r != none; ++r) {
    const std::string cells = (*r)[1];
    std::vector<std::string> values;
    for (std::sregex_iterator c(cells.begin(), cells.end(), cell); c != none; ++c) values.push_back((*c)[1]);
    keys.push_back(column < values.size() ? values[column] : "");
  }
  return keys;
}

class HtmlInBrowser : public ::testing::Test {
 protected:
  // One sweep run and one page for all the tests of this file: the runs take seconds.
  static void SetUpTestSuite() {
    dir_ = new test_support::TempDir;
    std::ofstream(dir_->file("browser.toml")) << kSweep;
    const auto ran = testing::sweep({"run", dir_->file("browser.toml"), "--db", dir_->file("iddl.db")});
    ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
    const Outcome made = run_report(*dir_, {"html", "--db", dir_->file("iddl.db"), "--out", dir_->file("report.html")});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ASSERT_EQ(made.out, "wrote " + dir_->file("report.html") + "\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) {
      if (::geteuid() == 0) FAIL() << "chromium is not installed (scripts/setup.sh installs it); CI runs as root";
      GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
    }
  }

  // Chromium headless on the report, with its own profile folder, plus the given arguments.
  Browser chromium(const std::vector<std::string>& args, const std::string& fragment = "") {
    test_support::TempDir profile;
    std::vector<std::string> argv = {chromium_, "--headless", "--no-sandbox", "--disable-gpu",
                                     "--user-data-dir=" + profile.file("profile"), "--no-first-run",
                                     "--disable-extensions"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("file://" + dir_->file("report.html") + fragment);
    Browser browser = run_limited(profile, argv);
    if (browser.exit_code != 0 && ::geteuid() != 0 && browser.out.empty())
      skip_reason_ = "chromium cannot start here: " + browser.err.substr(0, 300);
    return browser;
  }

  static test_support::TempDir* dir_;
  std::string chromium_;
  std::string skip_reason_;
};

test_support::TempDir* HtmlInBrowser::dir_ = nullptr;

TEST_F(HtmlInBrowser, DomShowsTheTableCellsAndOneSvgPerChart) {
  const Browser browser = chromium({"--dump-dom"});
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  const std::string& dom = browser.out;
  ASSERT_NE(dom.find("<h2>browser</h2>"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("runs: 3 done"), std::string::npos);
  EXPECT_NE(dom.find(">batch_size</th>"), std::string::npos);
  EXPECT_NE(dom.find(">test accuracy</th>"), std::string::npos);
  // Three rows (one per batch size) of the same number of cells as headers.
  const size_t headers = count(dom, "<th ");
  EXPECT_EQ(count(dom, "<td"), 3 * headers);
  EXPECT_EQ(column_keys(dom, 0), (std::vector<std::string>{"64", "8", "32"}));
  EXPECT_NE(dom.find("data-v=\"64\">64</td>"), std::string::npos);
  // Test accuracy and train loss against epoch and against training time: four charts.
  EXPECT_EQ(count(dom, "<svg"), 4u);
  EXPECT_EQ(count(dom, "<figure>"), 4u);
  EXPECT_NE(dom.find("Test accuracy against training time (s)"), std::string::npos);
  // The environment the runs recorded.
  EXPECT_NE(dom.find("<dt>BLAS</dt>"), std::string::npos);
  EXPECT_NE(dom.find("<dt>torch</dt>"), std::string::npos);
}

TEST_F(HtmlInBrowser, ScreenshotIsNotBlank) {
  test_support::TempDir shot;
  const std::string png = shot.file("report.png");
  const Browser browser = chromium({"--screenshot=" + png, "--window-size=1200,900", "--hide-scrollbars"});
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  ASSERT_TRUE(fs::exists(png)) << browser.err;
  std::ofstream(shot.file("count.py")) << kCountPixels;
  const auto counted = testing::invoke({"/usr/bin/python3", shot.file("count.py"), png});
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  int width = 0, height = 0;
  long non_white = 0;
  ASSERT_EQ(std::sscanf(counted.out.c_str(), "%d %d %ld", &width, &height, &non_white), 3) << counted.out;
  EXPECT_EQ(width, 1200);
  EXPECT_EQ(height, 900);
  // Text, table borders and the charts' lines cover far more than 1% of the window; a blank page none.
  EXPECT_GT(non_white, width * height / 100) << counted.out;
}

TEST_F(HtmlInBrowser, ClickingAHeaderSortsNumerically) {
  // #sort=s0-c0 clicks the first table's first header (batch_size) once the page has loaded.
  const Browser browser = chromium({"--dump-dom"}, "#sort=s0-c0");
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  EXPECT_NE(browser.out.find("aria-sort=\"ascending\""), std::string::npos);
  EXPECT_EQ(column_keys(browser.out, 0), (std::vector<std::string>{"8", "32", "64"}));
  // Each row moved whole: its display cell still matches its key.
  EXPECT_LT(browser.out.find("data-v=\"8\">8</td>"), browser.out.find("data-v=\"32\">32</td>"));
}

}  // namespace
}  // namespace iddl::reports
