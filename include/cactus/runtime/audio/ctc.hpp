#pragma once
// Greedy CTC decoding: the most likely token of each frame, runs of the same token merged into
// one, and the blank token dropped (transformers' ParakeetForCTC.generate then its tokenizer's
// decode with group_tokens, as ids).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/core/tensor.hpp"

namespace cactus::runtime::audio {

// logits [1, frames, vocab] (f32) -> token ids, with `frames` limited to the first `valid`
// (all when negative).
inline std::vector<std::int64_t> ctc_greedy(const tensor& logits, std::int64_t blank, std::int64_t valid = -1) {
  check(logits.type == dtype::f32 && logits.shape.size() == 3 && logits.shape[0] == 1, "CTC decoding: expected f32 logits [1, frames, vocab], got ",
        name_of(logits.type), " ", to_string(logits.shape));
  const std::int64_t frames = valid < 0 ? logits.shape[1] : std::min(valid, logits.shape[1]), vocab = logits.shape[2];
  check(blank >= 0 && blank < vocab, "CTC decoding: the blank id ", blank, " is not in the vocabulary of ", vocab);
  const float* p = static_cast<const float*>(logits.data);
  std::vector<std::int64_t> ids;
  std::int64_t prev = -1;
  for (std::int64_t t = 0; t < frames; ++t) {
    const float* row = p + t * vocab;
    std::int64_t best = 0;
    for (std::int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best]) best = v;
    if (best != prev && best != blank) ids.push_back(best);
    prev = best;
  }
  return ids;
}

}  // namespace cactus::runtime::audio
