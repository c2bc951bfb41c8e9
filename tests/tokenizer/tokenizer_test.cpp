// The tokenizer's pieces on small inline tokenizer.json documents (the HF parity test holds
// the real files and every component to HF tokenizers; this one runs on every target,
// aarch64 under qemu included, without Python).
#include <catch2/catch.hpp>

#include "cactus/cactus.hpp"  // the tokenizer is part of the umbrella (and of single_include)

using namespace cactus::tokenizer;

static tokenizer from(const char* text) { return tokenizer::from_json(json::parse(text), "inline"); }

TEST_CASE("invalid UTF-8 becomes U+FFFD per maximal invalid subpart, as Python's errors='replace'") {
  REQUIRE(make_valid_utf8("abc") == "abc");
  REQUIRE(make_valid_utf8("a\xff" "b") == "a\xEF\xBF\xBD" "b");
  REQUIRE(make_valid_utf8("\xe2\x82") == "\xEF\xBF\xBD");                  // truncated 3-byte sequence: one
  REQUIRE(make_valid_utf8("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong: two
  REQUIRE(make_valid_utf8("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate: three
  REQUIRE(make_valid_utf8("\xe2\x82\xac") == "\xe2\x82\xac");
}

TEST_CASE("Unicode from utf8proc: NFC/NFKC, HF's per-character lowercase, categories") {
  REQUIRE(normalize_form("e\xcc\x81", "NFC") == "\xc3\xa9");
  REQUIRE(normalize_form("\xef\xac\x81", "NFKC") == "fi");  // U+FB01 ligature
  REQUIRE(lowercase("\xc4\xb0stanbul") == "i\xcc\x87stanbul");  // U+0130
  REQUIRE(lowercase("\xce\xa3\xce\x9f\xce\xa3") == "\xcf\x83\xce\xbf\xcf\x83");  // no final-sigma rule
  REQUIRE(is_whitespace(0x3000));
  REQUIRE(is_punctuation(0x3001));
  REQUIRE(is_numeric(0x0663));
  REQUIRE(is_combining_mark(0x0301));
}

TEST_CASE("PCRE2 split patterns with Unicode properties") {
  regex re(R"(\p{L}+|\p{N})", "test");
  auto m = re.find_all("ab12\xc3\xa9");
  REQUIRE(m.size() == 4);
  REQUIRE(m[0] == std::make_pair<std::size_t, std::size_t>(0, 2));
  REQUIRE(m[3] == std::make_pair<std::size_t, std::size_t>(4, 6));
  REQUIRE_THROWS_WITH(regex("(unclosed", "tokenizer.json"), Catch::Contains("does not compile"));
}

TEST_CASE("BPE: ranked merges, byte-level pre-tokenizer, added tokens, template, decoder") {
  auto t = from(R"({
    "added_tokens": [{"id": 7, "content": "<s>", "special": true, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4, "c": 5, "abc": 6}, "merges": ["a b", "\u0120 ab", "ab c"]}
  })");
  REQUIRE(t.encode("ab") == std::vector<int>{2});
  REQUIRE(t.encode("abc ab") == std::vector<int>{6, 4});
  REQUIRE(t.encode("ab<s>ab") == std::vector<int>{2, 7, 2});
  REQUIRE(t.encode("ab", true) == std::vector<int>{7, 2});
  REQUIRE(t.decode({6, 4}) == "abc ab");
  REQUIRE(t.decode({7, 2}) == "<s>ab");
  REQUIRE_THROWS_WITH(t.encode("x"), Catch::Contains("no unk_token"));
  REQUIRE_THROWS_WITH(t.decode({99}), Catch::Contains("out of range"));
}

TEST_CASE("WordPiece and Unigram") {
  auto w = from(R"({"normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "WhitespaceSplit"},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4}}})");
  REQUIRE(w.encode("Unaffable a zz") == std::vector<int>{1, 2, 3, 4, 0});
  REQUIRE(w.decode({1, 2, 3, 4}) == "unaffable a");
  auto u = from(R"({"pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"},
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"},
    "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["\u2581ab", -1.0], ["\u2581a", -2.0], ["b", -2.0], ["\u2581", -3.0], ["c", -2.5]]}})");
  REQUIRE(u.encode("ab") == std::vector<int>{1});          // one piece beats a + b
  REQUIRE(u.encode("abxyc") == std::vector<int>{1, 0, 5});  // unknown run fused into one <unk>
  REQUIRE(u.decode({1, 5}) == "abc");
}

TEST_CASE("tokenizer.json errors name the file and the part") {
  REQUIRE_THROWS_WITH(from(R"({"model": {"type": "WordLevel2"}})"), Catch::Contains("model type 'WordLevel2' is not supported"));
  REQUIRE_THROWS_WITH(from(R"({"normalizer": {"type": "Precompiled"}, "model": {"type": "BPE", "vocab": {}, "merges": []}})"),
                      Catch::Contains("Precompiled"));
  REQUIRE_THROWS_WITH(tokenizer::open("/nonexistent/dir"), Catch::Contains("no such file"));
}

TEST_CASE("a Unigram piece listed twice: the last entry encodes, both ids decode (as HF; found by fuzzing)") {
  auto t = from(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0], ["a", -2.0], ["b", -3.0]]}})");
  REQUIRE(t.encode("ab") == std::vector<int>{2, 3});  // HF tokenizers 0.23: [2, 3]
  REQUIRE(t.vocab_size() == 4);
  REQUIRE(t.id_to_token(1) == "a");
  REQUIRE(t.id_to_token(2) == "a");
}

TEST_CASE("text_stream releases generated text as it becomes final, holding back a partial UTF-8 character") {
  // byte-level pieces: "a" alone, and the two bytes of "\u00e9" (C3 A9 as the byte-level characters U+00C3, U+00A9)
  auto t = from(R"({
    "added_tokens": [], "normalizer": null, "post_processor": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "\u00c3": 1, "\u00a9": 2}, "merges": []}
  })");
  text_stream s(t);
  CHECK(s.next({0}) == "a");
  CHECK(s.next({0, 1}).empty());  // the first byte of a two-byte character waits
  CHECK(s.next({0, 1, 2}) == "\xc3\xa9");
  CHECK(s.next({0, 1, 2, 0}) == "a");
  CHECK(s.next({0, 1, 2, 0, 1}).empty());
  CHECK(s.finish({0, 1, 2, 0, 1}) == "\xef\xbf\xbd");  // at the end a partial character shows as U+FFFD
}
