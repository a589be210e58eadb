#!/usr/bin/env python3
"""`desk bench lm` beside llama.cpp (llama-cpp-python) on the same GGUF, tokens and thread count.

Run through Benchmarks/lm/run.sh. Each round runs `desk bench lm` (which picks the prompts and
prints them with its figures as JSON), then llama.cpp on exactly those token ids, each in its own
process (so peak memory is each engine's own). Rounds interleave the engines, so a change in the
machine's load touches both alike; the best figure of all rounds is reported.

`python bench_lm.py llama --spec file.json` is the llama.cpp half alone (used by the rounds).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def measure_llama(spec):
    import ctypes
    import numpy as np
    import llama_cpp as L
    from llama_cpp import Llama

    threads = spec["threads"]
    runs = spec["runs"]
    decode = spec["decode_tokens"]
    prompt, prefix, questions = spec["prompt"], spec["prefix"], spec["questions"]
    n_ctx = 2048
    llm = Llama(model_path=spec["model"], n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_threads=threads,
                n_threads_batch=threads, verbose=False)
    n_vocab = llm.n_vocab()

    def last_argmax():
        return int(np.ctypeslib.as_array(L.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,)).argmax())

    out = {"engine": "llama.cpp", "threads": threads}
    best = 0.0
    for _ in range(runs):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(prompt)
        last_argmax()
        best = max(best, len(prompt) / (time.perf_counter() - t0))
    out["prefillTokensPerSecond"] = best

    best = 0.0
    for _ in range(runs):
        llm.reset()
        llm.eval(prompt)
        token = last_argmax()
        t0 = time.perf_counter()
        for _ in range(decode - 1):
            llm.eval([token])
            token = last_argmax()
        best = max(best, (decode - 1) / (time.perf_counter() - t0))
    out["decodeTokensPerSecond"] = best

    # Concurrent requests: one context with a sequence per request, every step one llama_batch.
    concurrent = {}
    for n in spec["concurrency"]:
        per_seq = 256
        while per_seq < max(len(q) for q in questions[:n]) + decode + 16:
            per_seq *= 2
        params = L.llama_context_default_params()
        params.n_ctx = per_seq * n
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_seq_max = n
        params.n_threads = threads
        params.n_threads_batch = threads
        ctx = L.llama_init_from_model(llm._model.model, params)
        batch = L.llama_batch_init(512, 0, n)
        best = 0.0
        for _ in range(runs):
            L.llama_memory_clear(L.llama_get_memory(ctx), True)

            def step(rows):
                batch.n_tokens = len(rows)
                for i, (tok, pos, seq, want) in enumerate(rows):
                    batch.token[i] = tok
                    batch.pos[i] = pos
                    batch.n_seq_id[i] = 1
                    batch.seq_id[i][0] = seq
                    batch.logits[i] = 1 if want else 0
                if L.llama_decode(ctx, batch) != 0:
                    sys.exit("llama_decode failed")

            t0 = time.perf_counter()
            rows, lasts = [], []
            for s in range(n):
                q = questions[s]
                for j, tok in enumerate(q):
                    rows.append((tok, j, s, j == len(q) - 1))
                lasts.append(len(rows) - 1)
            step(rows)
            tokens = [int(np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,)).argmax()) for i in lasts]
            positions = [len(questions[s]) for s in range(n)]
            total = n
            for _ in range(decode - 1):
                step([(tokens[s], positions[s], s, True) for s in range(n)])
                tokens = [int(np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, s), shape=(n_vocab,)).argmax()) for s in range(n)]
                positions = [p + 1 for p in positions]
                total += n
            best = max(best, total / (time.perf_counter() - t0))
        concurrent[str(n)] = best
        L.llama_batch_free(batch)
        L.llama_free(ctx)
    out["concurrentTokensPerSecond"] = concurrent

    # Time to first token after a system prompt: cold (empty cache) and warm (the prefix's keys
    # and values kept from a previous prompt, as llama-cpp-python keeps a matching prefix).
    cold_best, warm_best = float("inf"), float("inf")
    q = 8
    for _ in range(runs):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(prefix + questions[q])
        last_argmax()
        cold_best = min(cold_best, time.perf_counter() - t0)
        llm.reset()
        llm.eval(prefix + questions[q + 1])
        llm.n_tokens = len(prefix)  # eval drops the cached positions after n_tokens
        t0 = time.perf_counter()
        llm.eval(questions[q + 2])
        last_argmax()
        warm_best = min(warm_best, time.perf_counter() - t0)
        q += 2
    out["coldTTFTSeconds"] = cold_best
    out["warmTTFTSeconds"] = warm_best
    out["peakRSSMegabytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "llama":
        ap = argparse.ArgumentParser()
        ap.add_argument("mode")
        ap.add_argument("--spec", required=True)
        args = ap.parse_args()
        with open(args.spec) as f:
            print(json.dumps(measure_llama(json.load(f))))
        return

    ap = argparse.ArgumentParser()
    ap.add_argument("--desk", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--decode-tokens", type=int, default=128)
    args = ap.parse_args()

    concurrency = [1, 4, 8]
    desk_runs, llama_runs = [], []
    for r in range(args.rounds):
        print(f"==> round {r + 1}/{args.rounds}: desk bench lm", file=sys.stderr)
        res = subprocess.run([args.desk, "bench", "lm", "--model", args.model, "--threads", str(args.threads),
                              "--runs", str(args.runs), "--decode-tokens", str(args.decode_tokens),
                              "--concurrency", *map(str, concurrency)],
                             check=True, capture_output=True, text=True)
        d = json.loads(res.stdout.strip().splitlines()[-1])
        desk_runs.append(d)
        spec = {"model": args.model, "threads": args.threads, "runs": args.runs, "decode_tokens": args.decode_tokens,
                "prompt": d["promptTokenIDs"], "prefix": d["prefixTokenIDs"], "questions": d["questionTokenIDs"],
                "concurrency": concurrency}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(spec, f)
        print(f"==> round {r + 1}/{args.rounds}: llama.cpp", file=sys.stderr)
        res = subprocess.run([sys.executable, __file__, "llama", "--spec", f.name], check=True, capture_output=True, text=True)
        os.unlink(f.name)
        llama_runs.append(json.loads(res.stdout.strip().splitlines()[-1]))

    def best(runs, key, sub=None, low=False):
        values = [(r[key][sub] if sub else r[key]) for r in runs]
        return min(values) if low else max(values)

    d0 = desk_runs[0]
    print(f"Model {os.path.basename(args.model)}, {args.threads} threads, prompt {len(d0['promptTokenIDs'])} tokens, "
          f"decode {args.decode_tokens} tokens, prefix {len(d0['prefixTokenIDs'])} tokens; best of {args.rounds} rounds × {args.runs} runs.\n")
    print("| figure | desk (LocalLM) | llama.cpp 0.3.36 | desk / llama.cpp |  (higher is better for tok/s, lower for ms and MB)")
    print("|---|---:|---:|---:|")
    rows = [("prefill tok/s", "prefillTokensPerSecond", None, False),
            ("single-stream decode tok/s", "decodeTokensPerSecond", None, False)]
    rows += [(f"decode tok/s in all, {n} concurrent request{'s' if n > 1 else ''}", "concurrentTokensPerSecond", str(n), False)
             for n in concurrency]
    for label, key, sub, low in rows:
        a, b = best(desk_runs, key, sub), best(llama_runs, key, sub)
        print(f"| {label} | {a:.1f} | {b:.1f} | {ratio(a, b)} |")
    for label, key in [("TTFT, cold prefix (ms)", "coldTTFTSeconds"), ("TTFT, warm prefix (ms)", "warmTTFTSeconds")]:
        a, b = best(desk_runs, key, low=True), best(llama_runs, key, low=True)
        print(f"| {label} | {a * 1000:.1f} | {b * 1000:.1f} | {ratio(a, b)} |")
    a, b = max(r["peakRSSMegabytes"] for r in desk_runs), max(r["peakRSSMegabytes"] for r in llama_runs)
    print(f"| peak resident memory (MB) | {a:.0f} | {b:.0f} | {ratio(a, b)} |")
    print()
    for name, runs in [("desk", desk_runs), ("llama.cpp", llama_runs)]:
        one = best(runs, "concurrentTokensPerSecond", "1")
        four = best(runs, "concurrentTokensPerSecond", "4")
        cold, warm = best(runs, "coldTTFTSeconds", low=True), best(runs, "warmTTFTSeconds", low=True)
        print(f"- {name}: 4 concurrent = {ratio(four, one)} single-stream; warm TTFT = {100 * warm / cold:.0f}% of cold")


if __name__ == "__main__":
    main()
