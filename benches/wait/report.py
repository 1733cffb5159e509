#!/usr/bin/env python3
"""The table of benches/wait/run: median wall times from hyperfine's JSON exports (one file per
round, every tool once per round) and the floor client's in-process network times.

Usage: report.py --rounds DIR --floor-record FILE --rtt-ms RTT [--problems FILE]
Prints markdown on standard output.
"""

import argparse
import glob
import json
import os
import statistics

SUBJECT = "smtp-doctor"
FLOOR = "floor client"
# Round trips of the floor against an OpenSSL-based server (issue 11): the STARTTLS path is
# connect, greeting, EHLO, STARTTLS, TLS 1.3, and the EHLO whose reply waits for the ticket ACK.
FLOOR_ROUND_TRIPS = 7


def load_rounds(directory):
    """{tool: [wall seconds]} and {tool: {exit code: count}} over every round file."""
    times, codes, order = {}, {}, []
    for path in sorted(glob.glob(os.path.join(directory, "round-*.json"))):
        with open(path) as f:
            data = json.load(f)
        for result in data["results"]:
            name = result["command"]
            if name not in times:
                order.append(name)
            times.setdefault(name, []).extend(result["times"])
            for code in result.get("exit_codes") or []:
                counts = codes.setdefault(name, {})
                counts[code] = counts.get(code, 0) + 1
    return order, times, codes


def fmt_ratio(a, b):
    return "%.2f" % (a / b) if b else "-"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", required=True)
    parser.add_argument("--floor-record", required=True)
    parser.add_argument("--rtt-ms", type=float, required=True)
    parser.add_argument("--problems", help="file with one line per tool that did not do the job")
    args = parser.parse_args()

    order, times, codes = load_rounds(args.rounds)
    # smtp-doctor first, the peers in the order the bench names them, the floor last.
    order.sort(key=lambda name: 0 if name == SUBJECT else 2 if name == FLOOR else 1)
    medians = {name: statistics.median(values) for name, values in times.items()}
    network = []
    if os.path.exists(args.floor_record):
        with open(args.floor_record) as f:
            network = [float(line) for line in f if line.strip()]
    problems = {}
    if args.problems and os.path.exists(args.problems):
        with open(args.problems) as f:
            for line in f:
                if ": " in line:
                    name, text = line.rstrip("\n").split(": ", 1)
                    problems.setdefault(name, []).append(text)

    subject = medians.get(SUBJECT)
    rows = []
    for name in order:
        median = medians[name]
        values = times[name]
        label = name + (" (whole process)" if name == FLOOR else "")
        rows.append((label, len(values), median, min(values), max(values), codes.get(name, {})))
    if network:
        rows.append(
            (FLOOR + " (network part, in-process)", len(network), statistics.median(network),
             min(network), max(network), {})
        )

    print("| tool | runs | median wall (s) | min-max (s) | smtp-doctor ÷ tool | tool ÷ smtp-doctor | exit codes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, n, median, lo, hi, exit_codes in rows:
        if len(exit_codes) == 1:
            code_text = "%d" % next(iter(exit_codes))
        else:
            code_text = ", ".join(
                "%d (%d×)" % (code, count) for code, count in sorted(exit_codes.items())
            ) or "-"
        if problems.get(label.split(" (")[0]):
            code_text += " INCOMPLETE"
        print(
            "| %s | %d | %.3f | %.3f-%.3f | %s | %s | %s |"
            % (label, n, median, lo, hi,
               fmt_ratio(subject, median) if subject else "-",
               fmt_ratio(median, subject) if subject else "-",
               code_text)
        )
    print()

    rtt = args.rtt_ms / 1000.0
    theoretical = FLOOR_ROUND_TRIPS * rtt
    print("Round trip (ping across the delay line, median): %.1f ms; %d round trips = %.3f s, the"
          " issue's floor for the STARTTLS path (465 needs 5)." % (args.rtt_ms, FLOOR_ROUND_TRIPS, theoretical))
    if subject is not None:
        floor_whole = medians.get(FLOOR)
        floor_net = statistics.median(network) if network else None
        parts = []
        if floor_net:
            parts.append("%.2f× the network floor (%.3f s)" % (subject / floor_net, floor_net))
        if floor_whole:
            parts.append("%.2f× the whole-process floor (%.3f s)" % (subject / floor_whole, floor_whole))
        parts.append("%.2f× %d round trips (%.3f s)" % (subject / theoretical, FLOOR_ROUND_TRIPS, theoretical))
        print("smtp-doctor's median %.3f s is %s." % (subject, "; ".join(parts)))
        goals = []
        if floor_net:
            goals.append("≤ 1.1× the floor (%.3f s): %s" % (
                1.1 * floor_net, "met" if subject <= 1.1 * floor_net else "not met"))
        for peer, factor in (("openssl s_client x3", 2.0), ("nmap", 2.5)):
            if peer in medians:
                speedup = medians[peer] / subject
                goals.append("%.2f× faster than %s (goal %.1f×): %s" % (
                    speedup, peer, factor, "met" if speedup >= factor else "not met"))
        print("Issue 11 goals: " + "; ".join(goals) + ".")
    for name, texts in problems.items():
        for text in texts:
            print("INCOMPLETE %s: %s" % (name, text))


if __name__ == "__main__":
    main()
