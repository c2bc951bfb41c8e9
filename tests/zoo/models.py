"""The model zoo: real PyTorch architectures with seeded random weights.

Each entry returns (model, list of example-input tuples). The first tuple is used for capture;
the others (other batch sizes / lengths) check that the bundle re-plans and stays correct.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextClassifier(nn.Module):  # the seed's example
    def __init__(self, vocab_size=32000, embed_dim=256, num_classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.fc1 = nn.Linear(embed_dim, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, input_ids):
        x = self.embedding(input_ids)
        x = x.mean(dim=1)
        x = torch.nn.functional.relu(self.fc1(x))
        return self.fc2(x)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Dropout(0.1), nn.Linear(256, 256), nn.SiLU(),
                                 nn.Linear(256, 10))

    def forward(self, x):
        return F.log_softmax(self.net(x), dim=-1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        out = self.b2(self.c2(out))
        out += self.short(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.layers = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.pool(self.layers(self.stem(x))).flatten(1))


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()

        def dw(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU6(),
                                 nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6())
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6(), dw(16, 32, 1), dw(32, 64, 2),
                                 dw(64, 64, 1), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.net(x).view(x.size(0), -1))


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 32)
        self.lstm = nn.LSTM(32, 48, num_layers=2, batch_first=True)
        self.fc = nn.Linear(48, 5)

    def forward(self, ids):
        out, (h, c) = self.lstm(self.emb(ids))
        return self.fc(out[:, -1, :])


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True, dropout=0.1)

    def forward(self, x):
        return self.layer(x)


class GPTBlock(nn.Module):
    """A hand-written GPT-style causal LM: token + position embeddings, masked attention,
    layernorm, gelu MLP, tied output head."""

    def __init__(self, vocab=512, d=64, heads=4, layers=2, ctx=64):
        super().__init__()
        self.h, self.d = heads, d
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict(dict(ln1=nn.LayerNorm(d), qkv=nn.Linear(d, 3 * d), proj=nn.Linear(d, d),
                                                  ln2=nn.LayerNorm(d), fc=nn.Linear(d, 4 * d), out=nn.Linear(4 * d, d))))
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        B, T = ids.shape
        pos = torch.arange(T, device=ids.device).unsqueeze(0)
        x = self.tok(ids) + self.pos(pos)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        for b in self.blocks:
            q, k, v = b["qkv"](b["ln1"](x)).chunk(3, dim=-1)
            q = q.view(B, T, self.h, -1).transpose(1, 2)
            k = k.view(B, T, self.h, -1).transpose(1, 2)
            v = v.view(B, T, self.h, -1).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d // self.h)
            att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, self.d)
            x = x + b["proj"](y)
            x = x + b["out"](F.gelu(b["fc"](b["ln2"](x)), approximate="tanh"))
        return self.head(self.lnf(x))


class ConvPools(nn.Module):
    """Convolution and pooling geometry beyond the common nets: padded/ceil-mode/dilated max
    pooling, avg pooling without padded cells, strided + dilated depthwise conv, grouped and
    dilated conv, strided 1x1 conv, conv1d with padding."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=8)
        self.grp = nn.Conv2d(8, 12, (3, 2), padding=(1, 0), dilation=(2, 1), groups=2)
        self.pw = nn.Conv2d(12, 6, 1, stride=2)
        self.c1d = nn.Conv1d(6, 4, 5, padding=2, stride=2)

    def forward(self, x):
        x = F.max_pool2d(self.c0(x), 3, 2, 1)
        x = F.max_pool2d(torch.relu(self.dw(x)), 2, ceil_mode=True) + 0.1
        x = F.avg_pool2d(self.grp(x), 3, 1, 1, count_include_pad=False)
        x = F.max_pool2d(x, 3, 1, 1, dilation=2) if x.shape[-1] > 4 else x
        x = self.pw(x)
        return self.c1d(x.flatten(2))


def zoo():
    g = torch.Generator().manual_seed(1)
    ids = lambda b, t, v: torch.randint(0, v, (b, t), generator=g)
    rn = lambda *s: torch.randn(*s, generator=g)
    return {
        "text_classifier": (TextClassifier, [(ids(2, 16, 32000),), (ids(1, 7, 32000),), (ids(3, 30, 32000),)]),
        "mlp": (MLP, [(rn(4, 64),), (rn(1, 64),), (rn(7, 64),)]),
        "cnn": (CNN, [(rn(2, 3, 32, 32),), (rn(1, 3, 32, 32),)]),
        "resnet": (ResNet, [(rn(2, 3, 32, 32),), (rn(1, 3, 32, 32),)]),
        "mobilenet": (MobileNet, [(rn(2, 3, 32, 32),), (rn(1, 3, 48, 48),)]),
        "conv_pools": (ConvPools, [(rn(2, 3, 37, 29),), (rn(1, 3, 40, 40),)]),
        "lstm": (LSTMClassifier, [(ids(2, 12, 1000),), (ids(1, 5, 1000),)]),
        "transformer_encoder": (Encoder, [(rn(2, 10, 64),), (rn(1, 6, 64),)]),
        "gpt": (GPTBlock, [(ids(1, 16, 512),), (ids(2, 9, 512),), (ids(1, 40, 512),)]),
    }
