#pragma once
// Arena offsets for tensors with known lifetimes [first, last] (node indices): tensors whose
// lifetimes do not overlap share bytes. Greedy by size, first fit among live neighbours.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace cactus::runtime {

struct buffer_request {
  std::size_t bytes;
  int first, last;
};

struct memory_plan {
  std::vector<std::size_t> offsets;
  std::size_t arena_bytes = 0;
};

inline memory_plan plan_memory(const std::vector<buffer_request>& req, std::size_t align = 64) {
  memory_plan p;
  p.offsets.assign(req.size(), 0);
  std::vector<std::size_t> order(req.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return req[a].bytes > req[b].bytes; });
  std::vector<std::size_t> placed;
  for (std::size_t i : order) {
    const std::size_t need = (req[i].bytes + align - 1) / align * align;
    std::vector<std::pair<std::size_t, std::size_t>> busy;  // [start, end) of overlapping-lifetime buffers
    for (std::size_t j : placed)
      if (!(req[j].last < req[i].first || req[i].last < req[j].first))
        busy.emplace_back(p.offsets[j], p.offsets[j] + (req[j].bytes + align - 1) / align * align);
    std::sort(busy.begin(), busy.end());
    std::size_t at = 0;
    for (auto [s, e] : busy) {
      if (at + need <= s) break;
      at = std::max(at, e);
    }
    p.offsets[i] = at;
    p.arena_bytes = std::max(p.arena_bytes, at + need);
    placed.push_back(i);
  }
  return p;
}

}  // namespace cactus::runtime
