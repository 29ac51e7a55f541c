#!/usr/bin/env python3
"""Writes a CSV trace of N requests over 24 hours with a daily shape (a trough at night, a peak
in the afternoon, 3x the trough) as Poisson arrivals, log-normal prompt and output sizes and a
cache-read column. Usage: gentrace.py N OUT.csv [SEED]"""
import datetime, math, random, sys

n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
day = 86400.0
shape = lambda t: 2 - math.cos(2 * math.pi * (t - 3 * 3600) / day)  # 1 at 03:00, 3 at 15:00
# arrival times: inverse of the cumulative shape, sampled from sorted uniforms
grid = 100000
cum = [0.0]
for i in range(grid):
    cum.append(cum[-1] + shape((i + 0.5) * day / grid))
us = sorted(rnd.random() * cum[-1] for _ in range(n))
t0 = datetime.datetime(2025, 1, 6, 0, 0, 0)
with open(out, "w") as f:
    f.write("timestamp,input_tokens,output_tokens,cache_read_tokens\n")
    j = 0
    for u in us:
        while cum[j + 1] < u:
            j += 1
        t = (j + (u - cum[j]) / (cum[j + 1] - cum[j])) * day / grid
        ts = (t0 + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        f.write("%s,%d,%d,%d\n" % (ts, int(rnd.lognormvariate(math.log(800), 0.8)),
                                   int(rnd.lognormvariate(math.log(200), 0.6)), int(rnd.lognormvariate(math.log(2000), 1.0))))
