#include "planner/cli/run.h"

#include <iostream>

#include "planner/cli/command.h"
#include "planner/io/input_error.h"
#include "planner/io/suggest.h"

namespace planner {
namespace {

void PrintHelp(std::ostream& out) {
  out << "usage: planner SUBCOMMAND [ARGS...]   (planner SUBCOMMAND --help for its flags)\n\n"
         "Distributed-training cost planner for transformer language models.\n\n"
         "subcommands:\n";
  for (const Command& c : Commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nModels and clusters are YAML files or preset names (`planner presets`).\n"
         "Memory is in GiB (2^30 bytes); bandwidth in decimal GB/s.\n";
}

int Dispatch(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    PrintHelp(std::cout);
    return argv.empty() ? 2 : 0;
  }
  if (argv[0] == "--version") {
    std::cout << "planner 0.1.0\n";
    return 0;
  }
  std::vector<std::string> names;
  for (const Command& c : Commands()) {
    if (argv[0] == c.name) return c.run({argv.begin() + 1, argv.end()});
    names.push_back(c.name);
  }
  throw InputError("unknown subcommand '" + argv[0] + "'" + DidYouMean(argv[0], names) +
                   "; `planner --help` lists them");
}

}  // namespace

int RunPlanner(const std::vector<std::string>& args, std::ostream& err) {
  try {
    return Dispatch(args);
  } catch (const InputError& e) {
    err << "planner: error: " << e.what() << "\n";
    return 2;
  } catch (const NoResult& e) {
    err << "planner: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "planner: internal error: " << e.what() << "\n";
    return 3;
  }
}

}  // namespace planner
