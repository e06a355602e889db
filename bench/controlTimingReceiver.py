#!/usr/bin/env python3
"""The control-timing receiver with kernel receive times (Linux, SO_TIMESTAMPNS).

A userland receiver stamps a datagram when its own process wakes up to read it, so its
scheduling delay is in every figure. Here each datagram carries the time the kernel put it
on the socket's queue (SO_TIMESTAMPNS; on loopback that is taken in the sender's send call),
so the figures are the sender's and nothing of this process. The kernel stamps CLOCK_REALTIME;
it is moved onto CLOCK_MONOTONIC (what Node's process.hrtime and performance.now read) with an
offset sampled at start and at the report (both are reported, so a clock step would show).

Same protocol and classification as bench/controlTimingReceiver.ts (the fallback elsewhere):
argv are lane names, one UDP socket each on 127.0.0.1; stdout gets one JSON line
`{"ports": {...}, "clock": "kernel"}`, then one JSON line per command read on stdin
(`{"cmd": "start", "offsetNs": "...", "since": ms}`, `{"cmd": "report"}`, `{"cmd": "exit"}`).
"""
import json
import os
import selectors
import socket
import struct
import sys
import time

# Not exported by Python's socket module: <asm-generic/socket.h> SO_TIMESTAMPNS (= SCM_TIMESTAMPNS).
SO_TIMESTAMPNS = 35
SLEWING = b"/cv/sweep"
TIMED = {b"/cv/resonance", b"/cv/pitch"}
ON_BEAT = b"/cv/cutoff"
TIMESPEC = struct.Struct("qq")
DOUBLE = struct.Struct(">d")


def realtime_minus_monotonic_ns():
    """CLOCK_REALTIME - CLOCK_MONOTONIC, from the tightest of many bracketed reads."""
    best, spread = 0, None
    for _ in range(200):
        m1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        m2 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if spread is None or m2 - m1 < spread:
            spread, best = m2 - m1, r - (m1 + m2) // 2
    return best


class Lane:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        except OSError:
            pass  # The OS may cap it.
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.reset()

    def reset(self):
        self.steps, self.step_tags, self.latency, self.landed = [], [], [], []
        self.received, self.unstamped = 0, 0


state = {"offset_ns": 0, "since": float("inf"), "rt_minus_mono": realtime_minus_monotonic_ns()}


def on_datagram(lane, buf, ancdata):
    stamp = None
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            sec, nsec = TIMESPEC.unpack_from(data)
            stamp = sec * 1_000_000_000 + nsec - state["rt_minus_mono"]
    if stamp is None:
        lane.unstamped += 1
        stamp = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    at = (stamp - state["offset_ns"]) / 1e6
    if at < state["since"] or len(buf) == 0 or buf[0] != 0x2F:
        return
    lane.received += 1
    end = buf.find(b"\0")
    address = buf if end < 0 else buf[:end]
    last = DOUBLE.unpack_from(buf, len(buf) - 8)[0] if len(buf) >= 8 else None
    if address == SLEWING:
        lane.steps.append(at)
        lane.step_tags.append(last)
    elif address in TIMED and last is not None:
        if last >= state["since"]:
            lane.latency.append(at - last)
    elif address == ON_BEAT:
        lane.landed.append(at)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    names = sys.argv[1:] or ["worker", "main"]
    lanes = {name: Lane() for name in names}
    reply({"ports": {n: l.sock.getsockname()[1] for n, l in lanes.items()}, "clock": "kernel"})
    sel = selectors.DefaultSelector()
    for lane in lanes.values():
        sel.register(lane.sock, selectors.EVENT_READ, lane)
    stdin = sys.stdin.fileno()
    sel.register(stdin, selectors.EVENT_READ, None)
    pending = b""
    space = socket.CMSG_SPACE(TIMESPEC.size)
    while True:
        for key, _ in sel.select():
            lane = key.data
            if lane is not None:
                while True:
                    try:
                        buf, ancdata, _flags, _addr = lane.sock.recvmsg(65536, space)
                    except BlockingIOError:
                        break
                    on_datagram(lane, buf, ancdata)
                continue
            chunk = os.read(stdin, 65536)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.strip():
                    continue
                command = json.loads(line)
                if command["cmd"] == "start":
                    state["offset_ns"] = int(command["offsetNs"])
                    state["since"] = float(command["since"])
                    state["rt_minus_mono"] = realtime_minus_monotonic_ns()
                    state["start_offset"] = state["rt_minus_mono"]
                    for lane in lanes.values():
                        lane.reset()
                    reply({"started": True})
                elif command["cmd"] == "report":
                    state["since"] = float("inf")
                    drift_us = (realtime_minus_monotonic_ns() - state.get("start_offset", state["rt_minus_mono"])) / 1e3
                    reply(
                        {
                            "clockDriftUs": drift_us,
                            "lanes": {
                                n: {
                                    "steps": l.steps,
                                    "stepTags": l.step_tags,
                                    "latency": l.latency,
                                    "landed": l.landed,
                                    "received": l.received,
                                    "unstamped": l.unstamped,
                                }
                                for n, l in lanes.items()
                            },
                        }
                    )
                elif command["cmd"] == "exit":
                    return


if __name__ == "__main__":
    main()
