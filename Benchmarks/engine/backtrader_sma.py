"""The reference side of `desk bench engine`: the same SMA-crossover desk in backtrader.

Reads the same CSV files (backtrader CSV or Yahoo layout), replays them with backtrader's defaults
(preload, runonce; market orders fill at the next bar's open), and prints one JSON object: the bars
replayed, the seconds spent in the replay (strategy start to stop, so CSV parsing is left out, as it
is on the Swift side), the final value and cash, and every execution.

The strategy is backtrader's own test strategy (tests/test_strategy_unoptimized.py) generalised to
many symbols: for each data, when flat and CrossOver(A, B) > 0, buy `stake`; when long and < 0,
close; never while an order of that data is pending. A is the close (with --period) or SMA(fast).
"""
import argparse
import datetime
import json
import os
import sys
import time

import backtrader as bt


class SMACross(bt.Strategy):
    params = (("fast", None), ("slow", None), ("period", None), ("stake", 1))

    def __init__(self):
        self.cross = {}
        for data in self.datas:
            if self.p.period:
                line_a, line_b = data.close, bt.ind.SMA(data.close, period=self.p.period)
            else:
                line_a, line_b = bt.ind.SMA(data.close, period=self.p.fast), bt.ind.SMA(data.close, period=self.p.slow)
            self.cross[data] = bt.ind.CrossOver(line_a, line_b)
        self.pending = set()
        self.seen = {}
        self.executions = []

    def start(self):
        self.started = time.perf_counter()

    def stop(self):
        self.stopped = time.perf_counter()

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            return
        if order.status == order.Completed:
            # One entry per execution bit, at the bit's own price (order.executed.price is an average
            # recomputed as (size × price) / size, which can differ from the bar's price in the last bit).
            for bit in order.executed.exbits:
                self.executions.append({
                    "day": bt.num2date(bit.dt).date().isoformat(),
                    "symbol": order.data._name,
                    "side": "buy" if order.isbuy() else "sell",
                    "quantity": abs(bit.size),
                    "price": bit.price,
                    "commission": bit.closedcomm + bit.openedcomm,
                })
        self.pending.discard(order.data)

    def next(self):
        for data in self.datas:
            # Act on a data only when it has a new bar (several files need not share a calendar).
            if self.seen.get(data) == len(data):
                continue
            self.seen[data] = len(data)
            if data in self.pending:
                continue
            cross = self.cross[data][0]
            if not self.getposition(data).size:
                if cross > 0:
                    self.buy(data=data, size=self.p.stake)
                    self.pending.add(data)
            elif cross < 0:
                self.close(data=data)
                self.pending.add(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", action="append", required=True, help="SYMBOL=path")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--to", dest="end")
    parser.add_argument("--fast", type=int)
    parser.add_argument("--slow", type=int)
    parser.add_argument("--period", type=int)
    parser.add_argument("--stake", type=float, default=1)
    parser.add_argument("--cash", type=float, default=10000)
    parser.add_argument("--commission-bps", type=float, default=0)
    args = parser.parse_args()

    cerebro = bt.Cerebro(stdstats=False)
    # Dates (not datetimes): backtrader then keeps the whole last day, up to its session end.
    day = lambda text: datetime.date.fromisoformat(text) if text else None
    for item in args.data:
        symbol, path = item.split("=", 1)
        with open(path) as handle:
            header = handle.readline().strip().lower().split(",")
        window = {}
        if args.start:
            window["fromdate"] = day(args.start)
        if args.end:
            window["todate"] = day(args.end)
        if "adj close" in header:
            feed = bt.feeds.YahooFinanceCSVData(dataname=path, adjclose=False, round=False, **window)
        else:
            feed = bt.feeds.BacktraderCSVData(dataname=path, **window)
        cerebro.adddata(feed, name=symbol)
    stake = int(args.stake) if args.stake == int(args.stake) else args.stake
    cerebro.addstrategy(SMACross, fast=args.fast, slow=args.slow, period=args.period, stake=stake)
    cerebro.broker.setcash(args.cash)
    cerebro.broker.setcommission(commission=args.commission_bps / 10000)
    began = time.perf_counter()
    strategy = cerebro.run()[0]
    finished = time.perf_counter()
    json.dump({
        "engine": "backtrader " + bt.__version__,
        "python": sys.version.split()[0],
        "bars": sum(len(data) for data in strategy.datas),
        "replay_seconds": strategy.stopped - strategy.started,
        "total_seconds": finished - began,
        "final_value": cerebro.broker.getvalue(),
        "cash": cerebro.broker.getcash(),
        "executions": strategy.executions,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
