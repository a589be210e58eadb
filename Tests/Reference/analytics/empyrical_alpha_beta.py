"""Writes empyrical_alpha_beta.json: beta, alpha and risk-free-adjusted ratios from empyrical-reloaded.

Run from the package root in a throwaway virtual environment (never a product dependency):
    python3 -m venv /tmp/empyr-venv && /tmp/empyr-venv/bin/pip install empyrical-reloaded==0.7.1
    /tmp/empyr-venv/bin/python Tests/Reference/analytics/empyrical_alpha_beta.py
Inputs: the bundled covid-crash-2020 closes of AAPL, JPM and SPY (scenarios/data), simple
close-to-close returns over the scenario's window 2020-02-03..2020-06-30 (the first return against
the last close before it).
"""
import csv
import json
import empyrical
import numpy as np

def closes(symbol):
    with open(f"scenarios/data/covid-crash-2020/{symbol}.csv") as f:
        return {row["date"]: float(row["close"]) for row in csv.DictReader(f)}

spy = closes("SPY")
days = sorted(spy)
window = [d for d in days if "2020-02-03" <= d <= "2020-06-30"]

def returns(prices):
    out = []
    for d in window:
        previous = days[days.index(d) - 1]
        out.append(prices[d] / prices[previous] - 1)
    return np.array(out)

rf_annual = 0.02
rf_daily = (1 + rf_annual) ** (1 / 252) - 1
benchmark = returns(spy)
cases = {}
for symbol in ["AAPL", "JPM"]:
    r = returns(closes(symbol))
    alpha, beta = empyrical.alpha_beta(r, benchmark)
    alpha_rf, beta_rf = empyrical.alpha_beta(r, benchmark, risk_free=rf_daily)
    cases[symbol] = {
        "returns": r.tolist(),
        "metrics": {
            "beta_rf0": float(beta), "alpha_rf0": float(alpha),
            "beta_rf": float(beta_rf), "alpha_rf": float(alpha_rf),
            "sharpe_rf": float(empyrical.sharpe_ratio(r, risk_free=rf_daily)),
            "sortino_rf": float(empyrical.sortino_ratio(r, required_return=rf_daily)),
            "omega_rf": float(empyrical.omega_ratio(r, risk_free=rf_daily)),
        },
    }
json.dump({
    "meta": {
        "reference": f"empyrical-reloaded {empyrical.__version__}",
        "produced_by": "Tests/Reference/analytics/empyrical_alpha_beta.py",
        "window": [window[0], window[-1]],
        "risk_free_annual": rf_annual,
        "risk_free_daily": rf_daily,
        "conventions": "rf passed to empyrical per period as (1 + 0.02)^(1/252) - 1; alpha_beta against SPY",
    },
    "benchmark_returns": benchmark.tolist(),
    "cases": cases,
}, open("Tests/Reference/analytics/empyrical_alpha_beta.json", "w"), indent=1)
print("wrote Tests/Reference/analytics/empyrical_alpha_beta.json", len(window), "sessions")
