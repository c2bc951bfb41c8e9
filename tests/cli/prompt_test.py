"""`cactus run --raw-prompt` and `--prompt`: a causal LM bundle with a tokenizer.json tokenizes the
prompt as HF tokenizers does (with --prompt, after applying the bundle's chat template as
transformers' apply_chat_template does), generates greedily, and prints the same text PyTorch +
HF give.

usage: .venv/bin/python prompt_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "zoo"))
sys.path.insert(0, os.path.join(HERE, "..", "tokenizer"))
from corpus import corpus  # noqa: E402
from models import GPTBlock  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
run = lambda *a: subprocess.run([cactus, *a], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


# a byte-level BPE tokenizer whose vocabulary fits the model's 512 embeddings, BOS added by its template
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.train_from_iterator(corpus([]), trainer=trainers.BpeTrainer(vocab_size=500, special_tokens=["<bos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", tok.token_to_id("<bos>"))])
torch.manual_seed(0)
lm = GPTBlock().eval()
torch.save(lm.state_dict(), os.path.join(work, "lm.pt"))
w = os.path.join(work, "w")


def greedy(prompt_ids, n):
    """PyTorch's greedy continuation of prompt_ids: the reference for cactus run --max-new-tokens"""
    seq = torch.tensor([prompt_ids])
    with torch.no_grad():
        for _ in range(n):
            seq = torch.cat([seq, lm(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return seq[0, len(prompt_ids):].tolist()


run("convert", os.path.join(work, "lm.pt"), w, "--bits", "32")
tok.save(os.path.join(w, "tokenizer.json"))
prompt = "Hello, world! Tokens, then text: 日本語 😀"
ids = tok.encode(prompt).ids
np.save(os.path.join(work, "ids.npy"), np.array([ids], np.int64))
run("transpile", os.path.join(HERE, "..", "zoo", "models.py") + ":GPTBlock", "--weights-dir", w, "--example-input", os.path.join(work, "ids.npy"), "--quiet")
res = os.path.join(work, "result.json")
out = run("run", w, "--raw-prompt", prompt, "--max-new-tokens", "12", "--result-json", res)
ref_ids = greedy(ids, 12)
r = json.load(open(res))
check("generated ids equal PyTorch's greedy ids", r["generated_ids"] == ref_ids, f"{r['generated_ids']} vs {ref_ids}")
check("generated text equals HF's decode of them", r["generated_text"] == tok.decode(ref_ids), repr(r["generated_text"]))
check("the text is printed", tok.decode(ref_ids).strip() in out, repr(out[:200]))
p = subprocess.run([cactus, "run", w, "--prompt", "hi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--prompt without a chat template: an error pointing at --raw-prompt", p.returncode == 1 and "no chat template" in p.stdout and "--raw-prompt" in p.stdout, p.stdout.strip())

# --prompt with the bundle's chat template, against transformers' apply_chat_template
from transformers import AutoTokenizer  # noqa: E402
template = ("{{ bos_token }}{% for m in messages %}{{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}"
            "{% if add_generation_prompt %}ASSISTANT{% if terse is defined and terse %} (terse){% endif %}:{% endif %}")
with open(os.path.join(w, "tokenizer_config.json"), "w") as f:
    json.dump({"bos_token": "<bos>", "chat_template": template, "tokenizer_class": "PreTrainedTokenizerFast"}, f)
hf = AutoTokenizer.from_pretrained(w)
msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "  Hi there 😀 "}]
chat_ids = hf.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, return_dict=True, terse=True)["input_ids"]
out = run("run", w, "--system", "Be brief.", "--prompt", "  Hi there 😀 ", "--chat-var", "terse=true", "--max-new-tokens", "6", "--result-json", res)
ref_ids = greedy(chat_ids, 6)
r = json.load(open(res))
check("--prompt: generated ids equal PyTorch's from apply_chat_template's ids", r["generated_ids"] == ref_ids, f"{r['generated_ids']} vs {ref_ids}")
check("--prompt: the text is printed", tok.decode(ref_ids).strip() in out, repr(out[:200]))
p = subprocess.run([cactus, "run", w, "--prompt", "hi", "--raw-prompt", "hi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--prompt with --raw-prompt: an error", p.returncode == 1 and "give one of them" in p.stdout, p.stdout.strip())
p = subprocess.run([cactus, "run", w, "--chat-var", "a=1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--chat-var without --prompt: an error", p.returncode == 1 and "go with --prompt" in p.stdout, p.stdout.strip())
os.remove(os.path.join(w, "tokenizer.json"))
p = subprocess.run([cactus, "run", w, "--raw-prompt", "hi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--raw-prompt without a tokenizer.json: error", p.returncode == 1 and "no tokenizer.json" in p.stdout, p.stdout.strip())
finish()
