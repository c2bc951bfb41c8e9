// tokenizer.json documents: parse, build the tokenizer, encode and decode a few strings.
#pragma once
#include "cactus/tokenizer/tokenizer.hpp"
#include "fuzz_input.hpp"

inline int fuzz_tokenizer_json(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded()) return;
    try {
      auto t = cactus::tokenizer::tokenizer::from_json(j, "fuzz.json");
      for (const char* s : {"Hello world! 123", " \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 <|im_start|>", "\xff\xfe bad utf8", ""}) {
        auto ids = t.encode(s, true);
        t.decode(ids, false);
        t.decode(ids, true);
      }
    } catch (const nlohmann::json::exception&) {
      // a malformed document that nlohmann rejects: tokenizer::from_file turns this into a cactus::error
    }
  });
}
