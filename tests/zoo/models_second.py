"""The second zoo: twelve architectures no other test names, written the way their authors write
them (plain nn.Module code: no cactus-specific spelling), with seeded random weights. They span
vision (transposed convs, upsampling, group norm, squeeze-excite, depthwise convs, patch
embeddings), sequence (GRU, RNN, encoder-decoder attention, dilated causal convs) and routing
(top-k experts with gather / scatter, argmax dispatch, index-based message passing).
run_zoo.py --zoo second runs them like the first zoo (tests/zoo/models.py)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- vision ------------------------------------------------------------------------------------
class UNet(nn.Module):
    """U-Net (Ronneberger et al.): a conv encoder, transposed-conv upsampling and skip concats."""

    def __init__(self, c=8):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.enc1, self.enc2, self.mid = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = block(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = block(2 * c, c)
        self.head = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


class FPNSegmenter(nn.Module):
    """A feature-pyramid segmentation head: GroupNorm convs, bilinear upsampling of coarse maps."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, stride=2, padding=1), nn.GroupNorm(4, c), nn.SiLU())
        self.c3 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.GroupNorm(8, 2 * c), nn.SiLU())
        self.c4 = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.GroupNorm(8, 4 * c), nn.SiLU())
        self.lat3, self.lat4 = nn.Conv2d(2 * c, c, 1), nn.Conv2d(4 * c, c, 1)
        self.smooth = nn.Conv2d(c, c, 3, padding=1)
        self.cls = nn.Conv2d(c, 5, 1)

    def forward(self, x):
        s2 = self.stem(x)
        s3 = self.c3(s2)
        s4 = self.c4(s3)
        p4 = self.lat4(s4)
        p3 = self.lat3(s3) + F.interpolate(p4, size=s3.shape[-2:], mode="nearest")
        p2 = s2 + F.interpolate(p3, scale_factor=2, mode="bilinear", align_corners=False)
        logits = self.cls(F.relu(self.smooth(p2)))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


class SEBlock(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, c // r), nn.Linear(c // r, c)

    def forward(self, x):
        s = x.mean(dim=(2, 3))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s[:, :, None, None]


class SEResNet(nn.Module):
    """Squeeze-and-excitation residual blocks (Hu et al.)."""

    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.blocks = nn.ModuleList()
        for _ in range(2):
            self.blocks.append(nn.ModuleDict({
                "conv1": nn.Conv2d(c, c, 3, padding=1, bias=False), "bn1": nn.BatchNorm2d(c),
                "conv2": nn.Conv2d(c, c, 3, padding=1, bias=False), "bn2": nn.BatchNorm2d(c), "se": SEBlock(c)}))
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            y = F.relu(b["bn1"](b["conv1"](x)))
            y = b["se"](b["bn2"](b["conv2"](y)))
            x = F.relu(x + y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DCGANGenerator(nn.Module):
    """DCGAN's generator (Radford et al.): a latent vector up to an image by transposed convs."""

    def __init__(self, nz=16, ngf=8):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class ConvNeXtBlockNet(nn.Module):
    """ConvNeXt blocks (Liu et al.): 7x7 depthwise conv, channels-last LayerNorm, GELU MLP, layer scale."""

    def __init__(self, dim=16):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 4, stride=4)
        self.blocks = nn.ModuleList()
        for _ in range(2):
            self.blocks.append(nn.ModuleDict({"dw": nn.Conv2d(dim, dim, 7, padding=3, groups=dim), "norm": nn.LayerNorm(dim, eps=1e-6),
                                              "pw1": nn.Linear(dim, 4 * dim), "pw2": nn.Linear(4 * dim, dim)}))
        self.gammas = nn.ParameterList([nn.Parameter(0.5 * torch.ones(dim)) for _ in range(2)])
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.stem(x)
        for b, gamma in zip(self.blocks, self.gammas):
            y = b["dw"](x).permute(0, 2, 3, 1)
            y = b["pw2"](F.gelu(b["pw1"](b["norm"](y))))
            x = x + (gamma * y).permute(0, 3, 1, 2)
        return self.head(x.mean([-2, -1]))


class TinyViT(nn.Module):
    """A Vision Transformer (Dosovitskiy et al.): patch embedding, class token, learned positions,
    nn.TransformerEncoder (pre-norm, GELU)."""

    def __init__(self, img=16, patch=4, dim=32, depth=2, heads=4):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.encoder(x))[:, 0])


# ---- sequence ----------------------------------------------------------------------------------
class GRUSeq2Seq(nn.Module):
    """A GRU encoder-decoder with Luong (dot) attention, decoded with teacher forcing."""

    def __init__(self, vocab=50, emb=16, hidden=24):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, emb), nn.Embedding(vocab, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRU(emb, hidden, batch_first=True)
        self.attn_proj = nn.Linear(2 * hidden, hidden, bias=False)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, src, tgt):
        enc, h = self.encoder(self.src_emb(src))
        h0 = torch.tanh(self.bridge(torch.cat([h[0], h[1]], dim=-1))).unsqueeze(0)
        dec, _ = self.decoder(self.tgt_emb(tgt), h0)
        keys = self.attn_proj(enc)
        weights = torch.softmax(torch.bmm(dec, keys.transpose(1, 2)), dim=-1)
        context = torch.bmm(weights, keys)
        return self.out(torch.cat([dec, context], dim=-1))


class CharRNN(nn.Module):
    """Karpathy's char-rnn shape: embedding, a two-layer Elman RNN, a softmax over characters."""

    def __init__(self, vocab=64, hidden=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.rnn = nn.RNN(hidden, hidden, num_layers=2, batch_first=True, nonlinearity="tanh")
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids):
        out, h = self.rnn(self.emb(ids))
        return F.log_softmax(self.fc(out), dim=-1), h


class Seq2SeqTransformer(nn.Module):
    """nn.Transformer (Vaswani et al.): encoder-decoder with a causal target mask, sinusoidal positions."""

    def __init__(self, vocab=40, d=32, heads=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.transformer = nn.Transformer(d, heads, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=48, dropout=0.0,
                                          batch_first=True)
        self.generator = nn.Linear(d, vocab)
        pe = torch.zeros(64, d)
        pos = torch.arange(64).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)
        self.scale = math.sqrt(d)

    def forward(self, src, tgt):
        s = self.emb(src) * self.scale + self.pe[: src.shape[1]]
        t = self.emb(tgt) * self.scale + self.pe[: tgt.shape[1]]
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.generator(self.transformer(s, t, tgt_mask=mask, tgt_is_causal=True))


class WaveNetTCN(nn.Module):
    """WaveNet-style dilated causal convolutions (van den Oord et al.): left padding, gated
    tanh * sigmoid units, residual and skip connections."""

    def __init__(self, channels=16, layers=4):
        super().__init__()
        self.inp = nn.Conv1d(1, channels, 1)
        self.filters = nn.ModuleList(nn.Conv1d(channels, channels, 2, dilation=2 ** i) for i in range(layers))
        self.gates = nn.ModuleList(nn.Conv1d(channels, channels, 2, dilation=2 ** i) for i in range(layers))
        self.res = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in range(layers))
        self.skip = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in range(layers))
        self.out = nn.Conv1d(channels, 8, 1)

    def forward(self, x):
        x = self.inp(x)
        skips = 0
        for i, (f, g, r, s) in enumerate(zip(self.filters, self.gates, self.res, self.skip)):
            padded = F.pad(x, (2 ** i, 0))
            z = torch.tanh(f(padded)) * torch.sigmoid(g(padded))
            skips = skips + s(z)
            x = x + r(z)
        return self.out(F.relu(skips))


# ---- routing -----------------------------------------------------------------------------------
class TopKMoE(nn.Module):
    """A sparse mixture of experts (Shazeer et al.): a router picks the top-k experts per token,
    the tokens' outputs are gathered from every expert by index and their gates, and summed back
    with scatter_add."""

    def __init__(self, dim=16, experts=4, k=2, hidden=24):
        super().__init__()
        self.k = k
        self.router = nn.Linear(dim, experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(experts, dim, hidden) * 0.2)
        self.w2 = nn.Parameter(torch.randn(experts, hidden, dim) * 0.2)

    def forward(self, x):  # x [batch, seq, dim]
        tokens = x.reshape(-1, x.shape[-1])
        probs = torch.softmax(self.router(tokens), dim=-1)
        gate, idx = torch.topk(probs, self.k, dim=-1)
        gate = gate / gate.sum(dim=-1, keepdim=True)
        hidden = torch.einsum("td,edh->teh", tokens, self.w1)
        expert_out = torch.einsum("teh,ehd->ted", F.silu(hidden), self.w2)  # every expert, every token
        picked = torch.gather(expert_out, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        y = (picked * gate.unsqueeze(-1)).sum(dim=1)
        load = torch.zeros(probs.shape[-1], dtype=probs.dtype).scatter_add(0, idx.reshape(-1), gate.reshape(-1))
        return y.reshape(x.shape), load


class SwitchRouter(nn.Module):
    """Switch-Transformer routing (Fedus et al.): argmax expert per token, its probability as the
    gate, the expert weights picked by advanced indexing."""

    def __init__(self, dim=16, experts=4):
        super().__init__()
        self.router = nn.Linear(dim, experts)
        self.experts_w = nn.Parameter(torch.randn(experts, dim, dim) * 0.2)
        self.experts_b = nn.Parameter(torch.randn(experts, dim) * 0.1)

    def forward(self, x):  # x [tokens, dim]
        probs = torch.softmax(self.router(x), dim=-1)
        gate, expert = probs.max(dim=-1)
        w = self.experts_w[expert]                       # [tokens, dim, dim]
        y = torch.bmm(x.unsqueeze(1), w).squeeze(1) + self.experts_b[expert]
        counts = F.one_hot(expert, probs.shape[-1]).sum(dim=0)
        return y * gate.unsqueeze(-1), counts


class GraphConv(nn.Module):
    """Message passing on a graph given as an edge list (Kipf & Welling's GCN, written PyG-style):
    messages gathered with index_select, summed per node with index_add, degree-normalized."""

    def __init__(self, dim=8, hidden=16):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(dim, hidden), nn.Linear(hidden, 4)

    def propagate(self, h, src, dst):
        deg = torch.zeros(h.shape[0], dtype=h.dtype).index_add(0, dst, torch.ones_like(dst, dtype=h.dtype)) + 1.0
        norm = deg.rsqrt()
        msg = h.index_select(0, src) * (norm[src] * norm[dst]).unsqueeze(-1)
        return torch.zeros_like(h).index_add(0, dst, msg) + h / deg.unsqueeze(-1)

    def forward(self, x, edges):  # x [nodes, dim]; edges [2, E] int64
        src, dst = edges[0], edges[1]
        h = F.relu(self.propagate(self.lin1(x), src, dst))
        return self.lin2(self.propagate(h, src, dst))


def zoo():
    g = torch.Generator().manual_seed(2)
    ids = lambda b, t, v: torch.randint(0, v, (b, t), generator=g)  # noqa: E731
    rn = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    edges = lambda n, e: torch.randint(0, n, (2, e), generator=g)  # noqa: E731
    return {
        "unet": (UNet, [(rn(2, 3, 16, 16),), (rn(3, 3, 24, 32),)]),
        "fpn_segmenter": (FPNSegmenter, [(rn(2, 3, 32, 32),), (rn(3, 3, 32, 48),)]),
        "se_resnet": (SEResNet, [(rn(2, 3, 16, 16),), (rn(3, 3, 12, 20),)]),
        "dcgan_generator": (DCGANGenerator, [(rn(2, 16, 1, 1),), (rn(5, 16, 1, 1),)]),
        "convnext": (ConvNeXtBlockNet, [(rn(2, 3, 32, 32),), (rn(3, 3, 16, 24),)]),
        "vit": (TinyViT, [(rn(2, 3, 16, 16),), (rn(3, 3, 16, 16),)]),
        "gru_seq2seq": (GRUSeq2Seq, [(ids(2, 7, 50), ids(2, 5, 50)), (ids(3, 7, 50), ids(3, 5, 50))]),
        "char_rnn": (CharRNN, [(ids(2, 12, 64),), (ids(3, 12, 64),)]),
        "seq2seq_transformer": (Seq2SeqTransformer, [(ids(2, 9, 40), ids(2, 6, 40)), (ids(3, 12, 40), ids(3, 4, 40))]),
        "wavenet_tcn": (WaveNetTCN, [(rn(2, 1, 40),), (rn(1, 1, 25),)]),
        "topk_moe": (TopKMoE, [(rn(2, 6, 16),), (rn(1, 9, 16),)]),
        "switch_router": (SwitchRouter, [(rn(10, 16),), (rn(7, 16),)]),
        "graph_conv": (GraphConv, [(rn(6, 8), edges(6, 14)), (rn(9, 8), edges(9, 20))]),
    }
