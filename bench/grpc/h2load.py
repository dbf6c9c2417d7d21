#!/usr/bin/env python3
"""Reads one h2load run for bench/run workload (h), the gRPC unary proxy.

  h2load.py OUTPUT LOG     OUTPUT is h2load's standard output, LOG the file its --log-file
                           wrote (a line per request: start time, HTTP status, microseconds).
Prints "<req/s> <p99 ms> <mean ms> <succeeded> <failed> <errored> <timeout> <non-2xx>".
h2load prints no percentiles, hence the log. A status of -1 in the log is a request that got no
response; it counts as failed in h2load's summary and is left out of the latency figures.
"""
import re
import sys


def main(out_path, log_path):
    out = open(out_path, encoding="utf-8", errors="replace").read()
    m = re.search(r"^finished in [0-9.]+\w*, ([0-9.]+) req/s", out, re.M)
    if not m:
        sys.exit("h2load.py: no 'finished in ... req/s' line in " + out_path)
    rps = float(m.group(1))
    m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out, re.M)
    if not m:
        sys.exit("h2load.py: no 'requests:' line in " + out_path)
    succeeded, failed, errored, timeout = (int(m.group(i)) for i in (4, 5, 6, 7))
    m = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out, re.M)
    non2xx = sum(int(m.group(i)) for i in (2, 3, 4)) if m else 0

    times = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] != "-1":
                times.append(int(parts[2]))
    if times:
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1000.0
        mean = sum(times) / len(times) / 1000.0
    else:
        p99 = mean = 0.0
    print(f"{rps:.2f} {p99:.3f} {mean:.3f} {succeeded} {failed} {errored} {timeout} {non2xx}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
