"""Tokenizers trained here with HF `tokenizers` on the test corpus, so that every model,
normalizer, pre-tokenizer, post-processor and decoder kind cactus reads is held to HF's ids:
each returns (name, tokenizers.Tokenizer)."""
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers


def train(tok, trainer, texts):
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def synthetic(texts):
    out = []
    # BERT-style WordPiece: BertNormalizer, BertPreTokenizer, BertProcessing, WordPiece decoder
    t = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=30))
    t.normalizer = normalizers.BertNormalizer(lowercase=True)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.decoder = decoders.WordPiece()
    train(t, trainers.WordPieceTrainer(vocab_size=600, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]), texts)
    t.post_processor = processors.BertProcessing(("[SEP]", t.token_to_id("[SEP]")), ("[CLS]", t.token_to_id("[CLS]")))
    out.append(("wordpiece_bert", t))
    # WordPiece with NFD + StripAccents + Lowercase, Whitespace, Digits, TemplateProcessing
    t = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    t.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()])
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)])
    t.decoder = decoders.WordPiece(cleanup=False)
    train(t, trainers.WordPieceTrainer(vocab_size=500, special_tokens=["[UNK]", "<s>", "</s>"]), texts)
    t.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])
    out.append(("wordpiece_nfd_digits", t))
    # SentencePiece-style Unigram: NFKC, Replace, Metaspace, byte fallback
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s{2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    t.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    train(t, trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<unk>", "<s>"], unk_token="<unk>"), texts)
    out.append(("unigram_metaspace", t))
    # Unigram with Lowercase + Strip, WhitespaceSplit + Punctuation, no decoder
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Strip()])
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(behavior="isolated")])
    train(t, trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<unk>"], unk_token="<unk>"), texts)
    out.append(("unigram_punct", t))
    # GPT-2-style BPE: ByteLevel with its regex and a prefix space, ByteLevel decoder
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    t.decoder = decoders.ByteLevel()
    train(t, trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()), texts)
    out.append(("bpe_gpt2", t))
    # BPE with a continuing-subword prefix and end-of-word suffix, NFKD + Prepend, Split behaviours
    t = Tokenizer(models.BPE(unk_token="<unk>", continuing_subword_prefix="##", end_of_word_suffix="</w>", fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Prepend(">")])
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\s+"), behavior="removed"),
        pre_tokenizers.Split(Regex(r"[0-9]+"), behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[,.;:]"), behavior="merged_with_next"),
        pre_tokenizers.Split("-", behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"[aeiou]+"), behavior="isolated", invert=True)])
    t.decoder = decoders.BPEDecoder(suffix="</w>")
    train(t, trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"], continuing_subword_prefix="##", end_of_word_suffix="</w>",
                                 limit_alphabet=120), texts)
    out.append(("bpe_suffix_splits", t))
    # BPE with byte fallback and NFC, Replace normalizer, ByteFallback + Fuse + Strip decoders
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    t.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(" ", "\u2581")])
    t.pre_tokenizer = pre_tokenizers.Split("\u2581", behavior="merged_with_next")
    t.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    train(t, trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"] + [f"<0x{b:02X}>" for b in range(256)], limit_alphabet=100), texts)
    out.append(("bpe_byte_fallback", t))
    return out
