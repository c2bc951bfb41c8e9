// Our file formats reject damaged input with a clear error: .npy, weight files, graph.cactus.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cactus/cactus.hpp"

using namespace cactus;
namespace fs = std::filesystem;

static fs::path tmpdir() {
  auto d = fs::temp_directory_path() / ("cactus_formats_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

TEST_CASE("npy round trip and rejection of bad files") {
  tensor t = tensor::empty(dtype::f32, {2, 3});
  for (int i = 0; i < 6; ++i) t.ptr<float>()[i] = float(i) * 0.5f;
  auto p = tmpdir() / "a.npy";
  npy_save(p, t);
  tensor r = npy_load(p);
  REQUIRE(r.shape == shape_t{2, 3});
  REQUIRE(r.ptr<float>()[5] == 2.5f);
  auto bytes = npy_serialize(t);
  REQUIRE_THROWS_WITH(npy_parse(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size() - 4, "x.npy"), Catch::Contains("truncated"));
  REQUIRE_THROWS_WITH(npy_parse(reinterpret_cast<const unsigned char*>("hello world"), 11, "x.npy"), Catch::Contains("not a .npy"));
  REQUIRE_THROWS_WITH(npy_load(tmpdir() / "missing.npy"), Catch::Contains("no such file"));
}

TEST_CASE("weight files: mmap round trip, truncation and flipped bytes are rejected") {
  tensor t = tensor::empty(dtype::f32, {4, 5});
  for (int i = 0; i < 20; ++i) t.ptr<float>()[i] = float(i);
  auto p = tmpdir() / "w.weights";
  quant::write_weight_file(p, t);
  tensor m = quant::map_weight_file(p);
  REQUIRE(m.shape == shape_t{4, 5});
  REQUIRE(m.ptr<float>()[19] == 19.0f);
  REQUIRE(reinterpret_cast<std::uintptr_t>(m.data) % 32 == 0);
  auto bytes = quant::encode_weight_file(t);
  for (std::size_t cut : {std::size_t{0}, std::size_t{50}, std::size_t{128}, bytes.size() - 1}) {
    write_file_atomic(p, bytes.data(), cut);
    REQUIRE_THROWS_WITH(quant::map_weight_file(p), Catch::Contains("w.weights"));
  }
  for (std::size_t at : {0, 5, 13, 20, 49, 60, 90, 111}) {
    auto bad = bytes;
    bad[at] ^= 0x5a;
    write_file_atomic(p, bad.data(), bad.size());
    REQUIRE_THROWS_WITH(quant::map_weight_file(p), Catch::Contains("w.weights"));
  }
}

TEST_CASE("graph.cactus: round trip, and truncation / corruption are errors") {
  ir::graph g;
  ir::value x;
  x.name = "x";
  x.shape = {2, 3};
  g.inputs.push_back(g.add_value(x));
  int n = g.add_node("relu", {g.inputs[0]}, {ir::kind::tensor});
  g.values[static_cast<std::size_t>(g.nodes[static_cast<std::size_t>(n)].outputs[0])].shape = {2, 3};
  g.outputs.push_back(g.nodes[0].outputs[0]);
  auto bytes = bundle::encode_graph(g, {});
  auto back = bundle::decode_graph(bytes.data(), bytes.size(), "g", {});
  REQUIRE(back.nodes.size() == 1);
  REQUIRE(back.nodes[0].op == "relu");
  runtime::executor ex(back);
  tensor in = tensor::empty(dtype::f32, {2, 3});
  for (int i = 0; i < 6; ++i) in.ptr<float>()[i] = float(i) - 3;
  ex.set_input(0, in);
  auto out = ex.execute();
  REQUIRE(out[0].ptr<float>()[0] == 0.0f);
  REQUIRE(out[0].ptr<float>()[5] == 2.0f);
  REQUIRE_THROWS_WITH(bundle::decode_graph(bytes.data(), bytes.size() - 3, "g", {}), Catch::Contains("truncated"));
  auto bad = bytes;
  bad[bytes.size() - 10] ^= 1;
  REQUIRE_THROWS_WITH(bundle::decode_graph(bad.data(), bad.size(), "g", {}), Catch::Contains("corrupt"));
  // wrong input dtype / rank
  REQUIRE_THROWS_WITH(ex.set_input(0, tensor::empty(dtype::i64, {2, 3})), Catch::Contains("must be f32"));
  REQUIRE_THROWS_WITH(ex.set_input(0, tensor::empty(dtype::f32, {6})), Catch::Contains("rank"));
}

TEST_CASE("memory plan reuses bytes of dead values") {
  auto p = runtime::plan_memory({{1000, 0, 1}, {1000, 2, 3}, {500, 1, 2}});
  REQUIRE(p.arena_bytes < 2500);
  REQUIRE(p.offsets[0] == p.offsets[1]);
}

// The on-disk layouts are little-endian and aligned by construction, whatever the host: these
// bytes are what an x86 and an aarch64 build must both write and read.
TEST_CASE("weight file and graph.cactus bytes are explicit little-endian with a 64-byte aligned data section") {
  tensor t = tensor::empty(dtype::f32, {1, 2});
  t.ptr<float>()[0] = 1.0f;
  t.ptr<float>()[1] = -2.0f;
  auto w = quant::encode_weight_file(t);
  REQUIRE(w.size() == 128 + 8);
  const std::vector<unsigned char> head = {'C', 'A', 'C', 'T', 2, 0, 0, 0, 64, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
  REQUIRE(std::vector<unsigned char>(w.begin(), w.begin() + 32) == head);
  REQUIRE(w[48] == 2);  // precision fp32, u32 LE
  REQUIRE(w[52] == 8);  // data_bytes, u64 LE
  const std::vector<unsigned char> data = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
  REQUIRE(std::vector<unsigned char>(w.begin() + 128, w.end()) == data);
  STATIC_REQUIRE(quant::weight_data_offset % 64 == 0);

  ir::graph g;
  ir::value x;
  x.shape = {3};
  g.inputs.push_back(g.add_value(x));
  g.outputs.push_back(g.inputs[0]);
  auto gb = bundle::encode_graph(g, {});
  REQUIRE(std::string(gb.begin(), gb.begin() + 8) == "CACTUSGR");
  REQUIRE(std::vector<unsigned char>(gb.begin() + 8, gb.begin() + 12) == std::vector<unsigned char>{2, 0, 0, 0});
}

TEST_CASE("graph.cactus v2 keeps the inputs' dim ranges; a v1 file (no ranges) still loads") {
  ir::graph g;
  ir::value x;
  x.shape = {2, 8};
  x.dims = {{1, 64}, {8, 8}};
  g.inputs.push_back(g.add_value(x));
  g.outputs.push_back(g.inputs[0]);
  auto gb = bundle::encode_graph(g, {});
  ir::graph back = bundle::decode_graph(gb.data(), gb.size(), "v2", {});
  REQUIRE(back.values[0].dims == x.dims);
  // the same graph as version 1: payload without the trailing ranges section
  g.values[0].dims.clear();
  auto v1 = bundle::encode_graph(g, {});
  const std::size_t ranges_section = 4;  // one input, zero ranges
  std::vector<unsigned char> payload(v1.begin() + 32, v1.end() - ranges_section);
  byte_writer f;
  f.bytes("CACTUSGR", 8);
  f.le<std::uint32_t>(1);
  f.le<std::uint32_t>(0);
  f.le<std::uint64_t>(payload.size());
  f.le<std::uint64_t>(fnv1a64(payload.data(), payload.size()));
  f.bytes(payload.data(), payload.size());
  ir::graph old = bundle::decode_graph(f.buffer().data(), f.buffer().size(), "v1", {});
  REQUIRE(old.values[0].shape == shape_t{2, 8});
  REQUIRE(old.values[0].dims.empty());
  REQUIRE(old.inputs == back.inputs);
}

TEST_CASE("an input outside its exported dim range is refused, naming the input, the dim and the range") {
  ir::graph g;
  ir::value x;
  x.name = "ids";
  x.type = dtype::f32;
  x.shape = {2, 8};
  x.dims = {{1, 4}, {8, 8}};
  g.inputs.push_back(g.add_value(x));
  g.outputs.push_back(g.inputs[0]);
  runtime::executor ex(g);
  ex.set_input(0, tensor::zeros(dtype::f32, {4, 8}));
  REQUIRE_THROWS_WITH(ex.set_input(0, tensor::zeros(dtype::f32, {5, 8})), Catch::Contains("input 0 'ids' dim 0 must be in [1, 4]"));
  REQUIRE_THROWS_WITH(ex.set_input(0, tensor::zeros(dtype::f32, {2, 9})), Catch::Contains("dim 1 is fixed at 8"));
}

TEST_CASE("weight files record a fingerprint of their content") {
  tensor a = tensor::empty(dtype::f32, {4, 4}), b = tensor::empty(dtype::f32, {4, 4});
  for (int i = 0; i < 16; ++i) a.ptr<float>()[i] = b.ptr<float>()[i] = float(i);
  b.ptr<float>()[15] = 99.f;
  const auto fa = quant::stored_fingerprint(quant::encode_weight_file(a)), fb = quant::stored_fingerprint(quant::encode_weight_file(b));
  REQUIRE(fa != 0);
  REQUIRE(fa != fb);
  REQUIRE(fa == quant::stored_fingerprint(quant::encode_weight_file(a)));  // the same content, the same fingerprint
  auto p = tmpdir() / "fp.weights";
  REQUIRE(quant::write_weight_file(p, a) == fa);
  std::uint64_t got = 0;
  quant::map_weight_file(p, &got);
  REQUIRE(got == fa);
  REQUIRE(quant::read_weight_fingerprint(p) == quant::fingerprint_text(fa));
}

TEST_CASE("staged_directory: a writer's files appear together, and only on publish") {
  const fs::path root = tmpdir() / "staged";
  fs::remove_all(root);
  const fs::path target = root / "bundle";
  auto write = [](const fs::path& p, const std::string& s) { write_file_atomic(p, s); };
  {  // no target yet: publish renames the stage into place
    staged_directory s(target, [](const fs::path&) { return false; });
    write(s.path() / "a.weights", "A1");
    REQUIRE_FALSE(fs::exists(target));
    s.publish();
  }
  REQUIRE(read_file_text(target / "a.weights") == "A1");
  write(target / "graph.cactus", "G1");
  {  // a writer that owns *.weights keeps graph.cactus; a failed writer changes nothing
    staged_directory s(target, [](const fs::path& rel) { return rel.extension() == ".weights"; });
    REQUIRE(fs::exists(s.path() / "graph.cactus"));
    REQUIRE_FALSE(fs::exists(s.path() / "a.weights"));
    write(s.path() / "b.weights", "B1");
  }  // destroyed without publish
  REQUIRE(read_file_text(target / "a.weights") == "A1");
  REQUIRE_FALSE(fs::exists(target / "b.weights"));
  {
    staged_directory s(target, [](const fs::path& rel) { return rel.extension() == ".weights"; });
    write(s.path() / "b.weights", "B1");
    s.publish();
  }
  REQUIRE_FALSE(fs::exists(target / "a.weights"));  // owned and not written again: gone
  REQUIRE(read_file_text(target / "b.weights") == "B1");
  REQUIRE(read_file_text(target / "graph.cactus") == "G1");
  // a stage of a process that is gone is removed by the next writer; none is left behind
  const fs::path stale = root / ".bundle.cactus-staging-999999999";
  fs::create_directories(stale);
  write(stale / "x", "x");
  { staged_directory s(target, [](const fs::path&) { return false; }); s.publish(); }
  REQUIRE_FALSE(fs::exists(stale));
  std::size_t entries = 0;
  for (auto& e : fs::directory_iterator(root)) entries += e.path() != target;
  REQUIRE(entries == 0);
  REQUIRE_THROWS_WITH(staged_directory(target / "graph.cactus", [](const fs::path&) { return false; }), Catch::Contains("not a directory"));
}

TEST_CASE("the graph verifier refuses cycles, two producers and undefined values, naming the node") {
  ir::graph g;
  ir::value x;
  x.shape = {2};
  const int in = g.add_value(x);
  g.inputs = {in};
  const int a = g.nodes.size(), b = a + 1;
  g.add_node("relu", {in}, {ir::kind::tensor});
  g.add_node("neg", {g.nodes[static_cast<std::size_t>(a)].outputs[0]}, {ir::kind::tensor});
  g.outputs = {g.nodes[static_cast<std::size_t>(b)].outputs[0]};
  REQUIRE_NOTHROW(ir::verify(g, "g"));
  auto cyc = g;
  cyc.nodes[0].inputs[0] = cyc.nodes[1].outputs[0];
  REQUIRE_THROWS_WITH(ir::verify(cyc, "g"), Catch::Contains("node 0 (relu) uses value") && Catch::Contains("before it is produced"));
  auto two = g;
  two.nodes[1].outputs = two.nodes[0].outputs;
  REQUIRE_THROWS_WITH(ir::verify(two, "g"), Catch::Contains("has two producers: node 1 (neg) and node 0 (relu)"));
  auto into_input = g;
  into_input.nodes[0].outputs = {in};
  REQUIRE_THROWS_WITH(ir::verify(into_input, "g"), Catch::Contains("a graph input or constant"));
  auto bad_id = g;
  bad_id.outputs = {77};
  REQUIRE_THROWS_WITH(ir::verify(bad_id, "g"), Catch::Contains("graph output 77 is not a value"));
  auto dup_in = g;
  dup_in.inputs = {in, in};
  REQUIRE_THROWS_WITH(ir::verify(dup_in, "g"), Catch::Contains("listed twice"));
}

TEST_CASE("the graph verifier checks each node's input and output counts against its op's declared arity") {
  ir::graph g;
  ir::value x;
  x.shape = {2};
  const int in = g.add_value(x);
  g.inputs = {in};
  g.add_node("relu", {in}, {ir::kind::tensor});
  g.outputs = {g.nodes[0].outputs[0]};
  REQUIRE_NOTHROW(ir::verify(g, "g"));
  auto extra = g;
  extra.nodes[0].inputs.push_back(in);
  REQUIRE_THROWS_WITH(ir::verify(extra, "g"), Catch::Contains("g: node 0 (relu) has 2 inputs; relu takes 1"));
  auto none = g;
  none.nodes[0].inputs.clear();
  REQUIRE_THROWS_WITH(ir::verify(none, "g"), Catch::Contains("has 0 inputs; relu takes 1"));
  // ranges and lists are named as such (ATen spellings are checked by canonicalize: tests/frontends/aten_test.cpp)
  auto cat = g;
  cat.nodes[0].op = "cat";
  REQUIRE_THROWS_WITH(ir::verify(cat, "g"), Catch::Contains("has 1 inputs; cat takes 2 or more"));
  cat.nodes[0].inputs = {in, in, in, in, in};
  REQUIRE_NOTHROW(ir::verify(cat, "g"));
  auto cell = g;
  cell.nodes[0].op = "lstm_cell";
  cell.nodes[0].inputs = {in, in};
  REQUIRE_THROWS_WITH(ir::verify(cell, "g"), Catch::Contains("has 1 outputs; lstm_cell gives 2"));
  // names only canonicalize knows are left to it
  auto t = g;
  t.nodes[0].op = "aten::t";
  t.nodes[0].inputs.clear();
  REQUIRE_NOTHROW(ir::verify(t, "g"));
}

TEST_CASE("split refuses a chunk count or size that is not positive, instead of dividing by it") {
  for (std::int64_t mode : {0, 1}) {
    ir::graph g;
    ir::value x;
    x.shape = {4, 6};
    g.inputs = {g.add_value(x)};
    g.add_node("split", {g.inputs[0], g.add_constant(ir::meta::of_int(1)), g.add_constant(ir::meta::of_int(mode)), g.add_constant(ir::meta::of_int(0))},
               {ir::kind::tensor});
    g.outputs = {g.nodes[0].outputs[0]};
    runtime::executor ex(g);
    ex.set_input(0, tensor::zeros(dtype::f32, {4, 6}));
    REQUIRE_THROWS_WITH(ex.execute(), Catch::Contains(mode == 0 ? "chunk count 0 must be positive" : "split size 0 must be positive"));
  }
}

TEST_CASE("arange refuses a length that is infinite or does not fit, instead of casting it") {
  ir::graph g;
  const int none = g.add_constant(ir::meta::none());
  g.add_node("arange", {g.add_constant(ir::meta::of_float(INFINITY)), none, none, none, none}, {ir::kind::tensor});
  g.outputs = {g.nodes[0].outputs[0]};
  runtime::executor ex(g);
  REQUIRE_THROWS_WITH(ex.execute(), Catch::Contains("has no finite length that fits"));
}

TEST_CASE("JSON integers are read checked: floats and out-of-range numbers are errors, not casts") {
  using nlohmann::json;
  REQUIRE(json_integer(json(5), "w") == 5);
  REQUIRE(json_integer<std::uint64_t>(json(18446744073709551615ull), "w") == 18446744073709551615ull);
  REQUIRE_THROWS_WITH(json_integer(json(2.5e30), "where"), Catch::Contains("where: expected an integer"));
  REQUIRE_THROWS_WITH(json_integer<int>(json(std::int64_t{1} << 40), "where"), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(json_integer<std::uint64_t>(json(-1), "where"), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(json_integer(json(18446744073709551615ull), "where"), Catch::Contains("out of range"));
  REQUIRE(json_integers<int>(json::parse("[1, 2, 3]"), "w") == std::vector<int>{1, 2, 3});
  REQUIRE_THROWS_WITH(json_integers(json("12"), "where"), Catch::Contains("a list of integers"));
}

TEST_CASE("JSON errors are said in our words: the place, the line and column, expected and found") {
  using nlohmann::json;
  REQUIRE(json_parse("{\"a\": [1, 2]}", "f.json")["a"][1] == 2);
  REQUIRE_THROWS_WITH(json_parse("{\"a\":\n [1, 2", "f.json"),
                      Catch::StartsWith("f.json: not valid JSON at line 2, column 7: unexpected end of input"));
  auto reason = [](auto&& f) {
    try {
      f();
    } catch (const json::exception& e) {
      return json_reason(e);
    }
    return std::string("no exception");
  };
  const json j = json::parse(R"({"s": 5, "o": 3})");
  REQUIRE(reason([&] { (void)j.at("s").get<std::string>(); }) == "expected a string, found a number");
  REQUIRE(reason([&] { (void)j.at("o").value("k", 1); }) == "expected an object, found a number");
  REQUIRE(reason([&] { (void)j.at("missing"); }) == "missing \"missing\"");
  REQUIRE(reason([&] { (void)json::array().get<std::string>(); }) == "expected a string, found an array");
  // no nlohmann tag is left in any of them
  REQUIRE(reason([&] { (void)j.at("s").at(0); }).find("json.exception") == std::string::npos);
}

TEST_CASE("the version string is its three parts (include/cactus/version.hpp)") {
  const std::string parts = std::to_string(version_major) + "." + std::to_string(version_minor) + "." + std::to_string(version_patch);
  CHECK(std::string(version) == parts);
  CHECK(std::string(version) == CACTUS_VERSION_STRING);
}

// A stored zip of (name, bytes) entries, as torch.save writes them (no compression, no CRC check).
static std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, cd;
  auto le = [](std::string& s, std::uint64_t v, int n) { for (int i = 0; i < n; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); };
  for (auto& [name, data] : entries) {
    const auto local = out.size();
    le(out, 0x04034b50u, 4); le(out, 20, 2); le(out, 0, 2); le(out, 0, 2); le(out, 0, 4); le(out, 0, 4);
    le(out, data.size(), 4); le(out, data.size(), 4); le(out, name.size(), 2); le(out, 0, 2);
    out += name + data;
    le(cd, 0x02014b50u, 4); le(cd, 20, 2); le(cd, 20, 2); le(cd, 0, 2); le(cd, 0, 2); le(cd, 0, 4); le(cd, 0, 4);
    le(cd, data.size(), 4); le(cd, data.size(), 4); le(cd, name.size(), 2); le(cd, 0, 2); le(cd, 0, 2);
    le(cd, 0, 2); le(cd, 0, 2); le(cd, 0, 4); le(cd, local, 4);
    cd += name;
  }
  const auto cd_at = out.size();
  out += cd;
  le(out, 0x06054b50u, 4); le(out, 0, 2); le(out, 0, 2); le(out, entries.size(), 2); le(out, entries.size(), 2);
  le(out, cd.size(), 4); le(out, cd_at, 4); le(out, 0, 2);
  return out;
}

static void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// One f32 tensor "w" of shape [2] holding {1.5, -2}.
static std::string small_safetensors() {
  const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(char((header.size() >> (8 * i)) & 0xff));
  s += header;
  const float v[2] = {1.5f, -2.0f};
  s.append(reinterpret_cast<const char*>(v), sizeof v);
  return s;
}

template <std::size_t N> static std::string bytes_of(const char (&s)[N]) { return std::string(s, N - 1); }

// A torch.save pickle of {"w": a FloatStorage "0" viewed at [a x b] with strides (0, 0)}:
// what torch.save writes for torch.zeros(1).expand(a, b).
static std::string expanded_view_pickle(std::uint32_t a, std::uint32_t b) {
  std::string p = bytes_of("\x80\x02}(X\x01\x00\x00\x00" "w" "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00" "storage"
                           "ctorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x01tQK\x00(J");
  for (int k = 0; k < 4; ++k) p.push_back(char((a >> (8 * k)) & 0xff));
  p += 'J';
  for (int k = 0; k < 4; ++k) p.push_back(char((b >> (8 * k)) & 0xff));
  return p + bytes_of("tK\x00K\x00\x86\x89)tRu.");
}

TEST_CASE("a stride-0 view in a state_dict loads when small, and is refused before allocating when its copy is huge") {
  // fuzz_torch_checkpoint found a 2 KB file whose [2x443647736] view of 8 bytes took 76 s and 1.7 GB
  auto d = tmpdir();
  const std::string one_float("\x00\x00\xc0\x3f", 4);  // 1.5f
  write_bytes(d / "small_view.pt", stored_zip({{"m/data.pkl", expanded_view_pickle(2, 3)}, {"m/data/0", one_float}}));
  auto small = formats::read_torch_state_dict((d / "small_view.pt").string());
  REQUIRE(small.size() == 1);
  REQUIRE(small[0].second.shape == shape_t{2, 3});
  for (int k = 0; k < 6; ++k) CHECK(small[0].second.ptr<float>()[k] == 1.5f);
  write_bytes(d / "huge_view.pt", stored_zip({{"m/data.pkl", expanded_view_pickle(2, 443647736)}, {"m/data/0", one_float}}));
  REQUIRE_THROWS_WITH(formats::read_torch_state_dict((d / "huge_view.pt").string()),
                      Catch::Contains("huge_view.pt: storage data/0") && Catch::Contains("[2x443647736] would expand 4 stored bytes"));
}

TEST_CASE("open_checkpoint tells the format from the contents, not the name") {
  const auto d = tmpdir() / "checkpoints";
  fs::create_directories(d);

  // a safetensors file under another name is found by its header
  write_bytes(d / "model.bin", small_safetensors());
  REQUIRE(formats::sniff_checkpoint(d / "model.bin").format == formats::checkpoint_format::safetensors);
  auto st = formats::open_checkpoint(d / "model.bin");
  REQUIRE(st.tensors.size() == 1);
  REQUIRE(st.tensors[0].name == "w");
  tensor w = st.tensors[0].load();
  REQUIRE(w.shape == shape_t{2});
  REQUIRE(w.ptr<float>()[0] == 1.5f);
  REQUIRE(w.ptr<float>()[1] == -2.0f);

  // a Hugging Face directory: tensors from model.safetensors, config and tokenizer files as side files
  const auto hf = d / "hf";
  fs::create_directories(hf);
  write_bytes(hf / "model.safetensors", small_safetensors());
  write_bytes(hf / "config.json", "{}");
  write_bytes(hf / "tokenizer.json", "{}");
  auto c = formats::open_checkpoint(hf);
  REQUIRE(c.tensors.size() == 1);
  REQUIRE(c.side_files.size() == 2);

  // a zip a front end claims by its marker entry goes to that front end's reader
  write_bytes(d / "archive.pt2", stored_zip({{"archive/archive_format", "pt2"}, {"archive/data", "x"}}));
  int calls = 0;
  const formats::archive_reader readers[] = {{"archive_format", "test archive", [&](const fs::path& p) {
                                                ++calls;
                                                REQUIRE(p == d / "archive.pt2");
                                                return formats::as_lazy({{"t", tensor::zeros(dtype::f32, {3})}});
                                              }}};
  const auto kind = formats::sniff_checkpoint(d / "archive.pt2", readers);
  REQUIRE(kind.format == formats::checkpoint_format::front_end_archive);
  REQUIRE(kind.reader->kind == "test archive");
  auto a = formats::open_checkpoint(d / "archive.pt2", readers);
  REQUIRE(calls == 1);
  REQUIRE(a.tensors.size() == 1);
  REQUIRE(a.tensors[0].shape == shape_t{3});
  // unclaimed, the same zip is read as a torch.save state_dict (and this one has no data.pkl)
  REQUIRE(formats::sniff_checkpoint(d / "archive.pt2").format == formats::checkpoint_format::state_dict);
  REQUIRE_THROWS(formats::open_checkpoint(d / "archive.pt2"));

  // a TorchScript archive with no reader for it (the build without LibTorch) says what it is
  write_bytes(d / "model.ts", stored_zip({{"model/constants.pkl", "x"}, {"model/data.pkl", "x"}}));
  REQUIRE(formats::sniff_checkpoint(d / "model.ts").format == formats::checkpoint_format::torchscript_unread);
  REQUIRE_THROWS_WITH(formats::open_checkpoint(d / "model.ts"), Catch::Contains("model.ts") && Catch::Contains("LibTorch-enabled"));

  // anything else is named and refused
  write_bytes(d / "notes.txt", "hello, not a checkpoint");
  REQUIRE_THROWS_WITH(formats::open_checkpoint(d / "notes.txt"), Catch::Contains("notes.txt") && Catch::Contains("not a state_dict"));
  REQUIRE_THROWS_WITH(formats::open_checkpoint(d / "missing.pt"), Catch::Contains("missing.pt") && Catch::Contains("no such file"));
  // a file of 8 bytes that would read as a safetensors length is not read past its end
  write_bytes(d / "eight.bin", std::string("\x04\0\0\0\0\0\0\0", 8));
  REQUIRE(formats::sniff_checkpoint(d / "eight.bin").format == formats::checkpoint_format::unknown);
}

TEST_CASE("synthetic inputs from shape specs, and whole numbers from text") {
  tensor x = synthetic_input("2x3", "--input-shape");
  CHECK(x.type == dtype::f32);
  CHECK(x.shape == shape_t{2, 3});
  for (std::int64_t i = 0; i < x.numel(); ++i) CHECK((x.ptr<float>()[i] >= -1.0f && x.ptr<float>()[i] < 1.0f));
  CHECK(synthetic_input("2x3", "--input-shape").ptr<float>()[5] == x.ptr<float>()[5]);  // fixed values
  tensor ids = synthetic_input("1x100:i64", "--input-shape");
  CHECK(ids.shape == shape_t{1, 100});
  CHECK(ids.ptr<std::int64_t>()[0] == 1);
  CHECK(ids.ptr<std::int64_t>()[14] == (14 * 7 + 1) % 97);
  CHECK_THROWS_WITH(synthetic_input("2xq", "--input-shape"), Catch::Contains("--input-shape") && Catch::Contains("2xq"));
  CHECK_THROWS_WITH(synthetic_input("2x" + std::string(25, '9'), "--input-shape"), Catch::Contains("is not a dimension"));
  CHECK(whole_number("42", "--n", "a count", 100) == 42);
  CHECK_THROWS_WITH(whole_number("101", "--n", "a count", 100), Catch::Contains("--n: '101' is not a count (0 to 100)"));
  CHECK_THROWS_WITH(whole_number("-1", "--n", "a count", 100), Catch::Contains("'-1'"));
  CHECK_THROWS_WITH(whole_number("", "--n", "a count", 100), Catch::Contains("--n"));
}
