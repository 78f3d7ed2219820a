#include "hardware/gpu_topology.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace iddl::hardware {
namespace {

// The text without ANSI escape sequences (newer nvidia-smi underlines the header on terminals).
std::string without_escapes(std::string_view text) {
  std::string clean;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    clean += text[i];
  }
  return clean;
}

// The tab-separated cells of a line, each without surrounding spaces.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string cell; std::getline(in, cell, '\t');) {
    const size_t first = cell.find_first_not_of(' ');
    out.push_back(first == std::string::npos ? "" : cell.substr(first, cell.find_last_not_of(' ') - first + 1));
  }
  return out;
}

// Whether a header cell names a GPU column ("GPU0", "GPU12").
bool is_gpu_name(const std::string& cell) {
  return cell.size() > 3 && cell.rfind("GPU", 0) == 0 &&
         std::all_of(cell.begin() + 3, cell.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Link parse_link(std::string_view cell) {
  if (cell == "X") return {LinkKind::Self, 0};
  if (cell == "PIX") return {LinkKind::Pix, 0};
  if (cell == "PXB") return {LinkKind::Pxb, 0};
  if (cell == "PHB") return {LinkKind::Phb, 0};
  if (cell == "NODE") return {LinkKind::Node, 0};
  if (cell == "SYS" || cell == "SOC") return {LinkKind::Sys, 0};
  if (cell.size() > 2 && cell.substr(0, 2) == "NV" &&
      std::all_of(cell.begin() + 2, cell.end(), [](unsigned char c) { return std::isdigit(c); }))
    return {LinkKind::NvLink, std::stoi(std::string(cell.substr(2)))};
  throw std::invalid_argument("unknown GPU link '" + std::string(cell) + "' (expected X, NV#, PIX, PXB, PHB, NODE or SYS)");
}

std::string link_label(const Link& link) {
  switch (link.kind) {
    case LinkKind::Self: return "X";
    case LinkKind::NvLink: return "NV" + std::to_string(link.lanes);
    case LinkKind::Pix: return "PIX";
    case LinkKind::Pxb: return "PXB";
    case LinkKind::Phb: return "PHB";
    case LinkKind::Node: return "NODE";
    case LinkKind::Sys: return "SYS";
    case LinkKind::Unknown: break;
  }
  return "?";
}

int link_score(const Link& link) {
  switch (link.kind) {
    case LinkKind::Self: return 1000;
    case LinkKind::NvLink: return 100 + link.lanes;
    case LinkKind::Pix: return 50;
    case LinkKind::Pxb: return 40;
    case LinkKind::Phb: return 30;
    case LinkKind::Node: return 20;
    case LinkKind::Sys: return 10;
    case LinkKind::Unknown: break;
  }
  return 1;
}

GpuTopology parse_topology(std::string_view text) {
  std::istringstream in(without_escapes(text));
  size_t gpu_columns = 0;
  GpuTopology topology;
  for (std::string line; std::getline(in, line);) {
    const std::vector<std::string> row = cells(line);
    if (row.empty()) continue;
    if (gpu_columns == 0) {
      gpu_columns = static_cast<size_t>(std::count_if(row.begin(), row.end(), is_gpu_name));
      continue;
    }
    if (!is_gpu_name(row[0])) continue;
    if (row.size() < gpu_columns + 1) throw std::invalid_argument("GPU topology row has too few cells: '" + line + "'");
    std::vector<Link> links;
    for (size_t j = 1; j <= gpu_columns; ++j) links.push_back(parse_link(row[j]));
    topology.links.push_back(links);
  }
  if (topology.links.size() != gpu_columns)
    throw std::invalid_argument("GPU topology has " + std::to_string(gpu_columns) + " GPU columns but " +
                                std::to_string(topology.links.size()) + " GPU rows");
  return topology;
}

std::string topology_text(const GpuTopology& topology) {
  std::string text;
  for (const auto& row : topology.links) {
    if (!text.empty()) text += "; ";
    for (size_t j = 0; j < row.size(); ++j) text += (j == 0 ? "" : " ") + link_label(row[j]);
  }
  return text;
}

GpuTopology sub_topology(const GpuTopology& topology, const std::vector<int>& gpus) {
  GpuTopology sub;
  for (int i : gpus) {
    std::vector<Link> row;
    for (int j : gpus) row.push_back(topology.links.at(static_cast<size_t>(i)).at(static_cast<size_t>(j)));
    sub.links.push_back(row);
  }
  return sub;
}

}  // namespace iddl::hardware
