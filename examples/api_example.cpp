// The C++ API, step for step like the seed's Python example: define a model, capture it,
// transpile the IR, set an input, execute, read the outputs. The model is a TorchScript module
// defined here in C++ (no Python needed); LibTorch is used for capture and for the reference.
//
//   build/examples/api_example        prints the output shape and the max difference vs LibTorch
#include <cactus/cactus.hpp>
#include <cactus/transpile.hpp>
#include <iostream>

int main() {
  try {
    // Define your model: relu(Linear(64 -> 32)), seeded weights.
    torch::manual_seed(0);
    torch::jit::Module linear("Linear");
    linear.register_parameter("weight", torch::randn({32, 64}) * 0.1, false);
    linear.register_parameter("bias", torch::randn({32}) * 0.1, false);
    torch::jit::Module model("MyModel");
    model.register_module("linear", linear);
    model.define(R"(
def forward(self, x):
    return torch.relu(torch.linear(x, self.linear.weight, self.linear.bias))
)");
    cactus::tensor example = cactus::tensor::empty(cactus::dtype::f32, {1, 64});
    for (std::int64_t i = 0; i < example.numel(); ++i) example.ptr<float>()[i] = static_cast<float>((i * 37) % 17) / 8.0f - 1.0f;

    // Capture and transpile.
    auto captured = cactus::frontends::torchscript::capture_module(model, {example}, "MyModel");
    auto transpiled = cactus::lower::to_executor(captured.graph);

    // Run on a new input (batch 3: the executor re-plans for the new shape).
    cactus::tensor x = cactus::tensor::empty(cactus::dtype::f32, {3, 64});
    for (std::int64_t i = 0; i < x.numel(); ++i) x.ptr<float>()[i] = static_cast<float>((i * 11) % 23) / 11.0f - 1.0f;
    transpiled->set_input(0, x);
    auto outputs = transpiled->execute();
    const cactus::tensor& result = outputs[0];
    std::cout << "Output shape: " << cactus::to_string(result.shape) << "\n";

    // Check against LibTorch on the same input.
    at::Tensor ref = model.forward({cactus::frontends::torchscript::to_torch(x)}).toTensor();
    double err = 0;
    for (std::int64_t i = 0; i < result.numel(); ++i)
      err = std::max(err, std::abs(static_cast<double>(result.ptr<float>()[i]) - ref.data_ptr<float>()[i]));
    std::cout << "max |cactus - libtorch| = " << err << "\n";
    return err <= 1e-5 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "api_example: error: " << e.what() << "\n";
    return 1;
  }
}
