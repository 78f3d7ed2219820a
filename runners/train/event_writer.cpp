#include "runners/train/event_writer.hpp"

namespace iddl::runners {

void EventWriter::emit(results::Event event, nlohmann::json fields) {
  if (rank_ != 0) return;
  fields["event"] = results::event_name(event);
  out_ << fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

}  // namespace iddl::runners
