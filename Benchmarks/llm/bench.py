#!/usr/bin/env python3
"""Single-stream speed of `desk model generate` against llama.cpp on the same GGUF, same prompt.

Run through Benchmarks/llm/run.sh, which builds the release binary, pulls the model and installs
llama-cpp-python into Benchmarks/.cache/llm-venv. Prints prefill and decode tokens/s of each.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

PARAGRAPH = ("Markets opened lower on Monday as investors weighed the latest inflation figures, "
             "central bank commentary and a heavy calendar of corporate earnings. Technology shares "
             "led the decline while utilities and consumer staples held up better. ")


def prompt_text(desk, model, target_tokens):
    text = ""
    while True:
        text += PARAGRAPH
        ids = subprocess.run([desk, "model", "tokenize", "--model", model, text], check=True,
                             capture_output=True, text=True).stdout.split()
        if len(ids) >= target_tokens:
            return text, len(ids)


def run_desk(desk, model, text, decode_tokens):
    out = subprocess.run([desk, "model", "generate", "--model", model, "--raw", "--temperature", "0",
                          "--max-tokens", str(decode_tokens), "--ignore-eos", "--timings", text],
                         check=True, capture_output=True, text=True, env={**os.environ, "TRADINGDESK_THREADS": "1"})
    m = re.search(r"prompt (\d+) tokens in ([\d.]+) s \(([\d.]+) tok/s\); generated (\d+) tokens \(([\d.]+) tok/s\)", out.stderr)
    if not m:
        sys.exit(f"unexpected output from desk: {out.stderr}")
    return float(m.group(3)), float(m.group(5))


def run_llama(model, text, decode_tokens, threads):
    import numpy as np
    import llama_cpp
    from llama_cpp import Llama
    llm = Llama(model_path=model, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    n_vocab = llm.n_vocab()

    def last_argmax():
        return int(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,)).argmax())

    tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    prefill = len(tokens) / (time.perf_counter() - t0)
    token = last_argmax()
    t0 = time.perf_counter()
    for _ in range(decode_tokens - 1):
        llm.eval([token])
        token = last_argmax()
    decode = (decode_tokens - 1) / (time.perf_counter() - t0)
    return prefill, decode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--desk", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-tokens", type=int, default=709)
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    text, n = prompt_text(args.desk, args.model, args.prompt_tokens)
    # Runs interleave the engines, so a change in the machine's load touches all of them alike.
    desk, llama1, llama2 = [], [], []
    for _ in range(args.runs):
        desk.append(run_desk(args.desk, args.model, text, args.decode_tokens))
        llama1.append(run_llama(args.model, text, args.decode_tokens, 1))
        llama2.append(run_llama(args.model, text, args.decode_tokens, 2))
    rows = [("desk (LocalLM, 1 thread)", desk),
            ("llama.cpp (llama-cpp-python 0.3.36, 1 thread)", llama1),
            ("llama.cpp (llama-cpp-python 0.3.36, 2 threads)", llama2)]
    print(f"prompt {n} tokens, then {args.decode_tokens} greedy tokens; median of {args.runs} runs")
    print(f"| engine | prefill tok/s | decode tok/s |")
    print(f"|---|---:|---:|")
    for name, runs in rows:
        print(f"| {name} | {statistics.median(r[0] for r in runs):.1f} | {statistics.median(r[1] for r in runs):.1f} |")


if __name__ == "__main__":
    main()
