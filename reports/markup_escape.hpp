// Text made safe to place in XML or HTML (SVG charts, the HTML page).
#pragma once

#include <string>
#include <string_view>

namespace iddl::reports {

// The text with &, <, >, " and ' written as character references.
std::string markup_escape(std::string_view text);

}  // namespace iddl::reports
