// The seed's TextClassifier written as a C++ model graph (cactus/model_dsl/model.hpp) instead of
// being captured from PyTorch:
//
//   class TextClassifier(nn.Module):
//       def __init__(self, vocab_size=32000, embed_dim=256, num_classes=4):
//           self.embedding = nn.Embedding(vocab_size, embed_dim)
//           self.fc1 = nn.Linear(embed_dim, 128)
//           self.fc2 = nn.Linear(128, num_classes)
//       def forward(self, input_ids):
//           x = self.embedding(input_ids).mean(dim=1)
//           return self.fc2(torch.relu(self.fc1(x)))
//
// Weights come from the PyTorch state_dict through `cactus convert classifier.pt DIR` (any
// --bits); they are bound by their state_dict names and mapped in place. No LibTorch.
//
//   text_classifier WEIGHTS_DIR [IDS.npy [LOGITS.npy]]
// Without IDS.npy it classifies a fixed batch of two token sequences.
#include <cactus/cactus.hpp>
#include <cstdio>
#include <iostream>

namespace text_classifier {
using namespace cactus::model_dsl;
using input_ids = input<"input_ids", cactus::dtype::i64>;
using embedded = op<"embedding", weight<"embedding.weight">, input_ids>;  // [batch, seq, 256]
using pooled = op<"mean", embedded, ints<1>, lit<false>, none>;            // [batch, 256]
using hidden = op<"relu", op<"linear", pooled, weight<"fc1.weight">, weight<"fc1.bias">>>;
using logits = op<"linear", hidden, weight<"fc2.weight">, weight<"fc2.bias">>;
using graph = model<logits>;
}  // namespace text_classifier

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4 || std::string(argv[1]) == "--help") {
    std::cerr << "usage: text_classifier WEIGHTS_DIR [IDS.npy [LOGITS.npy]]\n"
                 "  WEIGHTS_DIR: output of `cactus convert classifier.pt WEIGHTS_DIR`\n";
    return argc == 2 ? 0 : 2;
  }
  try {
    cactus::ir::graph g = text_classifier::graph::build(cactus::model_dsl::weights_from_dir(argv[1]), {{1, 8}});
    auto model = cactus::lower::to_executor(std::move(g));
    cactus::tensor ids;
    if (argc >= 3) {
      ids = cactus::npy_load(argv[2]);
    } else {
      ids = cactus::tensor::empty(cactus::dtype::i64, {2, 8});
      for (std::int64_t i = 0; i < ids.numel(); ++i) ids.ptr<std::int64_t>()[i] = (i * 7919 + 13) % 32000;
    }
    model->set_input(0, ids);
    const cactus::tensor logits = model->execute()[0];
    std::cout << "logits " << cactus::to_string(logits.shape) << ":";
    for (std::int64_t i = 0; i < logits.numel(); ++i) std::printf(" %.5f", logits.ptr<float>()[i]);
    std::cout << "\n";
    if (argc == 4) cactus::npy_save(argv[3], logits);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "text_classifier: error: " << e.what() << "\n";
    return 1;
  }
}
