#include "planner/io/emit.h"

namespace planner {

void Emit(OutputFormat format, const Reporters& r, std::ostream& out) {
  switch (format) {
    case OutputFormat::kJson:
      out << r.json().dump(2) << "\n";
      break;
    case OutputFormat::kCsv:
      RenderCsv(r.csv(), out);
      break;
    case OutputFormat::kTable:
      r.text(out);
      break;
  }
}

}  // namespace planner
