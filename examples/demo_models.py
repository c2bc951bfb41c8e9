"""Demo models for tools/demo.sh: writes state_dicts and inputs (the demo transpiles the
classes themselves, tests/zoo/models.py:TextClassifier and :GPTBlock); with --compare, prints
PyTorch's outputs next to cactus's."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "zoo"))
from models import GPTBlock, TextClassifier  # noqa: E402

w = sys.argv[1]
torch.manual_seed(0)
clf, lm = TextClassifier().eval(), GPTBlock().eval()
ids = torch.randint(0, 32000, (2, 16), generator=torch.Generator().manual_seed(1))
prompt = torch.tensor([[1, 17, 42, 7, 99, 3]])
if "--compare" not in sys.argv:
    torch.save(clf.state_dict(), f"{w}/classifier.pt")
    np.save(f"{w}/classifier_ids.npy", ids.numpy())
    torch.save(lm.state_dict(), f"{w}/lm.pt")
    np.save(f"{w}/lm_ids.npy", prompt.numpy())
    open(f"{w}/lm_ids.txt", "w").write(",".join(map(str, prompt[0].tolist())))
elif sys.argv[-1].startswith("classifier"):
    ref = clf(ids).detach().numpy()
    out = "classifier-cq4-out" if sys.argv[-1] == "classifier-cq4" else "classifier-out"
    got = np.load(f"{w}/{out}/output_0.npy")
    print("pytorch logits:", np.array2string(ref, precision=5))
    print("cactus  logits:", np.array2string(got, precision=5))
    cos = float((ref * got).sum() / (np.linalg.norm(ref) * np.linalg.norm(got)))
    print(f"max |difference| = {np.abs(ref - got).max():.3g}, cosine {cos:.5f}, same argmax: {bool((ref.argmax(-1) == got.argmax(-1)).all())}")
else:
    seq = prompt
    with torch.no_grad():
        for _ in range(8):
            seq = torch.cat([seq, lm(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
    ref = seq[0, prompt.shape[1]:].tolist()
    got = json.load(open(f"{w}/lm-result.json"))["generated_ids"]
    print("pytorch greedy ids:", ref)
    print("cactus  greedy ids:", got, "(fp16 weights)", "match" if ref == got else "DIFFER")
