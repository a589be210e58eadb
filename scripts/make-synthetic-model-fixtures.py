#!/usr/bin/env python3
"""Writes tiny random GGUF models that exercise the transformer paths SmolLM2 does not (Qwen 2:
NeoX RoPE, Q/K/V biases, a separate output matrix; Llama: a SentencePiece vocabulary, Llama 3
rope frequency factors), and records what llama.cpp computes for them, as test fixtures:

    Tests/LocalLMTests/Fixtures/tiny-qwen2.gguf, tiny-llama-spm.gguf, synthetic-llamacpp.json

The files are written with the `gguf` package's writer and evaluated with llama-cpp-python, both
independent of this project's reader and engine. Run once, in a throwaway environment:

    python3 -m venv /tmp/llama-venv && /tmp/llama-venv/bin/pip install llama-cpp-python==0.3.36 gguf==0.19.0 numpy
    /tmp/llama-venv/bin/python scripts/make-synthetic-model-fixtures.py
"""
import json
import pathlib

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/LocalLMTests/Fixtures"
rng = np.random.default_rng(7)


def byte_tokens():
    # GPT-2's printable mapping of the 256 bytes.
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, (chr(c) for c in cs)))
    return [table[b] for b in range(256)]


def add_matrix(w, name, rows, cols, qtype, scale=None):
    scale = scale if scale is not None else 1 / np.sqrt(cols)
    data = (rng.standard_normal((rows, cols)) * scale).astype(np.float32)
    if qtype == Q.F32:
        w.add_tensor(name, data)
    elif qtype == Q.F16:
        w.add_tensor(name, data.astype(np.float16))
    else:
        w.add_tensor(name, quantize(data, qtype), raw_dtype=qtype)


def add_vector(w, name, n, around=1.0, spread=0.1):
    w.add_tensor(name, (around + rng.standard_normal(n) * spread).astype(np.float32))


def write_model(path, arch, *, vocab, merges, types, scores, tokenizer, pre, width, heads, kv_heads, ffn, layers,
                rope_base, biases, separate_output, qtypes, rope_freqs=False, bos=None, eos=None, add_bos=False):
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(f"tiny-{arch}")
    w.add_block_count(layers)
    w.add_context_length(256)
    w.add_embedding_length(width)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(rope_base)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_dimension_count(width // heads)
    w.add_vocab_size(len(vocab))
    w.add_tokenizer_model(tokenizer)
    if pre:
        w.add_tokenizer_pre(pre)
    w.add_token_list(vocab)
    w.add_token_types(types)
    if scores is not None:
        w.add_token_scores(scores)
    if merges:
        w.add_token_merges(merges)
    if bos is not None:
        w.add_bos_token_id(bos)
    if eos is not None:
        w.add_eos_token_id(eos)
    w.add_add_bos_token(add_bos)
    head = width // heads
    add_matrix(w, "token_embd.weight", len(vocab), width, qtypes["embd"], scale=1.0)
    add_vector(w, "output_norm.weight", width)
    if separate_output:
        add_matrix(w, "output.weight", len(vocab), width, qtypes["out"])
    if rope_freqs:
        w.add_tensor("rope_freqs.weight", np.linspace(1, 8, head // 2).astype(np.float32))
    for i in range(layers):
        p = f"blk.{i}."
        add_vector(w, p + "attn_norm.weight", width)
        add_matrix(w, p + "attn_q.weight", width, width, qtypes["q"])
        add_matrix(w, p + "attn_k.weight", kv_heads * head, width, qtypes["k"])
        add_matrix(w, p + "attn_v.weight", kv_heads * head, width, qtypes["v"])
        add_matrix(w, p + "attn_output.weight", width, width, qtypes["o"])
        if biases:
            add_vector(w, p + "attn_q.bias", width, 0, 0.2)
            add_vector(w, p + "attn_k.bias", kv_heads * head, 0, 0.2)
            add_vector(w, p + "attn_v.bias", kv_heads * head, 0, 0.2)
        add_vector(w, p + "ffn_norm.weight", width)
        add_matrix(w, p + "ffn_gate.weight", ffn, width, qtypes["gate"])
        add_matrix(w, p + "ffn_up.weight", ffn, width, qtypes["up"])
        add_matrix(w, p + "ffn_down.weight", width, ffn, qtypes["down"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def qwen2_vocab():
    bytes_ = byte_tokens()
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s", "Ġ m", "a r", "Ġm ar", "k e", "Ġmar ke", "t s", "Ġmarke ts", "r i", "s e"]
    vocab = bytes_[:]
    for m in merges:
        vocab.append(m.replace(" ", ""))
    vocab += ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [1] * (len(vocab) - 3) + [3, 3, 3]
    return vocab, merges, types


def spm_vocab():
    pieces = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    pieces += [(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    words = ["▁", "a", "e", "i", "o", "s", "t", "r", "n", "m", "k", "▁the", "▁market", "▁rise", "▁s", "▁t", "ar", "ke", "et",
             "th", "he", "ri", "is", "se", "▁ma", "mar", "rk", "ket", "▁mar", "▁m", "▁r"]
    pieces += [(wd, -float(i + 1) / 10, 1) for i, wd in enumerate(words)]
    return pieces


def main():
    import llama_cpp
    from llama_cpp import Llama

    FIXTURES.mkdir(parents=True, exist_ok=True)
    vocab, merges, types = qwen2_vocab()
    qwen = FIXTURES / "tiny-qwen2.gguf"
    write_model(qwen, "qwen2", vocab=vocab, merges=merges, types=types, scores=None, tokenizer="gpt2", pre="qwen2",
                width=64, heads=4, kv_heads=2, ffn=96, layers=2, rope_base=1000000.0, biases=True, separate_output=True,
                qtypes={"embd": Q.Q8_0, "out": Q.F16, "q": Q.Q5_0, "k": Q.Q5_1, "v": Q.Q4_0, "o": Q.BF16, "gate": Q.Q4_1, "up": Q.Q8_0, "down": Q.F32},
                bos=len(vocab) - 3, eos=len(vocab) - 1)
    pieces = spm_vocab()
    llama = FIXTURES / "tiny-llama-spm.gguf"
    write_model(llama, "llama", vocab=[p[0] for p in pieces], merges=None, types=[p[2] for p in pieces],
                scores=[p[1] for p in pieces], tokenizer="llama", pre=None, width=64, heads=4, kv_heads=4, ffn=128, layers=2,
                rope_base=10000.0, biases=False, separate_output=False, rope_freqs=True,
                qtypes={"embd": Q.F16, "q": Q.F32, "k": Q.F16, "v": Q.Q8_0, "o": Q.Q4_0, "gate": Q.Q5_0, "up": Q.Q5_1, "down": Q.BF16},
                bos=1, eos=2, add_bos=True)

    cases = []
    for path, texts in [(qwen, ["the markets rise", "<|im_start|>user\nthe market<|im_end|>"]),
                        (llama, ["the market rise", "is the market set to rise"])]:
        llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, logits_all=True, verbose=False)
        tokenizations = [{"text": t, "special": s, "token_ids": llm.tokenize(t.encode(), add_bos=True, special=s)}
                         for t in texts for s in (False, True)]
        prompt = llm.tokenize(texts[0].encode(), add_bos=True, special=False)
        llm.reset()
        llm.eval(prompt)
        logits = np.array(llm.scores[len(prompt) - 1], dtype=np.float32)
        # Greedy with end-of-generation tokens masked (the engine's ignore-EOS mode).
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        eog = [i for i in range(len(logits)) if llama_cpp.llama_vocab_is_eog(vocab, i)]
        def pick(scores):
            scores = np.array(scores, dtype=np.float32)
            scores[eog] = -np.inf
            return int(np.argmax(scores))
        greedy = []
        token = pick(logits)
        for _ in range(8):
            greedy.append(token)
            llm.eval([token])
            token = pick(llm.scores[llm.n_tokens - 1])
        cases.append({
            "file": path.name,
            "tokenizations": tokenizations,
            "prompt_token_ids": prompt,
            "last_logits": [float(x) for x in logits],
            "greedy_token_ids": greedy,
        })
        del llm
    (FIXTURES / "synthetic-llamacpp.json").write_text(json.dumps({
        "generator": "scripts/make-synthetic-model-fixtures.py: gguf writer + llama-cpp-python 0.3.36 (2 threads, n_ctx 256)",
        "cases": cases,
    }, indent=1) + "\n")
    print("wrote", qwen, llama)


if __name__ == "__main__":
    main()
