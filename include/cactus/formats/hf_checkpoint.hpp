#pragma once
// A Hugging Face style checkpoint directory: config.json and either model.safetensors or shards
// listed by model.safetensors.index.json ({"weight_map": {tensor: shard file}}). Tensors are
// listed lazily, shard by shard. The side files a runtime bundle needs (config, tokenizer,
// generation settings) are named so `cactus convert` can copy them.
#include <filesystem>
#include <map>
#include <set>

#include "cactus/formats/safetensors.hpp"
#include "cactus/core/files.hpp"
#include "cactus/core/json_read.hpp"

namespace cactus::formats {

struct hf_checkpoint {
  std::filesystem::path dir;
  nlohmann::json config;
  std::vector<lazy_tensor> tensors;
  std::vector<std::filesystem::path> side_files;  // config, tokenizer and generation files present
};

// The files besides the weights that a checkpoint directory may hold and that travel with it
// (cactus convert copies them; a bundle records which it has).
inline constexpr const char* hf_side_file_names[] = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                                     "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
                                                     "added_tokens.json", "chat_template.jinja", "preprocessor_config.json"};

inline bool is_hf_checkpoint(const std::filesystem::path& dir) {
  return std::filesystem::is_directory(dir) && std::filesystem::exists(dir / "config.json");
}

inline hf_checkpoint open_hf_checkpoint(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  check(fs::is_directory(dir), dir.string(), ": not a directory");
  hf_checkpoint c;
  c.dir = dir;
  const fs::path cfg = dir / "config.json";
  check(fs::exists(cfg), dir.string(), ": no config.json, so this is not a Hugging Face checkpoint directory");
  c.config = json_parse(read_file_text(cfg), cfg.string());
  const fs::path single = dir / "model.safetensors", index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const nlohmann::json j = json_parse(read_file_text(index), index.string());
    check(j.contains("weight_map") && j["weight_map"].is_object(), index.string(), ": no \"weight_map\" object");
    std::map<std::string, std::set<std::string>> by_shard;
    for (auto& [name, file] : j["weight_map"].items()) {
      check(file.is_string(), index.string(), ": weight_map entry '", name, "' is not a file name");
      by_shard[file.get<std::string>()].insert(name);
    }
    for (auto& [file, names] : by_shard) {
      const fs::path shard = dir / file;
      check(path_exists(shard), index.string(), " lists shard ", file, ", which is missing from ", dir.string());
      std::set<std::string> found;
      for (auto& t : list_safetensors(shard.string())) {
        found.insert(t.name);
        c.tensors.push_back(std::move(t));
      }
      for (auto& n : names) check(found.count(n), index.string(), ": tensor '", n, "' is mapped to ", file, " but that shard does not contain it");
    }
  } else {
    check(fs::exists(single), dir.string(), ": neither model.safetensors nor model.safetensors.index.json (only safetensors checkpoints are read)");
    c.tensors = list_safetensors(single.string());
  }
  for (const char* f : hf_side_file_names)
    if (fs::exists(dir / f)) c.side_files.push_back(dir / f);
  return c;
}

// The Hugging Face hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
inline std::filesystem::path hf_hub_cache() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return std::filesystem::path(h) / "hub";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".cache" / "huggingface" / "hub";
}

// Whether `spec` reads as a hub id ("org/name": two plain segments).
inline bool looks_like_hf_id(const std::string& spec) {
  const auto slash = spec.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < spec.size() && spec.find('/', slash + 1) == std::string::npos &&
         spec[0] != '.' && spec.find('\\') == std::string::npos;
}

// A model given as a path or as a hub id: the path when it exists; an id ("Qwen/Qwen3-0.6B") is
// looked up in the local hub cache (models--org--name/snapshots/<refs/main, or the only one>),
// never downloaded. Anything else is returned as it is, for the caller's own error.
inline std::filesystem::path resolve_model_path(const std::string& spec) {
  namespace fs = std::filesystem;
  if (path_exists(spec) || !looks_like_hf_id(spec)) return spec;
  const auto slash = spec.find('/');
  const fs::path repo = hf_hub_cache() / ("models--" + spec.substr(0, slash) + "--" + spec.substr(slash + 1));
  const fs::path snaps = repo / "snapshots";
  auto missing = [&](const std::string& why) {
    fail(spec, ": not a local path, and not in the local Hugging Face cache (", why, " under ", repo.string(),
         "; set HF_HOME or HF_HUB_CACHE, or download it first: cactus never downloads)");
  };
  if (!path_exists(snaps)) missing("no snapshots/");
  std::string rev;
  if (path_exists(repo / "refs" / "main")) {
    rev = read_file_text(repo / "refs" / "main");
    while (!rev.empty() && (rev.back() == '\n' || rev.back() == ' ')) rev.pop_back();
  } else {
    std::vector<std::string> all;
    for (auto& e : fs::directory_iterator(snaps)) all.push_back(e.path().filename().string());
    if (all.size() != 1) missing(all.empty() ? "no snapshot" : "several snapshots and no refs/main");
    rev = all[0];
  }
  const fs::path dir = snaps / rev;
  if (!path_exists(dir / "config.json")) missing("no config.json in snapshot " + rev);
  return dir;
}

}  // namespace cactus::formats
