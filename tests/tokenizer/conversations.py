"""Conversations for the chat-template tests: system / user / assistant turns, multi-turn chats,
add_generation_prompt on and off, enable_thinking, reasoning (as <think> text and as
reasoning_content), tools with tool calls and tool responses, content given as a list of parts,
whitespace that templates trim, every script, emoji, special tokens inside text, and JSON values
(floats, big ints, nested, unicode, escapes) that `tojson` prints. Seeded: the same list every run.

Each item is what `cactus tokenize DIR --chat` reads per line: {"messages": [...], "tools": [...],
"add_generation_prompt": bool, other keys: template variables}."""
import random

TEXTS = [
    "Hello!",
    "What is the capital of France?",
    "Explain the theory of relativity in two sentences.",
    "  leading and trailing spaces  ",
    "\n\nnewlines around\n\n",
    "Tabs\tinside\tthe\ttext",
    "Émile a mangé une crème brûlée à Besançon.",
    "Привет, как дела?",
    "日本語のテキストです。東京は大きい。",
    "中文：你好，世界！",
    "한국어 문장입니다.",
    "مرحبا بالعالم",
    "שלום עולם",
    "हिन्दी में एक वाक्य।",
    "Emoji 👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷",
    "def f(x):\n    return x ** 2  # square\n",
    "```python\nprint('hi')\n```",
    "Numbers 3.14159 and 1e-5 and 12,345,678",
    "A quote \" and an apostrophe ' and a backslash \\",
    "<|im_start|> inside text <|im_end|>",
    "<start_of_turn> and <end_of_turn> as text",
    "<|begin_of_text|><|eot_id|> in a message",
    "{{ not a template }} {% neither %}",
    "Multiple\n\nparagraphs\n\nof text.",
    "x" * 300,
    "Mixed 中文 and English and emoji 🎉",
    "",
    " ",
]

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web \"quoted\" and\nmulti-line",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "default": 10}, "threshold": {"type": "number", "default": 0.5}},
            "required": ["query"],
        },
    },
}
ODD_ARGS = {"n": 1, "f": 1.0, "small": 1e-05, "big": 1e20, "neg": -0.25, "t": True, "none": None, "list": [1, "two", [3.5]],
            "nested": {"a": {"b": "ü"}}, "text": "line\nbreak \"q\" \\ é 😀", "huge": 12345678901234567890 // 10}


def _turns(rng, n):
    """n user / assistant pairs of texts"""
    msgs = []
    for _ in range(n):
        msgs.append({"role": "user", "content": rng.choice(TEXTS)})
        msgs.append({"role": "assistant", "content": rng.choice(TEXTS)})
    return msgs


def conversations():
    rng = random.Random(1234)
    out = []
    # plain chats
    for t in TEXTS:
        out.append({"messages": [{"role": "user", "content": t}], "add_generation_prompt": True})
    for t in TEXTS[:8]:
        out.append({"messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": t}]})
    for n in (1, 2, 3, 5):
        out.append({"messages": _turns(rng, n), "add_generation_prompt": False})
        out.append({"messages": _turns(rng, n) + [{"role": "user", "content": rng.choice(TEXTS)}], "add_generation_prompt": True})
        out.append({"messages": [{"role": "system", "content": rng.choice(TEXTS)}] + _turns(rng, n) + [{"role": "user", "content": rng.choice(TEXTS)}]})
    # thinking switches (Qwen3 reads enable_thinking; the others ignore it)
    for flag in (True, False):
        out.append({"messages": [{"role": "user", "content": "Think about 2+2."}], "enable_thinking": flag})
        out.append({"messages": _turns(rng, 2) + [{"role": "user", "content": "And now?"}], "enable_thinking": flag})
    # reasoning in the assistant's text and as a field
    think = "<think>\nLet me count: 1, 2, 3.\n</think>\n\nThree."
    out.append({"messages": [{"role": "user", "content": "Count to three."}, {"role": "assistant", "content": think}], "add_generation_prompt": False})
    out.append({"messages": [{"role": "user", "content": "Count to three."}, {"role": "assistant", "content": think},
                             {"role": "user", "content": "Again."}]})
    out.append({"messages": [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "Because.", "reasoning_content": "The user asks why."},
                             {"role": "user", "content": "Why not?"}, {"role": "assistant", "content": "Since.", "reasoning_content": "Again."}],
                "add_generation_prompt": False})
    out.append({"messages": [{"role": "user", "content": "Hm"}, {"role": "assistant", "content": "Ok", "thinking": "short thought"}], "add_generation_prompt": False})
    # null fields are dropped before the template sees them
    out.append({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "tool_calls": None}], "add_generation_prompt": False})
    # content as a list of parts (Gemma 3 reads parts; others print or reject them)
    out.append({"messages": [{"role": "user", "content": [{"type": "text", "text": "  Describe this.  "}]}]})
    out.append({"messages": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}, {"role": "user", "content": [{"type": "text", "text": "Part one. "}, {"type": "text", "text": "Part two."}]}]})
    # tools, tool calls, tool responses
    out.append({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [WEATHER]})
    out.append({"messages": [{"role": "system", "content": "You can call tools."}, {"role": "user", "content": "Search cats"}], "tools": [WEATHER, SEARCH]})
    call = {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]}
    out.append({"messages": [{"role": "user", "content": "Weather in Paris?"}, call, {"role": "tool", "content": "{\"temperature\": 21.5}"}], "tools": [WEATHER]})
    out.append({"messages": [{"role": "user", "content": "Odd arguments"},
                             {"role": "assistant", "content": "Calling.", "tool_calls": [{"type": "function", "function": {"name": "search", "arguments": ODD_ARGS}}]},
                             {"role": "tool", "content": "result one"}, {"role": "tool", "content": "result two"},
                             {"role": "assistant", "content": "Done."}, {"role": "user", "content": "Thanks"}], "tools": [SEARCH]})
    out.append({"messages": [{"role": "user", "content": "String arguments"},
                             {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "search", "arguments": "{\"query\": \"x\"}"}}]},
                             {"role": "tool", "content": "<tool_response>nested</tool_response>"}], "tools": [SEARCH]})
    out.append({"messages": [{"role": "user", "content": "Tools but none used"}, {"role": "assistant", "content": "Fine."}], "tools": [WEATHER], "add_generation_prompt": False})
    # template variables
    out.append({"messages": [{"role": "user", "content": "What day is it?"}], "date_string": "01 Dec 2026"})
    out.append({"messages": [{"role": "user", "content": "Weather?"}], "tools": [WEATHER], "tools_in_user_message": False, "date_string": "02 Jan 2025"})
    out.append({"messages": [{"role": "user", "content": "Custom tools"}], "custom_tools": [SEARCH], "date_string": "03 Feb 2024"})
    # roles that do not alternate (Gemma 3 raises, as transformers does)
    out.append({"messages": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]})
    out.append({"messages": [{"role": "assistant", "content": "I speak first"}, {"role": "user", "content": "ok"}]})
    # a system message alone
    out.append({"messages": [{"role": "system", "content": "Only a system prompt."}]})
    return out
