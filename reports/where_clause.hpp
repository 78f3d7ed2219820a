// Checking a user's --where expression before it is put inside "WHERE (...)".
#pragma once

#include <string>

namespace iddl::reports {

// Throws std::invalid_argument quoting `expression` unless it can only be one SQL expression inside
// the parentheses it is put in: its parentheses balance outside strings and quoted names, and it holds
// no ';', no comment and no unterminated string or name. (SQLite then rejects anything else in it.)
void check_where_expression(const std::string& expression);

}  // namespace iddl::reports
