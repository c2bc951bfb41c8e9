#pragma once
// The text of a growing sequence of generated ids, released as it becomes final. Each step
// decodes every id so far (a token's text can depend on its neighbours: byte-level pieces,
// Metaspace prefixes) and releases what is new, except while the text ends in U+FFFD: then the
// last token is a partial UTF-8 character and waits for the token that completes it.
#include <string>
#include <vector>

#include "cactus/tokenizer/tokenizer.hpp"

namespace cactus::tokenizer {

class text_stream {
 public:
  explicit text_stream(const tokenizer& t) : tok_(&t) {}

  // The text that `ids` (every id generated so far) adds to what was released, or "".
  std::string next(const std::vector<int>& ids) {
    const std::string text = tok_->decode(ids);
    const bool partial = text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0;
    if (text.size() <= shown_ || partial) return {};
    std::string r = text.substr(shown_);
    shown_ = text.size();
    return r;
  }
  // At the end: whatever is left (a trailing partial character as U+FFFD).
  std::string finish(const std::vector<int>& ids) {
    const std::string text = tok_->decode(ids);
    std::string r = text.size() > shown_ ? text.substr(shown_) : std::string();
    shown_ = text.size();
    return r;
  }

 private:
  const tokenizer* tok_;
  std::size_t shown_ = 0;  // bytes of the text already released
};

}  // namespace cactus::tokenizer
