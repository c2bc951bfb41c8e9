// The cactus CLI: parses arguments (one table per command, options.hpp) and calls the library.
// Build with CACTUS_WITH_TORCH=1 for convert-from-TorchScript and transpile; without it, `run`
// works on its own. Neither links LibTorch: the first build loads it as a plugin
// (torchscript_plugin.cpp) when a TorchScript archive is read or captured.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <fstream>
#include <sstream>

#include "cactus/cactus.hpp"
#include "options.hpp"
#if CACTUS_WITH_TORCH
#include "cactus/transpile_pipeline.hpp"
#endif

namespace fs = std::filesystem;
using namespace cactus;

using cli::args;

static bool is_tty() { return isatty(2); }

// One --no-fuse-<name> flag per fusion (patterns/rules.hpp names them and says what each does).
static std::vector<cli::option> fusion_flags() {
  std::vector<cli::option> r;
  for (auto& f : passes::fusion_names())
    r.push_back({"--no-fuse-" + patterns::flag_name(f), "", "do not fuse " + std::string(patterns::fusion_summary(f)), false});
  return r;
}

static void add_disabled_fusions(const args& a, passes::fuse_options& fo) {
  for (auto& f : passes::fusion_names())
    if (a.has("--no-fuse-" + patterns::flag_name(f))) fo.disabled.insert(f);
}

#if CACTUS_WITH_TORCH
// LibTorch (TorchScript capture and weights) is a plugin this CLI loads when it first meets a
// TorchScript archive: $CACTUS_TORCHSCRIPT_PLUGIN, else the one built or installed beside it.
static std::filesystem::path torchscript_plugin() {
  if (const char* env = std::getenv("CACTUS_TORCHSCRIPT_PLUGIN"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path dir = ec ? fs::path(".") : exe.parent_path();
  const char* name = "libcactus_torchscript.so";
  for (const fs::path& p : {dir / name, dir / ".." / "lib" / "cactus" / name})
    if (fs::exists(p)) return p;
  return dir / name;  // the error names where it was looked for first
}
#endif

// The archive kinds this build's front ends read as checkpoints (TorchScript only with LibTorch).
static std::vector<formats::archive_reader> archive_readers() {
  std::vector<formats::archive_reader> r = {frontends::torch_export::checkpoint_reader()};
#if CACTUS_WITH_TORCH
  r.push_back(frontends::torchscript::checkpoint_reader());
#endif
  return r;
}

static void preview(const std::string& label, const tensor& t) {
  std::cout << label << ": " << name_of(t.type) << " " << to_string(t.shape) << " [";
  for (std::int64_t i = 0; i < std::min<std::int64_t>(t.numel(), 8); ++i) std::cout << (i ? ", " : "") << t.element_as_double(i);
  std::cout << (t.numel() > 8 ? ", ...]" : "]") << "\n";
}

static int cmd_convert(const args& a) {
  convert_options o;
  const std::string bits = a.get("--bits", "4");
  check(!bits.empty() && bits.size() <= 2 && bits.find_first_not_of("0123456789") == std::string::npos, "--bits takes 1, 2, 3, 4, 8, 16 or 32, got '",
        bits, "'");
  o.bits = std::stoi(bits);
  check(o.bits == 32 || o.bits == 16 || o.bits == 8 || (o.bits >= 1 && o.bits <= 4), "--bits must be 1, 2, 3, 4, 8, 16 or 32, got ", o.bits);
  o.keep = split_patterns(a.get("--keep"));
  if (a.has("--embeddings")) o.embeddings = split_patterns(a.get("--embeddings"));
  o.progress = is_tty();
  o.source = formats::resolve_model_path(a.pos[0]).string();
  auto source = formats::open_checkpoint(o.source, archive_readers());
  o.side_files = source.side_files;
  const auto& tensors = source.tensors;
  auto m = convert_checkpoint(tensors, a.pos[1], o);
  std::uint64_t bytes = 0, in_bytes = 0;
  std::map<std::string, std::size_t> count;
  for (auto& w : m.weights) { bytes += w.bytes; ++count[w.precision]; }
  for (auto& t : tensors) in_bytes += t.bytes;
  std::cout << "converted " << m.weights.size() << " tensors (" << human_bytes(double(in_bytes)) << " -> " << human_bytes(double(bytes));
  const char* sep = "; ";
  for (auto& [p, n] : count) { std::cout << sep << n << " " << p; sep = " "; }
  std::cout << ") to " << a.pos[1];
  if (m.weights.empty()) std::cout << " (a model without parameters: an empty manifest)";
  if (!o.side_files.empty()) std::cout << ", with " << o.side_files.size() << " config/tokenizer files";
  std::cout << "\n";
  return 0;
}

#if CACTUS_WITH_TORCH
// "org/name", "dir/" or "dir": the last non-empty path component (a default bundle name).
static std::string last_component(const std::string& spec) {
  fs::path p = fs::path(spec).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

static int cmd_transpile(const args& a) {
  transpile_options o;
  const bool python_class = frontends::is_python_class_spec(a.pos[0]);
  o.model = python_class ? fs::path(a.pos[0]) : formats::resolve_model_path(a.pos[0]);
  const bool hf = !python_class && formats::is_hf_checkpoint(o.model);
  if (python_class) {
    const std::string file = a.pos[0].substr(0, a.pos[0].rfind(':'));
    check(fs::exists(file), file, ": no such file");
  } else {
    check(fs::exists(o.model), o.model.string(), ": no such file");
  }
  o.init_args = a.get("--init-args");
  check(o.init_args.empty() || python_class, "--init-args: only for a Python class (path/model.py:Class)");
  if (!python_class && !hf && formats::sniff_checkpoint(o.model, archive_readers()).format == formats::checkpoint_format::state_dict)
    fail(o.model.string(), ": this is a state_dict (weights only); transpile needs the model's graph: save it with "
         "torch.jit.trace(model, example).save('model.ts') and pass that file");
  o.weights_dir = a.get("--weights-dir");
  const std::string stem = python_class ? a.pos[0].substr(a.pos[0].rfind(':') + 1)
                          : hf ? last_component(a.pos[0])
                               : o.model.stem().string();
  o.task = a.get("--task", "auto");
  check(o.task == "auto" || hf, "--task: only for a Hugging Face checkpoint");
  const std::string kv = a.get("--kv-cache", "f16");
  check(kv == "f16" || kv == "f32" || kv == "int8", "--kv-cache takes f16, f32 or int8, got '", kv, "'");
  o.kv_cache = kv == "f16" ? dtype::f16 : kv == "f32" ? dtype::f32 : dtype::i8;
  o.artifact_dir = a.get("--artifact-dir", o.weights_dir.empty() ? (fs::path("weights") / stem).string() : o.weights_dir.string());
  for (auto& p : a.all("--example-input")) o.example_inputs.push_back(npy_load(p));
  for (auto& s : a.all("--input-shape")) o.example_inputs.push_back(synthetic_input(s, "--input-shape"));
  check(!o.example_inputs.empty() || hf || frontends::torch_export::is_export_archive(o.model),
        "transpile needs representative inputs: --example-input FILE.npy or --input-shape 1x16:i64");
  o.compare = !a.has("--skip-reference-compare");
  add_disabled_fusions(a, o.fusion);
  o.verbose = !a.has("--quiet");
  check(!(a.has("--packed-conv") && a.has("--f32-conv")), "--packed-conv and --f32-conv: give one of them");
  o.precision.packed_conv = a.has("--packed-conv");
  o.precision.f32_conv = a.has("--f32-conv");
  o.external_weights = a.has("--external-weights");
  auto r = transpile_to_bundle(o);
  std::cout << "bundle: " << o.artifact_dir.string() << " (" << r.optimized.nodes.size() << " nodes)\n";
  if (r.compared) {
    for (std::size_t i = 0; i < r.outputs.size(); ++i) preview("output " + std::to_string(i), r.outputs[i]);
    std::cout << "max |cactus - pytorch| = " << r.max_abs_error << " (max |pytorch| = " << r.max_abs_reference << ")\n";
  }
  return 0;
}
#endif

// The chat template of DIR (a checkpoint or bundle), or an error saying where one is looked for.
static tokenizer::chat_template open_chat_template(const std::string& dir) {
  check(fs::is_directory(dir), dir, ": not a directory (chat templates are read from a checkpoint or bundle directory)");
  auto t = tokenizer::chat_template::open(dir);
  check(t.has_value(), dir, ": no chat template (neither chat_template.jinja nor a \"chat_template\" in tokenizer_config.json)");
  return std::move(*t);
}

// cactus tokenize DIR --chat FILE: one conversation per line, rendered (and tokenized as
// apply_chat_template tokenizes: the text as it is, no post-processor tokens)
static int chat_lines(const std::string& dir, const std::string& path, bool render_only) {
  const auto tmpl = open_chat_template(dir);
  std::optional<tokenizer::tokenizer> tok;
  if (!render_only) tok = tokenizer::tokenizer::open(dir);
  std::ifstream in(path);
  check(in.good(), path, ": cannot be read");
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(where, ": not a JSON object");
    }
    std::string text;
    try {
      text = tmpl.render(tokenizer::chat_request::from_json(j, where));
    } catch (const error& e) {
      fail(where, ": ", e.what());
    }
    if (render_only) std::cout << nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else std::cout << nlohmann::json(tok->encode(text, false)).dump() << "\n";
  }
  return 0;
}

static int cmd_tokenize(const args& a) {
  check((a.has("--text") + a.has("--jsonl") + a.has("--decode") + a.has("--chat")) == 1 && (!a.has("--render") || a.has("--chat")),
        "usage: cactus tokenize DIR (--text TEXT | --jsonl FILE | --decode 1,2,3 | --chat FILE [--render]) [--special]");
  if (a.has("--chat")) return chat_lines(a.pos[0], a.get("--chat"), a.has("--render"));
  auto tok = tokenizer::tokenizer::open(a.pos[0]);
  const bool special = a.has("--special");
  auto ids_json = [](const std::vector<int>& ids) { return nlohmann::json(ids).dump(); };
  auto text_json = [](const std::string& t) { return nlohmann::json(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  auto parse_ids = [&](const std::string& list, const std::string& where) {
    std::vector<int> ids;
    std::stringstream ss(list);
    for (std::string x; std::getline(ss, x, ',');) {
      ids.push_back(static_cast<int>(whole_number(x, where, "a token id", std::numeric_limits<int>::max())));
    }
    return ids;
  };
  if (a.has("--text")) { std::cout << ids_json(tok.encode(a.get("--text"), special)) << "\n"; return 0; }
  if (a.has("--decode")) { std::cout << tok.decode(parse_ids(a.get("--decode"), "--decode")) << "\n"; return 0; }
  // --jsonl: a JSON string per line is encoded (one array of ids out), an array of ids is decoded
  const std::string path = a.get("--jsonl");
  std::ifstream in(path);
  check(in.good(), path, ": cannot be read");
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(where, ": not a JSON string or array of ids");
    }
    if (j.is_string()) std::cout << ids_json(tok.encode(j.get<std::string>(), special)) << "\n";
    else if (j.is_array() && std::all_of(j.begin(), j.end(), [](const nlohmann::json& v) { return v.is_number_integer(); }))
      std::cout << text_json(tok.decode(j.get<std::vector<int>>())) << "\n";
    else fail(where, ": not a JSON string or array of ids");
  }
  return 0;
}

static int cmd_lower(const args& a) {
  const fs::path ir = lower::ir_file_of(a.pos[0], "optimized_ir.json");
  auto r = lower::relower(ir, a.get("--artifact-dir"));
  std::cout << "re-lowered " << ir.string() << " (" << r.nodes_in << " nodes) -> " << a.get("--artifact-dir") << " (" << r.graph.nodes.size()
            << " nodes)\n";
  return 0;
}

static int cmd_inspect(const args& a) {
  const fs::path dir = a.pos[0];
  check(fs::is_directory(dir), dir.string(), ": not a bundle directory");
  const fs::path raw = lower::ir_file_of(dir, "raw_ir.json");
  ir::graph g = lower::load_ir_json(raw);
  // the options the bundle was transpiled with, plus the flags given here
  const auto recorded = bundle::manifest::read(dir);
  passes::fuse_options fo = bundle::recorded_fusion(recorded);
  add_disabled_fusions(a, fo);
  std::cout << passes::op_count_table(passes::optimize_traced(g, fo, bundle::recorded_precision(recorded))) << std::flush;
  if (a.has("--dot")) {
    const fs::path dot = a.get("--dot");
    write_file_atomic(dot, ir::to_dot(g, dir.filename().string()));
    std::printf("wrote %s", dot.string().c_str());
    if (std::system("command -v dot >/dev/null 2>&1") == 0) {
      fs::path svg = dot;
      svg.replace_extension(".svg");
      const std::string cmd = "dot -Tsvg '" + dot.string() + "' -o '" + svg.string() + "'";
      check(std::system(cmd.c_str()) == 0, "dot failed to render ", dot.string());
      std::printf(" and %s", svg.string().c_str());
    }
    std::printf("\n");
  }
  return 0;
}

static int cmd_run(const args& a) {
  runtime::run_request r;
  r.inputs = a.all("--input");
  auto opt = [&](const char* flag) { return a.has(flag) ? std::optional<std::string>(a.get(flag)) : std::nullopt; };
  r.input_ids = opt("--input-ids");
  r.audio = opt("--audio");
  r.prompt = opt("--prompt");
  r.raw_prompt = opt("--raw-prompt");
  r.system = opt("--system");
  r.chat_vars = a.all("--chat-var");
  if (a.has("--max-new-tokens"))
    r.max_new_tokens = static_cast<int>(whole_number(a.get("--max-new-tokens"), "--max-new-tokens", "a token count", 999999));
  auto number = [&](const char* flag) -> std::optional<float> {
    if (!a.has(flag)) return std::nullopt;
    const std::string v = a.get(flag);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    check(!v.empty() && end == v.c_str() + v.size() && std::isfinite(x), flag, " takes a number, got '", v, "'");
    return static_cast<float>(x);
  };
  r.temperature = number("--temperature");
  r.top_p = number("--top-p");
  r.min_p = number("--min-p");
  r.repetition_penalty = number("--repetition-penalty");
  if (a.has("--top-k")) r.top_k = static_cast<int>(whole_number(a.get("--top-k"), "--top-k", "a token count", 1 << 24));
  if (a.has("--seed")) r.seed = whole_number(a.get("--seed"), "--seed", "a seed", std::numeric_limits<std::int64_t>::max());
  r.thinking = a.has("--thinking");
  r.keep_logits = a.has("--output-dir");
  std::optional<int> profile_runs;
  if (a.has("--profile")) {
    const std::string spec = a.get("--profile");
    profile_runs = static_cast<int>(whole_number(spec, "--profile", "a number of runs", 1000000));
    check(*profile_runs > 0, "--profile takes a number of runs, got '", spec, "'");
  }
  runtime::session s(a.pos[0]);
  const bool lm = runtime::llm::causal_lm::is_causal_lm(s.manifest());
  const auto res = runtime::run(s, r, [](const std::string& text) { std::cout << text << std::flush; });
  nlohmann::json out = {{"bundle", a.pos[0]}, {"milliseconds", res.milliseconds}, {"outputs", nlohmann::json::array()}};
  if (a.has("--output-dir")) fs::create_directories(a.get("--output-dir"));
  for (std::size_t i = 0; i < res.outputs.size(); ++i) {
    if (!lm) preview("output " + std::to_string(i), res.outputs[i]);
    out["outputs"].push_back({{"index", i}, {"dtype", name_of(res.outputs[i].type)}, {"shape", res.outputs[i].shape}});
    if (a.has("--output-dir")) npy_save(fs::path(a.get("--output-dir")) / ("output_" + std::to_string(i) + ".npy"), res.outputs[i]);
  }
  if (res.generated_text) out["generated_text"] = *res.generated_text;
  if (!res.generated.empty()) {
    std::cout << "generated ids:";
    for (auto id : res.generated) std::cout << " " << id;
    std::cout << "\n";
    out["generated_ids"] = res.generated;
  }
  if (res.stats) {
    const auto& st = *res.stats;
    const double rss_mb = peak_rss_mb();
    std::fprintf(stderr, "prompt %zu tokens, %zu generated%s; ttft %.1f ms, prefill %.1f tok/s, decode %.1f tok/s, peak RSS %.0f MB\n",
                 st.prompt_tokens, st.generated_tokens, st.stopped_on_eos ? " (EOS)" : "", st.ttft_ms, st.prefill_tok_s, st.decode_tok_s, rss_mb);
    out["prompt_ids"] = res.prompt;
    out["generated_ids"] = res.generated;
    out["text"] = res.generated_text ? nlohmann::json(*res.generated_text) : nlohmann::json(nullptr);
    out["ttft_ms"] = st.ttft_ms;
    out["prefill_tok_s"] = st.prefill_tok_s;
    out["decode_tok_s"] = st.decode_tok_s;
    out["peak_rss_mb"] = rss_mb;
    out["stopped_on_eos"] = st.stopped_on_eos;
  }
  if (res.audio_seconds) {
    const double rss_mb = peak_rss_mb(), rtf = res.milliseconds / 1000.0 / std::max(*res.audio_seconds, 1e-9);
    std::fprintf(stderr, "audio %.2f s in %zu chunk%s; %.1f ms, real-time factor %.4f (%.0fx faster than real time), peak RSS %.0f MB\n",
                 *res.audio_seconds, res.audio_chunks, res.audio_chunks == 1 ? "" : "s", res.milliseconds, rtf, 1.0 / std::max(rtf, 1e-12), rss_mb);
    if (res.generated_text) std::cout << "transcript: " << *res.generated_text << "\n";
    out["token_ids"] = res.generated;
    out["text"] = res.generated_text ? nlohmann::json(*res.generated_text) : nlohmann::json(nullptr);
    out["audio_seconds"] = *res.audio_seconds;
    out["real_time_factor"] = rtf;
    out["peak_rss_mb"] = rss_mb;
  }
  if (profile_runs) {
    // the ops of one profile, slowest first; `unit`: what a row's time is per (run, prompt, token)
    const auto table = [](const runtime::op_profile& p, const char* unit) {
      int width = 16;  // the op column fits "conv_module [dequantized]"
      for (auto& row : p.rows) width = std::max(width, static_cast<int>(row.op.size()));
      std::printf("  %-*s %8s %12s %7s\n", width, "op", "calls", (std::string("ms/") + unit).c_str(), "share");
      for (auto& row : p.rows)
        std::printf("  %-*s %8zu %12.4f %6.1f%%\n", width, row.op.c_str(), row.calls_per_run, row.ms_per_run,
                    100.0 * row.ms_per_run / std::max(p.ms_in_ops, 1e-12));
    };
    if (lm) {  // a generation: its prefill per prompt and its decode per step, apart
      const auto g = runtime::profile_generation(s, r, *profile_runs);
      std::printf("profile: %d generations, threads %u, kernels %s, int8 microkernel: %s\n", *profile_runs, global_pool().size(),
                  kernels::active_target(), kernels::quant_gemm8_path());
      std::printf("prefill: %.4f ms per prompt of %zu tokens (%.4f ms in ops)\n", g.prefill.ms_per_run, res.prompt.size(), g.prefill.ms_in_ops);
      table(g.prefill, "prompt");
      if (g.decode_steps > 0) {
        std::printf("decode: %.4f ms per token, sampling included (%.4f ms in ops), %zu steps\n", g.decode.ms_per_run, g.decode.ms_in_ops,
                    g.decode_steps);
        table(g.decode, "token");
      } else {
        std::printf("decode: no decode steps (--max-new-tokens below 2, or EOS first)\n");
      }
      out["profile"] = {{"runs", *profile_runs}, {"prefill_ms", g.prefill.ms_per_run}, {"decode_ms_per_token", g.decode.ms_per_run}};
    } else {
      const auto p = runtime::profile_runs(s.component(s.manifest().components.front().name), res.inputs, *profile_runs);
      std::printf("profile: %d runs, %.4f ms per run (%.4f ms in ops), threads %u, kernels %s, int8 microkernel: %s\n", p.runs, p.ms_per_run,
                  p.ms_in_ops, global_pool().size(), kernels::active_target(), kernels::quant_gemm8_path());
      table(p, "run");
      out["profile"] = {{"runs", p.runs}, {"ms_per_run", p.ms_per_run}};
    }
  }
  if (a.has("--result-json")) write_file_atomic(a.get("--result-json"), out.dump(1));
  return 0;
}

// The one line a failure prints: cactus::error says what and where already; library exceptions
// that escaped a reader are named by kind, and multi-line text (LibTorch) is cut to its first line.
static std::string error_line(const std::exception& e) {
  auto first_line = [](std::string s) {
    const auto start = s.find_first_not_of(" \n\r\t");
    s = start == std::string::npos ? "" : s.substr(start);
    if (auto nl = s.find_first_of("\r\n"); nl != std::string::npos) s = s.substr(0, nl);
    return s;
  };
  if (dynamic_cast<const cactus::error*>(&e)) return first_line(e.what());
  if (auto* f = dynamic_cast<const std::filesystem::filesystem_error*>(&e))
    return (f->path1().empty() ? std::string() : f->path1().string() + ": ") + f->code().message();
  if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of memory (an input asks for more memory than this machine has)";
  if (auto* j = dynamic_cast<const nlohmann::json::exception*>(&e)) return "malformed JSON document: " + cactus::json_reason(*j);
  return first_line(e.what());
}

// The commands, their arguments and their help: parsing and --help both read this table.
static std::vector<cli::command> commands() {
  std::string embeddings;
  for (auto& p : convert_options{}.embeddings) embeddings += (embeddings.empty() ? "" : ",") + p;
  std::vector<cli::command> c;
  c.push_back({"convert", {"SRC", "OUT"}, R"(      Converts a checkpoint's weights: one OUT/<tensor>.weights file per tensor plus
      OUT/weights_manifest.json; config and tokenizer files of a directory are copied to OUT.
      SRC is told by its contents: a torch.save(state_dict) file (.pt/.pth/.bin), a
      .safetensors file, a TorchScript archive, a torch.export archive (.pt2: its parameters
      and buffers), or a Hugging Face directory (config.json + model.safetensors, or
      model-0000x-of-0000y shards with model.safetensors.index.json; f32/f16/bf16).
      Shows progress on a terminal.
)",
               {{"--bits", "32|16|8|4|3|2|1",
                 "4|3|2|1: matrices and conv kernels in CQ (groups of 128, Hadamard-rotated, Lloyd-Max codebook); 8: int8 per "
                 "group of 128; with either, embedding tables become int8 and vectors and tensors under 256 elements f16. 16: f16 "
                 "(vectors f32); 32: f32. Default 4 (CQ4), as in the Python tool.", false},
                {"--keep", "PATTERNS", "tensors kept at f16 when quantizing, e.g. 'lm_head,*.norm*' (comma-separated; a name "
                 "without wildcards matches that tensor or module prefix)", false},
                {"--embeddings", "PATTERNS", "the embedding tables' name patterns (default '" + embeddings + "')", false}},
               cmd_convert});
#if CACTUS_WITH_TORCH
  std::vector<cli::option> transpile_options = {
      {"--weights-dir", "DIR", "weights converted by `cactus convert`, bound by name through DIR/weights_manifest.json", false},
      {"--artifact-dir", "DIR", "where the bundle goes (default: the --weights-dir, else weights/<model name>)", false},
      {"--init-args", "JSON", "a Python class's constructor arguments, e.g. '{\"vocab_size\": 32000}'", false},
      {"--task", "NAME", "a Hugging Face checkpoint's task (default auto: from config.json; causal_lm_logits for *ForCausalLM, "
       "encoder_hidden_states for Whisper, ctc_logits for *ForCTC, tdt_transcription for *ForTDT)", false},
      {"--kv-cache", "f16|f32|int8", "a causal LM's KV cache dtype (default f16; int8 keeps a scale per 32 features of a row)", false},
      {"--example-input", "FILE.npy", "an example input, in forward()'s order", true},
      {"--input-shape", "2x16:i64", "an example input of that shape and dtype (f32 by default) with fixed seeded values", true},
      {"--skip-reference-compare", "", "do not run the bundle against PyTorch's outputs", false},
      {"--quiet", "", "no progress lines on stderr", false},
      {"--packed-conv", "", "keep every quantized conv kernel packed (mmapped, e.g. 4.1 bits per weight at CQ4) and run "
       "those convolutions on the int8 matrix-matrix microkernel; by default a kernel stays packed where the CPU loading the "
       "bundle has that microkernel and the kernel has at least 64 output channels and 256 products per output (there it is "
       "faster than f32); the others are dequantized to f32 at load", false},
      {"--f32-conv", "", "dequantize every quantized conv kernel to f32 at load (more memory; the default keeps the large ones "
       "packed)", false},
      {"--external-weights", "", "bind weights outside the artifact dir in place (the bundle records it) instead of "
       "hard-linking them into its weights/", false}};
  for (auto& f : fusion_flags()) transpile_options.push_back(f);
  c.push_back({"transpile", {"MODEL"}, R"(      MODEL is one of:
        DIR or org/name      a Hugging Face checkpoint (a directory with config.json, or a hub id
                             found in the local HF cache, never downloaded): the family adapter
                             (Qwen3, Llama, Gemma 3 text, LFM2) builds it with transformers' own
                             class, exports it cache-free with a dynamic sequence length, and a
                             causal LM gets a KV cache at lowering: the bundle holds a prefill
                             and a decode graph sharing weights and caches. Config and tokenizer
                             files are copied into the bundle.
        path/model.py:Class  a PyTorch nn.Module class: the project's Python builds it
                             (--init-args), loads the state_dict that `cactus convert` read into
                             DIR, exports it with torch.export (batch and sequence dims dynamic
                             where the example allows) and records PyTorch's outputs on the
                             example inputs; then as for a .pt2.
        model.pt2            a torch.export archive (torch.export.save), read without LibTorch;
                             dims exported dynamic (torch.export.Dim) accept any size in their
                             range. Without --weights-dir its own weights are converted (f32)
                             into the bundle. Example inputs are optional.
        model.ts             a TorchScript archive, captured and run by LibTorch.
      Binds weights from DIR/weights_manifest.json by name, canonicalizes, fuses (ATen
      computation shapes rewritten into one op, see optimized_ir.json), lowers and writes the
      bundle. Then runs the bundle on the example inputs and compares with PyTorch's outputs
      (writes result.json); a bare .pt2 has none. With fp32 weights (and cache) a difference
      over 1e-3 of the largest output is an error and nothing is written. The bundle is built
      and checked beside the artifact dir and swapped into place in one step: a failed or
      killed transpile leaves the old bundle as it was. A bundle records each weight file's fingerprint: after converting
      other weights into it, `cactus run` refuses it by file name until it is transpiled again.
)",
               transpile_options, cmd_transpile});
#endif
  c.push_back({"lower", {"BUNDLE/optimized_ir.json"}, R"(      Re-lowers saved IR (optimized_ir.json or raw_ir.json; a bundle directory means its
      optimized_ir.json) into a new bundle without LibTorch: runs the IR passes again, with the
      options the bundle was transpiled with (--no-fuse-*, --packed-conv, --f32-conv; recorded in
      components/manifest.json), and binds the source bundle's weights by name (hard-linked
      into OUT/weights/, or bound in place if the source bundle was transpiled with
      --external-weights).
)",
               {{"--artifact-dir", "OUT", "where the new bundle goes", false, true}}, cmd_lower});
  std::vector<cli::option> inspect_options = {
      {"--dot", "FILE.dot", "write the optimized graph for Graphviz, and FILE.svg too when `dot` is installed", false}};
  for (auto& f : fusion_flags()) inspect_options.push_back(f);
  c.push_back({"inspect", {"BUNDLE"}, R"(      Re-runs the IR passes on BUNDLE/raw_ir.json (with the options the bundle was transpiled
      with, plus the --no-fuse flags given here) and prints the op counts after each pass
      (canonicalize, fold_constants, fuse, dce, and at load on this CPU: the casts to f32 in front
      of the weights that ops do not read as stored) and which fusions fired.
)",
               inspect_options, cmd_inspect});
  c.push_back({"run", {"BUNDLE"}, R"(      Runs a bundle on its inputs and prints (a preview of) each output. --prompt and
      --raw-prompt tokenize with the bundle's tokenizer.json; give one of them, or --input-ids,
      for a token-id input. A causal LM bundle with a KV cache (prefill and decode graphs)
      generates: the prompt in one pass, then up to --max-new-tokens tokens (default 128), one
      decode step each, sampled with the bundle's generation_config.json values unless the
      flags below say otherwise, until an EOS id; the text is streamed to stdout as it comes and
      the speeds go to stderr. Other bundles run once; with --max-new-tokens their first output
      is read as next-token logits and tokens are appended greedily (the sequence is re-run
      each step).
)",
               {{"--input", "FILE.npy|NAME=FILE.npy", "an input, in the bundle's order or by name", true},
                {"--input-ids", "1,2,3", "token ids as an int64 [1, N] input", false},
                {"--audio", "FILE.wav", "a speech bundle's input: the WAV (PCM 8-32 bit or float, any rate and channels) resampled and "
                 "turned into the features its preprocessor_config.json describes, in chunks as long as the model takes (Whisper: "
                 "30 s; the outputs' chunks are joined along time); a CTC bundle prints its greedy transcript (ids, and text "
                 "with a tokenizer.json)", false},
                {"--prompt", "TEXT", "the user's message: the bundle's chat template is applied with the generation prompt, "
                 "then the text is tokenized", false},
                {"--system", "TEXT", "a system message before --prompt's", false},
                {"--chat-var", "KEY=JSON", "a chat template variable for --prompt (enable_thinking=false and the like; "
                 "the value is JSON, or a plain string)", true},
                {"--raw-prompt", "TEXT", "TEXT tokenized as it is, with the special tokens its post-processor adds (no chat "
                 "template)", false},
                {"--thinking", "", "with --prompt: the chat template's enable_thinking (off by default)", false},
                {"--max-new-tokens", "N", "generate at most N tokens (a KV-cache bundle's caches get room for the prompt plus N)", false},
                {"--temperature", "T", "sampling temperature; 0 is greedy", false},
                {"--top-k", "K", "sample from the K most likely tokens (0: all)", false},
                {"--top-p", "P", "sample from the most likely tokens whose probabilities reach P", false},
                {"--min-p", "P", "drop tokens below P times the most likely one's probability", false},
                {"--repetition-penalty", "R", "divide the logits of tokens already seen by R (multiply when negative)", false},
                {"--seed", "N", "the sampler's seed (default 0): the same seed gives the same tokens", false},
                {"--output-dir", "DIR", "write each output as DIR/output_<i>.npy (a KV-cache bundle: output_0.npy holds the logits "
                 "of each generated token, [generated, V])", false},
                {"--result-json", "FILE", "write the run's outputs (dtypes, shapes), time and generated ids as JSON (a generation: "
                 "prompt_ids, generated_ids, text, ttft_ms, prefill_tok_s, decode_tok_s, peak_rss_mb; --audio: token_ids and text "
                 "(a CTC bundle's transcript), audio_seconds, real_time_factor, peak_rss_mb)", false},
                {"--profile", "N", "run N more times and print the wall time per op (with the kernel path and int8 instructions planned for it: linear [gemm8/VNNI]); a KV-cache bundle: N more generations, prefill per prompt and decode per token", false}},
               cmd_run});
  c.push_back({"tokenize", {"DIR"}, R"(      Tokenizes with DIR/tokenizer.json (a Hugging Face checkpoint, a converted weights dir or
      a bundle; or the tokenizer.json itself), giving the ids HF tokenizers gives. Give one of
      --text, --jsonl, --decode and --chat.
)",
               {{"--text", "TEXT", "print TEXT's ids as a JSON array", false},
                {"--jsonl", "FILE", "one JSON value per line: a string is encoded (a JSON array of ids out), an array of ids is "
                 "decoded (a JSON string out)", false},
                {"--decode", "1,2,3", "print the text of the ids", false},
                {"--chat", "FILE", "one conversation per line, {\"messages\": [...], \"tools\": [...], \"add_generation_prompt\": "
                 "true, other keys: template variables such as enable_thinking}; applies DIR's chat template "
                 "(chat_template.jinja or tokenizer_config.json) as transformers' apply_chat_template does and prints the ids",
                 false},
                {"--render", "", "with --chat: print the rendered text as a JSON string instead of its ids", false},
                {"--special", "", "add the special tokens the post-processor adds (BOS...)", false}},
               cmd_tokenize});
  return c;
}

static std::string usage(const std::vector<cli::command>& cs) {
  std::string u = "cactus: PyTorch models to small, fast runtime bundles.\n\nusage:\n";
  for (auto& c : cs) u += c.help();
#if !CACTUS_WITH_TORCH
  u += "  cactus transpile: only in the LibTorch-enabled build (this is the runtime-only CLI)\n";
#endif
  return u + "  cactus COMMAND --help    one command's help\n  cactus --help | --version\n";
}

int main(int argc, char** argv) {
  try {
#if CACTUS_WITH_TORCH
    frontends::torchscript::loader() = [] { return frontends::torchscript::load_plugin(torchscript_plugin()); };
#endif
    const auto cs = commands();
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
      std::cout << usage(cs);
      return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    if (cmd == "--version") { std::cout << "cactus " << cactus::version << " (kernels: " << kernels::active_target() << ")\n"; return 0; }
    for (auto& c : cs) {
      if (c.name != cmd) continue;
      if (argc > 2 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
        std::cout << c.help();
        return 0;
      }
      return c.run(c.parse(argc, argv, 2));
    }
#if !CACTUS_WITH_TORCH
    if (cmd == "transpile") fail("transpile needs the LibTorch-enabled cactus build (this is the runtime-only CLI)");
#endif
    fail("unknown command '", cmd, "' (see cactus --help)");
  } catch (const std::exception& e) {
    std::cerr << "cactus: error: " << error_line(e) << "\n";
    return 1;
  }
}
