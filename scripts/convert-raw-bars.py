#!/usr/bin/env python3
"""Convert raw daily-bar files from ../shared/data/raw into the project's tidy layout.

The tidy layout (scenarios/data/<scenario>/<SYMBOL>.csv):
    date,open,high,low,close,volume
ISO dates, ascending, one row per session; prices as printed and split-adjusted (not
dividend-adjusted), rounded to 4 decimals (the raw yfinance files carry float32 noise such as
268.1000061035156); volume in shares, an integer.

Repairs, each counted and listed in scenarios/data/PROVENANCE.md: a row whose high/low do not
bracket its open/close gets high = max(open, high, close) and low = min(open, low, close).
Nothing else is changed. Rows outside [first, last] are dropped.

Usage: python3 scripts/convert-raw-bars.py [--raw ../shared/data/raw]
This is a maintainer's tool for regenerating the bundled data; the product never runs Python.
"""
import argparse
import csv
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# scenario -> (first day incl. warm-up, last day, [(symbol, raw file relative to raw/, note)])
SCENARIOS = {
    "covid-crash-2020": ("2019-09-03", "2020-06-30", [
        ("SPY", "gh_hgulati2190_spy/spy_price_data_2017_2020.csv", "raw Yahoo CSV; Close is the printed price"),
        ("AAPL", "gh_10academy_yfinance/AAPL_historical_data.csv", "yfinance; split-adjusted to 2024-07-30 (4:1 on 2020-08-31 applied)"),
        ("MSFT", "gh_10academy_yfinance/MSFT_historical_data.csv", "yfinance; split-adjusted to 2024-07-30 (no split in window)"),
        ("AMZN", "gh_10academy_yfinance/AMZN_historical_data.csv", "yfinance; split-adjusted to 2024-07-30 (20:1 of 2022 applied)"),
        ("NVDA", "gh_10academy_yfinance/NVDA_historical_data.csv", "yfinance; split-adjusted to 2024-07-30 (4:1 of 2021 and 10:1 of 2024 applied)"),
        ("JPM", "gh_kcjpop_stock-data/JPM.csv", "raw Yahoo CSV; printed prices"),
        ("BAC", "gh_kcjpop_stock-data/BAC.csv", "raw Yahoo CSV; printed prices"),
        ("CVX", "gh_kcjpop_stock-data/CVX.csv", "raw Yahoo CSV; printed prices"),
        ("DAL", "gh_kcjpop_stock-data/DAL.csv", "raw Yahoo CSV; printed prices"),
        ("BA", "gh_kcjpop_stock-data/BA.csv", "raw Yahoo CSV; printed prices"),
        ("DIS", "gh_kcjpop_stock-data/DIS.csv", "raw Yahoo CSV; printed prices"),
    ]),
}


def read_rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            yield row


def convert(raw_root, scenario, first, last, symbols):
    out_dir = os.path.join(ROOT, "scenarios", "data", scenario)
    os.makedirs(out_dir, exist_ok=True)
    report = []
    for symbol, rel, note in symbols:
        src = os.path.join(raw_root, rel)
        with open(src, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        rows, repairs, skipped = [], [], 0
        for row in read_rows(src):
            day = row["Date"][:10]
            if not (first <= day <= last):
                continue
            try:
                o, h, l, c = (float(row[k]) for k in ("Open", "High", "Low", "Close"))
                v = float(row["Volume"])
            except (ValueError, TypeError):
                skipped += 1
                continue
            o, h, l, c = (round(x, 4) for x in (o, h, l, c))
            if h < max(o, c) or l > min(o, c) or l > h:
                repairs.append(f"{day} (open {o}, high {h}, low {l}, close {c})")
                h, l = max(o, h, c), min(o, l, c)
            rows.append((day, o, h, l, c, int(round(v))))
        rows.sort()
        dups = len(rows) - len({r[0] for r in rows})
        if dups:
            sys.exit(f"{src}: {dups} duplicate dates in window; fix the source selection")
        out = os.path.join(out_dir, f"{symbol}.csv")
        with open(out, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["date", "open", "high", "low", "close", "volume"])
            for r in rows:
                w.writerow([r[0]] + [format_price(x) for x in r[1:5]] + [r[5]])
        report.append((symbol, rel, digest, note, len(rows), rows[0][0], rows[-1][0], repairs, skipped))
    return report


def format_price(x):
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", default=os.path.join(ROOT, "..", "shared", "data", "raw"))
    args = parser.parse_args()
    for name, (first, last, symbols) in SCENARIOS.items():
        report = convert(args.raw, name, first, last, symbols)
        for symbol, rel, digest, note, n, a, b, repairs, skipped in report:
            print(f"{name} {symbol}: {n} rows {a}..{b}, {len(repairs)} repaired, {skipped} unreadable, from {rel} (sha256 {digest[:12]})")
            for r in repairs:
                print(f"    repaired {r}")


if __name__ == "__main__":
    main()
