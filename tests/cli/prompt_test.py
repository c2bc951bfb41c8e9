"""`cactus run --raw-prompt`: a causal LM bundle with a tokenizer.json tokenizes the prompt as HF
tokenizers does, generates greedily, and prints the same text PyTorch + HF give.

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
run("convert", os.path.join(work, "lm.pt"), w, "--bits", "32")
tok.save(os.path.join(w, "tokenizer.json"))
prompt = "Hello, world! Tokens, then text: 日本語 😀"
ids = tok.encode(prompt).ids
np.save(os.path.join(work, "ids.npy"), np.array([ids], np.int64))
run("transpile", os.path.join(HERE, "..", "zoo", "models.py") + ":GPTBlock", "--weights-dir", w, "--example-input", os.path.join(work, "ids.npy"), "--quiet")
res = os.path.join(work, "result.json")
out = run("run", w, "--raw-prompt", prompt, "--max-new-tokens", "12", "--result-json", res)
seq = torch.tensor([ids])
with torch.no_grad():
    for _ in range(12):
        seq = torch.cat([seq, lm(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
ref_ids = seq[0, len(ids):].tolist()
r = json.load(open(res))
check("generated ids equal PyTorch's greedy ids", r["generated_ids"] == ref_ids, f"{r['generated_ids']} vs {ref_ids}")
check("generated text equals HF's decode of them", r["generated_text"] == tok.decode(ref_ids), repr(r["generated_text"]))
check("the text is printed", tok.decode(ref_ids).strip() in out, repr(out[:200]))
p = subprocess.run([cactus, "run", w, "--prompt", "hi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--prompt (chat templates) is refused with an error saying so", p.returncode == 1 and "chat templates are not supported yet" in p.stdout, p.stdout.strip())
os.remove(os.path.join(w, "tokenizer.json"))
p = subprocess.run([cactus, "run", w, "--raw-prompt", "hi"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("--raw-prompt without a tokenizer.json: error", p.returncode == 1 and "no tokenizer.json" in p.stdout, p.stdout.strip())
finish()
