"""Regenerates pypfopt_estimators.json: PyPortfolioOpt's risk models over Tests/Reference/optimizer/stock_prices.csv.

Run in a throwaway virtual environment (never a product dependency):
    python3 -m venv /tmp/pfo && /tmp/pfo/bin/pip install pyportfolioopt==1.6.0 scikit-learn pandas
    /tmp/pfo/bin/python Tests/OptimizerTests/Fixtures/make_pypfopt_estimators.py
"""
import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pypfopt
from pypfopt import expected_returns, risk_models
from pypfopt.efficient_frontier import EfficientFrontier

warnings.simplefilter("ignore")
here = pathlib.Path(__file__).resolve().parent
root = here.parents[2]
prices = pd.read_csv(root / "Tests/Reference/optimizer/stock_prices.csv", parse_dates=True, index_col="date")
recent = prices.loc["2015-01-01":]

def matrix(frame):
    return [[float(x) for x in row] for row in np.asarray(frame)]

out = {
    "meta": {
        "source": "Tests/Reference/optimizer/stock_prices.csv",
        "producer": f"PyPortfolioOpt {pypfopt.__version__}, pandas {pd.__version__}, numpy {np.__version__}; script make_pypfopt_estimators.py beside this file",
        "window_recent": "rows dated 2015-01-01 and later",
        "frequency": 252,
    },
    "symbols": list(prices.columns),
    "sample_cov_full": matrix(risk_models.sample_cov(prices)),
    "ledoit_wolf_constant_variance_full": matrix(risk_models.CovarianceShrinkage(prices).ledoit_wolf()),
    "ledoit_wolf_constant_correlation_full": matrix(risk_models.CovarianceShrinkage(prices).ledoit_wolf("constant_correlation")),
    "exp_cov_span_180_full": matrix(risk_models.exp_cov(prices, span=180)),
    "sample_cov_recent": matrix(risk_models.sample_cov(recent)),
    "ledoit_wolf_constant_variance_recent": matrix(risk_models.CovarianceShrinkage(recent).ledoit_wolf()),
    "exp_cov_span_60_recent": matrix(risk_models.exp_cov(recent, span=60)),
    "mu_recent": [float(x) for x in expected_returns.mean_historical_return(recent)],
}

# Efficient risk (target volatility 0.18) over the full history: the objective the reference file lacks.
mu = expected_returns.mean_historical_return(prices)
S = risk_models.sample_cov(prices)
ef = EfficientFrontier(mu, S)
ef.efficient_risk(0.18)
out["efficient_risk_0.18_full"] = {
    "weights": [float(x) for x in ef.weights],
    "performance_rf_0.02": [float(x) for x in ef.portfolio_performance(risk_free_rate=0.02)],
}
# Min volatility with a 10% cap per asset on the Ledoit-Wolf covariance.
ef = EfficientFrontier(mu, risk_models.CovarianceShrinkage(prices).ledoit_wolf(), weight_bounds=(0, 0.1))
ef.min_volatility()
out["min_volatility_ledoit_wolf_cap_0.1_full"] = {
    "weights": [float(x) for x in ef.weights],
    "performance_rf_0.02": [float(x) for x in ef.portfolio_performance(risk_free_rate=0.02)],
}
(here / "pypfopt_estimators.json").write_text(json.dumps(out, indent=1) + "\n")
print("wrote", here / "pypfopt_estimators.json")
