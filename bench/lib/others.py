#!/usr/bin/env python3
"""How much CPU the rest of the machine took while bench/run measured something.

  others.py snap ROOTPID FILE    snapshot: the machine's busy time (/proc/stat user, nice, system,
                                 steal) and the CPU time of ROOTPID's process tree and of kernel
                                 threads (which work for our load too: ksoftirqd...)
  others.py diff ROOTPID FILE    print the share of all CPUs (%) that went to anything else since

Irq and softirq time is left out on both sides: loopback traffic spends much of it for us.
Processes that our tree waited for (wrk, ...) count through their parent's cutime/cstime.
"""
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    v += [0] * (8 - len(v))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return user + nice + system + steal, sum(v[:8])


def ours(root):
    ps = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        rest = raw[raw.rindex(")") + 2:].split()  # field n of stat(5) is rest[n - 3]
        ps[int(name)] = (int(rest[1]), rest[19], sum(int(rest[i]) for i in (11, 12, 13, 14)))
    kids = {}
    for pid, (ppid, _, _) in ps.items():
        kids.setdefault(ppid, []).append(pid)
    mine, stack = set(), [root, 2]  # bench/run's tree, and kthreadd's
    while stack:
        p = stack.pop()
        if p not in mine:
            mine.add(p)
            stack.extend(kids.get(p, []))
    return {f"{p}:{ps[p][1]}": ps[p][2] for p in mine if p in ps}


def main():
    mode, root, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    busy, total = machine()
    mine = ours(root)
    if mode == "snap":
        with open(path, "w") as f:
            json.dump({"busy": busy, "total": total, "mine": mine}, f)
        return
    with open(path) as f:
        old = json.load(f)
    d_mine = sum(max(0, t - old["mine"].get(k, 0)) for k, t in mine.items())
    d_total = max(1, total - old["total"])
    others = max(0, busy - old["busy"] - d_mine)
    print(f"{100 * others / d_total:.0f}")


if __name__ == "__main__":
    main()
