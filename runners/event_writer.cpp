#include "runners/event_writer.hpp"

namespace iddl::runners {

void EventWriter::emit(const std::string& name, nlohmann::json fields) {
  if (rank_ != 0) return;
  fields["event"] = name;
  out_ << fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

}  // namespace iddl::runners
