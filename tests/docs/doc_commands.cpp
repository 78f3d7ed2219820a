#include "tests/docs/doc_commands.hpp"

#include <cctype>
#include <set>
#include <sstream>

namespace iddl::testing {
namespace {

// Whether `word` (with an optional `build/bin/` before it) names a program whose lines are commands.
bool is_command_word(std::string word) {
  static const std::set<std::string> programs = {"iddl-sweep", "iddl-report", "iddl-train", "iddl-blas-probe",
                                                 "sqlite3", "make"};
  const std::string built = "build/bin/";
  if (word.rfind(built, 0) == 0) word = word.substr(built.size());
  return programs.count(word) > 0;
}

std::string first_word(const std::string& text) { return text.substr(0, text.find_first_of(" \t")); }

std::string trim_left(const std::string& text) {
  const size_t start = text.find_first_not_of(" \t");
  return start == std::string::npos ? "" : text.substr(start);
}

// One word while it is read: its text, its alternatives (split at unquoted `|`), and whether it opens or closes
// an optional part (an unquoted `[` first, an unquoted `]` last).
struct Word {
  std::vector<std::string> alternatives{""};
  bool started = false;
  bool opens = false;
  bool closes = false;
  bool redirect = false;  // an unquoted `>` began it
};

// Whether the `$` at `at` starts an expansion in sh (a name, a special parameter, `${`, `$(`); else it is a `$`.
bool expands(const std::string& text, size_t at) {
  if (at + 1 >= text.size()) return false;
  const char next = text[at + 1];
  return std::isalnum(static_cast<unsigned char>(next)) || std::string("_{(@*#?$!-").find(next) != std::string::npos;
}

}  // namespace

std::vector<DocCommand> shown_commands(const std::string& markdown) {
  std::vector<DocCommand> commands;
  std::istringstream in(markdown);
  bool in_block = false, shell_block = false, after_command = false, continued = false;
  size_t fence_indent = 0;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const std::string text = trim_left(line);
    const size_t indent = line.size() - text.size();
    if (text.rfind("```", 0) == 0) {
      if (!in_block) {
        const std::string tag = text.substr(3);
        shell_block = tag == "sh" || tag == "bash" || tag == "shell";
        fence_indent = indent;
      }
      in_block = !in_block;
      after_command = continued = false;
      continue;
    }
    if (!in_block) continue;
    const bool indented = shell_block && !text.empty() && indent > fence_indent;
    if (continued || (indented && after_command)) {
      commands.back().text += " " + text;
    } else {
      std::string part = text;
      const bool prompt = part.rfind("$ ", 0) == 0;
      if (prompt) part = part.substr(2);
      // In a shell block an indented line starts no command: it belongs to a loop or the like.
      after_command = (shell_block || prompt) && !indented && is_command_word(first_word(part));
      if (!after_command) continue;
      commands.push_back({number, part});
    }
    std::string& command = commands.back().text;
    while (!command.empty() && (command.back() == ' ' || command.back() == '\t')) command.pop_back();
    continued = !command.empty() && command.back() == '\\';
    if (continued) command.pop_back();
  }
  return commands;
}

ShellCommand shell_words(const std::string& text) {
  std::vector<Word> words;
  Word word;
  const auto unsupported = [&](const std::string& what) {
    throw std::invalid_argument("unsupported shell syntax (" + what + ") in: " + text);
  };
  const auto finish = [&] {
    if (word.started) words.push_back(word);
    word = Word{};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') {
      const size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) unsupported("an unterminated quote");
      word.alternatives.back() += text.substr(i + 1, end - i - 1);
      word.started = true;
      word.closes = false;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && std::string("\"\\$`").find(text[j + 1]) != std::string::npos) {
          word.alternatives.back() += text[++j];
        } else if (text[j] == '`' || (text[j] == '$' && expands(text, j))) {
          unsupported("an expansion in double quotes");
        } else {
          word.alternatives.back() += text[j];
        }
      }
      if (j == text.size()) unsupported("an unterminated quote");
      word.started = true;
      word.closes = false;
      i = j;
    } else if (c == ' ' || c == '\t') {
      finish();
    } else if (c == '#' && !word.started) {
      break;
    } else if (c == '>' && !word.started) {
      word.redirect = true;
      if (i + 1 < text.size() && text[i + 1] == ' ') {
        while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
      }
    } else if (c == '[' && !word.started) {
      word.opens = word.started = true;
    } else if (c == ']') {
      word.closes = word.started = true;
    } else if (c == '|' && word.started) {
      word.alternatives.emplace_back();
      word.closes = false;
    } else if ((c == '$' && expands(text, i)) || std::string("|;&<>`\\(){}").find(c) != std::string::npos) {
      unsupported(std::string("'") + c + "'");
    } else {
      word.alternatives.back() += c;
      word.started = true;
      word.closes = false;
    }
  }
  finish();

  ShellCommand command;
  command.variants.push_back({});
  int optional_depth = 0;
  for (const auto& w : words) {
    if (w.opens) ++optional_depth;
    const bool dropped = optional_depth > 0;
    if (w.closes && optional_depth > 0) --optional_depth;
    if (dropped) continue;
    if (w.redirect) {
      command.stdout_file = w.alternatives.front();
      continue;
    }
    std::vector<std::vector<std::string>> variants;
    for (const auto& variant : command.variants) {
      for (const auto& alternative : w.alternatives) {
        variants.push_back(variant);
        variants.back().push_back(alternative);
      }
    }
    command.variants = variants;
  }
  if (optional_depth != 0) unsupported("an unclosed '['");
  return command;
}

}  // namespace iddl::testing
