"""The tokenizer test corpus: >= 500 strings per tokenizer, seeded. Many scripts, emoji and ZWJ
sequences, whitespace runs, digits, code, normalization and casing edge cases, and the
tokenizer's own special and added tokens inside text."""
import random

SCRIPTS = [
    "The quick brown fox jumps over the lazy dog.", "Don't stop-believing: it's 5 o'clock, isn't it?",
    "Ça va? Élève, garçon, où êtes-vous? L'été dernier à Noël.", "Größe, Übermaß, Straße; ÄÖÜ äöü ß ẞ.",
    "¿Dónde está la biblioteca? ¡Señor Muñoz!", "Привет, как дела? Съешь же ещё этих мягких французских булок.",
    "Καλημέρα κόσμε· ΣΟΦΟΣ ΟΔΥΣΣΕΥΣ, σοφός.", "مرحبا بالعالم! كيف حالك؟ ١٢٣٤٥", "שלום עולם, מה שלומך?",
    "नमस्ते दुनिया, आप कैसे हैं? क्षत्रिय", "আমি বাংলায় গান গাই।", "สวัสดีครับ ยินดีต้อนรับ", "你好，世界！我爱北京天安门。",
    "日本語のテキスト、カタカナとひらがな。東京都", "안녕하세요 세계! 한국어 텍스트입니다.", "Tiếng Việt có dấu: Người ta thường nói.",
    "İstanbul'da ılık bir gün; IĞDIR ŞİŞLİ", "ქართული ენა ლამაზია", "Հայերեն լեզու", "ሰላም ለዓለም", "வணக்கம் உலகம்",
    "Ελληνικά και English mixed 混合 テキスト", "ǅemal ǈubljana ǋuška", "Ωmega Ωhm Å Å K K ﬁne ﬂow", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
    "Ⅻ ⅻ ① ② ³ ½ ¼ ™ ℃ ℉", "e\u0301 a\u0300 o\u0308 n\u0303 (combining)", "cafe\u0301 vs café",
    "Zero\u200bwidth\u200cjoiner\u200dtest\ufeffbom", "tab\tseparated\tvalues", "line1\nline2\r\nline3\rline4",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷🇯🇵", "🧑🏿‍🚀", "🤖", "✨🎉", "☃︎", "👩‍💻", "🫠"]
SPACES = ["  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n\n", " \n ", "\r\n", "\u00a0", "\u3000", "\u2003", "    \n\t  "]
DIGITS = ["0", "7", "42", "12345", "3.14159", "1,000,000", "0x1F", "1e-5", "2024-12-01", "١٢٣", "१२३", "²³", "99.9%", "-273.15"]
CODE = [
    "def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    '{"key": [1, 2, 3], "nested": {"a": null}}', "<div class=\"main\">Hello &amp; welcome</div>",
    "SELECT * FROM users WHERE id = 42;", "x = lambda: None\nif __name__ == '__main__':\n\tmain()",
    "std::vector<std::string> v{\"a\", \"b\"};", "$ ls -la | grep '.py' && echo done", "a+=b; c-=d; e*=f; g/=h;",
    "https://example.com/path?q=1&r=two#frag", "user@example.org", "C:\\Windows\\System32", "// TODO: fix\n/* block */",
]
WORDS = ["hello", "world", "tokenization", "antidisestablishmentarianism", "the", "a", "I", "you're", "we've", "CAPS",
         "MiXeD", "snake_case", "camelCase", "kebab-case", "aaaaaaaaaaaaaaaaaaaaaaaa", "xyz", "über", "naïve", "résumé"]


def corpus(special_tokens, seed=0):
    rnd = random.Random(seed)
    fixed = ["", " ", "  ", "\n", "a", "A", " a", "a ", " leading", "trailing ", "   multiple   spaces   "]
    fixed += SCRIPTS + EMOJI + SPACES + DIGITS + CODE + WORDS
    fixed += [w + e for w in WORDS[:6] for e in EMOJI[:4]]
    fixed += [d + " " + w for d in DIGITS[:8] for w in WORDS[:3]]
    for t in special_tokens[:12]:
        fixed += [t, f"{t}hello", f"Hello {t} world", f"{t}\n{t}", f"text{t}more text", f" {t} "]
    pools = [SCRIPTS, EMOJI, SPACES, DIGITS, CODE, WORDS, special_tokens or WORDS]
    out = list(fixed)
    while len(out) < 560:
        n = rnd.randint(1, 6)
        parts = [rnd.choice(rnd.choice(pools)) for _ in range(n)]
        out.append(rnd.choice(["", " ", "\n"]).join(parts))
    return out
