#!/usr/bin/env python3
"""Whole-process wall times of `desk` journalling, two builds side by side.

Usage: Benchmarks/journal/paired.py DESK_A DESK_B [SCENARIO] [ROUNDS] [DESK_NAME]

Each round runs, in a shuffled order, for each build: `desk replay SCENARIO --desk DESK_NAME`
into a fresh journal, and `desk bench journal --scenario SCENARIO --child with-journal` (load,
replay into a fresh journal, close); and once `--child without-journal` of build B (load and
replay into a journal that keeps nothing). Prints the median and minimum of each, and each one's
excess over the run without journal. Interleaving the builds makes a loaded machine's noise fall
on both alike. Nothing here is a product dependency; it only runs the binaries it is given.
"""
import os, random, shutil, statistics, subprocess, sys, tempfile, time

a, b = sys.argv[1], sys.argv[2]
scenario = sys.argv[3] if len(sys.argv) > 3 else "covid-crash-2020"
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 15
desk = sys.argv[5] if len(sys.argv) > 5 else "equal-weight-decision"
work = tempfile.mkdtemp(prefix="paired-journal-")
variants = {
    "A desk replay": lambda i: [a, "replay", scenario, "--desk", desk, "--json", "--journal", f"{work}/a-{i}.sqlite"],
    "B desk replay": lambda i: [b, "replay", scenario, "--desk", desk, "--json", "--journal", f"{work}/b-{i}.sqlite"],
    "A child with journal": lambda i: [a, "bench", "journal", "--scenario", scenario, "--desk", desk, "--child", "with-journal"],
    "B child with journal": lambda i: [b, "bench", "journal", "--scenario", scenario, "--desk", desk, "--child", "with-journal"],
    "child without journal": lambda i: [b, "bench", "journal", "--scenario", scenario, "--desk", desk, "--child", "without-journal"],
}
times = {name: [] for name in variants}
random.seed(1)
try:
    for i in range(rounds):
        names = list(variants)
        random.shuffle(names)
        for name in names:
            start = time.perf_counter()
            subprocess.run(variants[name](i), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
finally:
    shutil.rmtree(work, ignore_errors=True)
base = statistics.median(times["child without journal"])
print(f"{scenario}, {desk}, {rounds} rounds; A = {a}, B = {b}; load {os.getloadavg()[0]:.2f}")
for name, values in times.items():
    m = statistics.median(values)
    extra = "" if name == "child without journal" else f"  {m / base - 1:+7.1%} ({(m - base) * 1e3:+.1f} ms) over the run without journal"
    print(f"  {name:24} median {m * 1e3:7.1f} ms  min {min(values) * 1e3:7.1f} ms{extra}")
