#pragma once
// Reads a torch.save(state_dict) file (zip + pickle) without LibTorch or Python: a small
// pickle machine that understands the opcodes torch emits (protocols 2-4), plain dicts and
// collections.OrderedDict (which LibTorch's own pickle_load rejects), and tensors rebuilt by
// torch._utils._rebuild_tensor_v2 from the archive's data/<key> storages.
#include <algorithm>
#include <functional>
#include <memory>
#include <variant>

#include "cactus/formats/zip_archive.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/ops/op.hpp"

namespace cactus::formats {

namespace pickle {

struct object;
using ptr = object*;  // owned by the program's arena

struct object {
  enum class type { none, boolean, integer, floating, string, tuple, list, dict, global, call, persid, mark, tensor };
  type t = type::none;
  std::int64_t i = 0;
  double f = 0;
  std::string s, module;  // string / global name
  std::vector<ptr> items;  // tuple, list, call args (items[0] = callable, items[1] = args)
  std::vector<std::pair<ptr, ptr>> dict;
  cactus::tensor tensor;
};

// Every object one pickle program makes lives in its arena until the arena goes. Objects point
// at each other with plain pointers: a program may put a list or dict inside itself (APPEND or
// SETITEM of a memoized container), a cycle that shared ownership would leak.
class arena {
 public:
  ptr make(object::type t) {
    objects_.push_back(std::make_unique<object>());
    objects_.back()->t = t;
    return objects_.back().get();
  }

 private:
  std::vector<std::unique_ptr<object>> objects_;
};

// Runs the pickle program; `load_tensor` turns a rebuild call's arguments into a tensor. The
// result and everything it reaches live in `objects`.
inline ptr run(arena& objects, const unsigned char* p, std::size_t n, const std::string& what,
               const std::function<cactus::tensor(const object& args)>& load_tensor) {
  auto make = [&](object::type t) { return objects.make(t); };
  byte_reader r(p, n, what);
  std::vector<ptr> stack;
  std::map<std::uint32_t, ptr> memo;
  auto pop = [&]() {
    check(!stack.empty(), what, ": corrupt pickle (stack underflow)");
    ptr o = stack.back();
    stack.pop_back();
    return o;
  };
  auto pop_mark = [&]() {
    std::vector<ptr> items;
    while (true) {
      ptr o = pop();
      if (o->t == object::type::mark) break;
      items.push_back(o);
    }
    std::reverse(items.begin(), items.end());
    return items;
  };
  auto top = [&]() -> ptr& {
    check(!stack.empty(), what, ": corrupt pickle (empty stack)");
    return stack.back();
  };
  auto read_line = [&]() {
    std::string s;
    for (char c; (c = static_cast<char>(r.le<std::uint8_t>())) != '\n';) s += c;
    return s;
  };
  auto global = [&](std::string module, std::string name) {
    ptr g = make(object::type::global);
    g->module = std::move(module);
    g->s = std::move(name);
    return g;
  };
  auto str = [&](std::size_t len) {
    ptr o = make(object::type::string);
    o->s.assign(reinterpret_cast<const char*>(r.take(len)), len);
    return o;
  };
  auto integer = [&](std::int64_t v) { ptr o = make(object::type::integer); o->i = v; return o; };
  while (true) {
    const auto op = r.le<std::uint8_t>();
    switch (op) {
      case 0x80: r.le<std::uint8_t>(); break;                      // PROTO
      case 0x95: r.le<std::uint64_t>(); break;                     // FRAME
      case '}': stack.push_back(make(object::type::dict)); break;  // EMPTY_DICT
      case ']': stack.push_back(make(object::type::list)); break;  // EMPTY_LIST
      case ')': stack.push_back(make(object::type::tuple)); break; // EMPTY_TUPLE
      case '(': stack.push_back(make(object::type::mark)); break;  // MARK
      case 'N': stack.push_back(make(object::type::none)); break;
      case 0x88: case 0x89: { ptr o = make(object::type::boolean); o->i = op == 0x88; stack.push_back(o); break; }
      case 'K': stack.push_back(integer(r.le<std::uint8_t>())); break;
      case 'M': stack.push_back(integer(r.le<std::uint16_t>())); break;
      case 'J': stack.push_back(integer(r.le<std::int32_t>())); break;
      case 0x8a: {  // LONG1
        auto len = r.le<std::uint8_t>();
        check(len <= 8, what, ": integer too large in pickle");
        std::uint64_t v = 0;
        const unsigned char* b = r.take(len);
        for (std::size_t k = 0; k < len; ++k) v |= std::uint64_t(b[k]) << (8 * k);
        if (len && len < 8 && (b[len - 1] & 0x80)) v |= ~std::uint64_t(0) << (8 * len);
        stack.push_back(integer(static_cast<std::int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        const unsigned char* b = r.take(8);
        std::uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v = (v << 8) | b[k];
        ptr o = make(object::type::floating);
        std::memcpy(&o->f, &v, 8);
        stack.push_back(o);
        break;
      }
      case 'X': stack.push_back(str(r.le<std::uint32_t>())); break;
      case 0x8c: case 'U': case 'C': stack.push_back(str(r.le<std::uint8_t>())); break;
      case 'T': case 'B': stack.push_back(str(r.le<std::uint32_t>())); break;
      case 'c': { auto m = read_line(); auto nm = read_line(); stack.push_back(global(m, nm)); break; }
      case 0x93: { ptr nm = pop(), m = pop(); stack.push_back(global(m->s, nm->s)); break; }
      case 'q': memo[r.le<std::uint8_t>()] = top(); break;
      case 'r': memo[r.le<std::uint32_t>()] = top(); break;
      case 0x94: memo[static_cast<std::uint32_t>(memo.size())] = top(); break;
      case 'h': case 'j': {
        std::uint32_t k = op == 'h' ? r.le<std::uint8_t>() : r.le<std::uint32_t>();
        check(memo.count(k), what, ": corrupt pickle (memo ", k, " missing)");
        stack.push_back(memo[k]);
        break;
      }
      case 't': { ptr t = make(object::type::tuple); t->items = pop_mark(); stack.push_back(t); break; }
      case 0x85: case 0x86: case 0x87: {
        ptr t = make(object::type::tuple);
        t->items.resize(op - 0x84u);
        for (std::size_t k = t->items.size(); k-- > 0;) t->items[k] = pop();
        stack.push_back(t);
        break;
      }
      case 'Q': { ptr o = make(object::type::persid); o->items.push_back(pop()); stack.push_back(o); break; }
      case 'R': case 0x81: {  // REDUCE / NEWOBJ
        ptr args = pop(), fn = pop();
        const std::string full = fn->module + "." + fn->s;
        if (full == "collections.OrderedDict") {
          stack.push_back(make(object::type::dict));
        } else if (full == "torch._utils._rebuild_tensor_v2" || full == "torch._utils._rebuild_tensor") {
          ptr t = make(object::type::tensor);
          t->tensor = load_tensor(*args);
          stack.push_back(t);
        } else if (full == "torch._utils._rebuild_parameter" || full == "torch._utils._rebuild_parameter_with_state") {
          stack.push_back(args->items.at(0));
        } else {
          ptr c = make(object::type::call);
          c->items = {fn, args};
          stack.push_back(c);
        }
        break;
      }
      case 's': { ptr v = pop(), k = pop(); top()->dict.emplace_back(k, v); break; }
      case 'u': {
        auto items = pop_mark();
        check(items.size() % 2 == 0, what, ": corrupt pickle (odd SETITEMS)");
        for (std::size_t k = 0; k < items.size(); k += 2) top()->dict.emplace_back(items[k], items[k + 1]);
        break;
      }
      case 'a': { ptr v = pop(); top()->items.push_back(v); break; }
      case 'e': { auto items = pop_mark(); for (auto& v : items) top()->items.push_back(v); break; }
      case 'b': pop(); break;  // BUILD: state (e.g. state_dict._metadata) is not needed
      case '.': return pop();
      default: fail(what, ": unsupported pickle opcode 0x", std::hex, int(op), " at offset ", std::dec, r.pos() - 1);
    }
  }
}

}  // namespace pickle

inline dtype storage_dtype(const std::string& storage, const std::string& what, bool& bf16) {
  bf16 = false;
  if (storage == "FloatStorage") return dtype::f32;
  if (storage == "HalfStorage") return dtype::f16;
  if (storage == "BFloat16Storage") { bf16 = true; return dtype::f32; }
  if (storage == "LongStorage") return dtype::i64;
  if (storage == "IntStorage") return dtype::i32;
  if (storage == "CharStorage") return dtype::i8;
  if (storage == "ByteStorage") return dtype::u8;
  if (storage == "BoolStorage") return dtype::b8;
  if (storage == "DoubleStorage") return dtype::f32;  // converted below
  fail(what, ": unsupported tensor storage type ", storage);
}

// All tensors of a torch.save()d state_dict, in file order.
inline std::vector<std::pair<std::string, tensor>> read_torch_state_dict(const std::string& path) {
  auto f = mapped_file::open(path);
  check(looks_like_zip(*f), path, ": not a torch.save zip archive (legacy torch.save format or another file type)");
  zip_archive zip(f);
  auto [pkl, pkl_n] = zip.find_suffix("data.pkl");
  check(pkl != nullptr, path, ": zip archive without data.pkl; not a torch.save file");
  check(!zip.has_suffix("constants.pkl"), path, ": this is a TorchScript archive; it holds a model, not just a state_dict");
  auto load = [&](const pickle::object& args) -> tensor {
    check(args.items.size() >= 4 && args.items[0]->t == pickle::object::type::persid, path, ": unexpected tensor encoding");
    const auto& pid = *args.items[0]->items.at(0);
    check(pid.items.size() >= 5, path, ": unexpected storage reference");
    const std::string storage = pid.items[1]->s, key = pid.items[2]->s;
    bool bf16 = false;
    const bool f64 = storage == "DoubleStorage";
    dtype t = storage_dtype(storage, path, bf16);
    const std::size_t src_es = bf16 ? 2 : f64 ? 8 : size_of(t);
    auto [data, n] = zip.find_suffix("data/" + key);
    check(data != nullptr, path, ": storage data/", key, " is missing");
    const std::int64_t offset = args.items[1]->i;
    shape_t shape, strides;
    for (auto& d : args.items[2]->items) shape.push_back(d->i);
    for (auto& d : args.items[3]->items) strides.push_back(d->i);
    const std::uint64_t need = checked_strided_bytes(shape, strides, offset, src_es, path + ": storage data/" + key);
    check(need <= n, path, ": storage data/", key, " has ", n, " bytes, a tensor of shape ", to_string(shape), " needs ", need,
          " (truncated file?)");
    check_expansion(shape, src_es, n, path + ": storage data/" + key);
    tensor out = tensor::empty(t, shape);
    if (!bf16 && !f64) {
      ops::copy_strided(data + offset * static_cast<std::int64_t>(src_es), strides, out.data, shape, src_es);
    } else {
      std::vector<unsigned char> raw(static_cast<std::size_t>(numel(shape)) * src_es);
      ops::copy_strided(data + offset * static_cast<std::int64_t>(src_es), strides, raw.data(), shape, src_es);
      for (std::int64_t k = 0; k < numel(shape); ++k)
        out.ptr<float>()[k] = bf16 ? bf16_to_f32(raw.data() + 2 * k) : f64_to_f32(raw.data() + 8 * k);
    }
    return out;
  };
  pickle::arena objects;
  auto root = pickle::run(objects, pkl, pkl_n, path + ":data.pkl", load);
  check(root->t == pickle::object::type::dict, path, ": the pickled object is not a dict of tensors (save model.state_dict(), not the model)");
  std::vector<std::pair<std::string, tensor>> out;
  for (auto& [k, v] : root->dict) {
    if (k->t != pickle::object::type::string) continue;
    if (v->t == pickle::object::type::tensor) out.emplace_back(k->s, v->tensor);
  }
  // {} is the state_dict of a model without parameters; a dict of other things is not one
  check(!out.empty() || root->dict.empty(), path, ": no tensors found in the state_dict (", root->dict.size(),
        " entries, none of them a tensor)");
  return out;
}

}  // namespace cactus::formats
