#pragma once
// The seed's three steps from a Python class: `cactus transpile path/model.py:Class` runs the
// project's exporter (python/cactus_export.py) in the project's Python, which imports the file,
// builds the class (--init-args), loads the state_dict `cactus convert` read, exports it with
// torch.export (batch and sequence dims dynamic where the example allows) and writes model.pt2
// and PyTorch's outputs into a staging directory; transpile then goes on as for a .pt2.
// The Python is $CACTUS_PYTHON, else the build's (.venv/bin/python), else python3 on PATH.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cactus/core/files.hpp"
#include "cactus/core/npy.hpp"

extern char** environ;

namespace cactus::frontends {

namespace fs = std::filesystem;

// "path/model.py:ClassName"
inline bool is_python_class_spec(const std::string& s) {
  const auto colon = s.rfind(':');
  return colon != std::string::npos && colon >= 3 && s.compare(colon - 3, 3, ".py") == 0;
}

struct python_environment {
  std::string python, exporter;
  static python_environment find() {
    python_environment e;
    if (const char* p = std::getenv("CACTUS_PYTHON"); p && *p) e.python = p;
#ifdef CACTUS_DEFAULT_PYTHON
    else if (fs::exists(CACTUS_DEFAULT_PYTHON)) e.python = CACTUS_DEFAULT_PYTHON;
#endif
    else e.python = "python3";
    if (const char* x = std::getenv("CACTUS_EXPORTER"); x && *x) e.exporter = x;
#ifdef CACTUS_EXPORTER_SCRIPT
    else e.exporter = CACTUS_EXPORTER_SCRIPT;
#endif
    check(!e.exporter.empty() && fs::exists(e.exporter), "the Python exporter (cactus_export.py) was not found",
          e.exporter.empty() ? std::string{} : " at " + e.exporter, "; set CACTUS_EXPORTER to its path");
    return e;
  }
};

// Runs argv; stdout and stderr go to files; returns the exit status (or 128 + signal).
inline int run_process(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  check(rc == 0, argv[0], ": cannot be started (", std::strerror(rc), ")");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    check(errno == EINTR, argv[0], ": waitpid failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The overloads the importer reads, one per line, for the exporter's --keep-ops: it decomposes
// every other op of the captured graph to the core ATen opset and keeps these.
inline std::vector<std::string> keep_ops_arguments(const std::vector<std::string>& keep_ops, const fs::path& stage) {
  if (keep_ops.empty()) return {};
  const fs::path p = stage / "keep_ops.txt";
  std::string text;
  for (auto& o : keep_ops) text += o + "\n";
  write_file_atomic(p, text);
  return {"--keep-ops", p.string()};
}

// The last line of the exporter's output (its message on failure, its JSON on success).
inline std::string last_line(std::string t) {
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  const auto nl = t.rfind('\n');
  return t.substr(nl == std::string::npos ? 0 : nl + 1);
}

// What the exporter decomposed to core ATen ("gru.input x1, outer.default x2"), from the JSON
// line it prints last; empty when it kept the whole graph.
inline std::string decomposed_summary(const fs::path& out) {
  if (!fs::exists(out)) return {};
  const nlohmann::json info = nlohmann::json::parse(last_line(read_file_text(out)), nullptr, false);
  std::string s;
  if (info.is_object() && info.contains("decomposed") && info["decomposed"].is_object())
    for (auto& [op, count] : info["decomposed"].items())
      s += (s.empty() ? "" : ", ") + op + (count.is_number_integer() ? " x" + std::to_string(count.get<int>()) : std::string{});
  return s;
}

struct python_export {
  fs::path archive;                // model.pt2 in the staging directory
  std::vector<tensor> reference;   // PyTorch's outputs on the example inputs
  std::string decomposed;          // the ops decomposed to core ATen (decomposed_summary)
};

inline python_export export_python_class(const std::string& spec, const std::vector<tensor>& example_inputs, const std::string& init_args,
                                         const std::string& state_dict, const fs::path& stage,
                                         const std::vector<std::string>& keep_ops = {}) {
  const auto py = python_environment::find();
  fs::create_directories(stage);
  std::vector<std::string> argv{py.python, py.exporter, spec, stage.string()};
  for (std::size_t i = 0; i < example_inputs.size(); ++i) {
    const fs::path p = stage / ("example_" + std::to_string(i) + ".npy");
    npy_save(p.string(), example_inputs[i]);
    argv.push_back("--example-input");
    argv.push_back(p.string());
  }
  if (!init_args.empty()) { argv.push_back("--init-args"); argv.push_back(init_args); }
  if (!state_dict.empty()) { argv.push_back("--state-dict"); argv.push_back(state_dict); }
  for (auto& a : keep_ops_arguments(keep_ops, stage)) argv.push_back(a);
  const int rc = run_process(argv, stage / "export.out", stage / "export.err");
  if (rc != 0) {
    // the exporter's own message is its last line; a Python crash is a traceback
    const std::string err = last_line(fs::exists(stage / "export.err") ? read_file_text(stage / "export.err") : std::string{});
    fail(rc == 2 ? err : spec + ": the exporter (" + py.python + ") failed with status " + std::to_string(rc) + ": " + err);
  }
  python_export r;
  r.archive = stage / "model.pt2";
  check(fs::exists(r.archive), spec, ": the exporter wrote no model.pt2");
  r.decomposed = decomposed_summary(stage / "export.out");
  for (std::size_t i = 0; fs::exists(stage / ("reference_" + std::to_string(i) + ".npy")); ++i)
    r.reference.push_back(npy_load((stage / ("reference_" + std::to_string(i) + ".npy")).string()));
  return r;
}

}  // namespace cactus::frontends
