#!/usr/bin/env python3
"""Convert FRED rate series from ../shared/data/raw into non-tradable bar files of a scenario.

Each series becomes scenarios/data/<scenario>/<SYMBOL>.csv in the tidy bar layout
(date,open,high,low,close,volume) with open = high = low = close = the rate in percent and
volume 0, on the session calendar of the scenario's benchmark file, so the desk reads rates
through the same point-in-time feed as prices.

Point in time:
- UST10Y (FRED DGS10, the 10-year Treasury constant-maturity yield) is published in the Fed's
  H.15 release on the next business day, so the bar dated session t carries the yield of the
  previous session (t-1): a decision after the close of t sees only what was public then.
- FEDTGT (FRED DFEDTARU, the upper bound of the fed funds target range) is dated by its
  effective day, which follows the announcement, so the bar of session t carries that day's value.
Missing values (FRED's ".") are skipped; a session without a value carries the last one.

Usage: python3 scripts/convert-fred-series.py [--raw ../shared/data/raw]
A maintainer's tool for regenerating bundled data; the product never runs Python.
"""
import argparse
import csv
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# scenario -> (calendar file, [(symbol, raw file, FRED column, lag in sessions)])
SCENARIOS = {
    "covid-crash-2020": ("SPY.csv", [
        ("UST10Y", "gh_fred_series/DGS10.csv", "DGS10", 1),
        ("FEDTGT", "gh_fred_series/DFEDTARU.csv", "DFEDTARU", 0),
    ]),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", default=os.path.join(ROOT, "..", "shared", "data", "raw"))
    args = parser.parse_args()
    for scenario, (calendar_file, series) in SCENARIOS.items():
        folder = os.path.join(ROOT, "scenarios", "data", scenario)
        with open(os.path.join(folder, calendar_file), newline="") as f:
            sessions = [row["date"] for row in csv.DictReader(f)]
        for symbol, rel, column, lag in series:
            path = os.path.join(args.raw, rel)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:12]
            values = {}
            with open(path, newline="") as f:
                for row in csv.DictReader(f):
                    if row[column] not in (".", ""):
                        values[row["DATE"]] = float(row[column])
            dates = sorted(values)
            out = []
            last = None
            pointer = 0
            for index, session in enumerate(sessions):
                source_index = index - lag
                if source_index < 0:
                    # the session before the calendar's first: the last value dated before it
                    source_day = max(d for d in dates if d < session)
                else:
                    source_day = sessions[source_index]
                while pointer < len(dates) and dates[pointer] <= source_day:
                    last = values[dates[pointer]]
                    pointer += 1
                if last is None:
                    last = values[max(d for d in dates if d <= source_day)]
                out.append((session, last))
            target = os.path.join(folder, symbol + ".csv")
            with open(target, "w", newline="") as f:
                f.write("date,open,high,low,close,volume\n")
                for day, value in out:
                    text = f"{value:.4f}"
                    f.write(f"{day},{text},{text},{text},{text},0\n")
            print(f"{target}: {len(out)} sessions from {rel} (sha256 {digest}), lag {lag}")


if __name__ == "__main__":
    main()
