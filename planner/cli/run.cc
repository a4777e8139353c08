#include "planner/cli/run.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
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
  } catch (const WriteError& e) {
    err << "planner: error: " << e.what() << "\n";
    return 3;
  } catch (const NoResult& e) {
    err << "planner: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "planner: internal error: " << e.what() << "\n";
    return 3;
  }
}

int FinishOutput(int code) {
  // std::cout shares stdio's buffer (sync_with_stdio), so a failed write shows in ferror(stdout)
  // and the last buffered bytes are written by fflush.
  errno = 0;
  std::cout.flush();
  const bool out_failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  int out_errno = errno;
  if (out_failed && out_errno == 0) {
    // The write that failed was earlier and its errno is gone; the stream is lost anyway, so one
    // more byte asks the system for the reason.
    std::clearerr(stdout);
    std::fputc('\n', stdout);
    if (std::fflush(stdout) != 0) out_errno = errno;
  }
  std::cerr.flush();
  const bool err_failed = !std::cerr || std::fflush(stderr) != 0 || std::ferror(stderr);
  if (code != 0 && code != 1) return code;  // already failed, with its message
  if (out_failed) {
    std::fprintf(stderr, "planner: error: cannot write standard output: %s\n",
                 out_errno != 0 ? std::strerror(out_errno) : "write error");
    return 3;
  }
  return err_failed ? 3 : code;
}

}  // namespace planner
