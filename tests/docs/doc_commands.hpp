#pragma once
// The command lines README.md and docs/*.md show, read from their code blocks, and split into argument vectors
// the way sh would split them.
//
// The rule: a command is a line of a fenced code block whose first word (after an optional `$ ` prompt, and an
// optional `build/bin/` before the name) is one of the project's programs (`iddl-sweep`, `iddl-report`,
// `iddl-train`, `iddl-blas-probe`), `sqlite3` or `make`. In a block tagged `sh`, `bash` or `shell` every such
// line is a command; in any other block (output, synopses) only one written with the `$ ` prompt. A line ending
// in `\`, and in a shell block an indented line right after a command (the README's synopsis style), continue
// the command. Other lines (other tools, output, and indented lines of a shell block, such as a loop's body) are
// not commands.
#include <stdexcept>
#include <string>
#include <vector>

namespace iddl::testing {

// A command a doc shows: the line it starts on (1-based) and its text, continuation lines joined by spaces.
struct DocCommand {
  int line;
  std::string text;
};

// The commands shown in the markdown text `markdown`, by the rule above, in order.
std::vector<DocCommand> shown_commands(const std::string& markdown);

// A shown command split into words as sh would split it, with the synopsis notation resolved: words in `[...]`
// (optional parts) are left out, and a word `a|b` outside quotes is one variant per alternative.
struct ShellCommand {
  std::vector<std::vector<std::string>> variants;  // each an argument vector
  std::string stdout_file;                         // the file of `> FILE`, "" without
};

// Splits `text`: single and double quotes, backslash escapes in double quotes, `#` comments, `> FILE`, `[...]`,
// `a|b`. Throws std::invalid_argument naming what it does not support (pipes, `;`, `&`, `<`, `$`, backquotes).
ShellCommand shell_words(const std::string& text);

}  // namespace iddl::testing
