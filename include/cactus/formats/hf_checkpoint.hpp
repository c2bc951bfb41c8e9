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

}  // namespace cactus::formats
