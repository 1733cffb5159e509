#!/usr/bin/env python3
"""Reads what benches/batch/run recorded and judges it.

    tally.py doctor NDJSON N
        One smtp-doctor batch output: prints "N results, L lost, C complete"; exit 1 when a
        target is lost (not exactly one result line for each of the lines 1..N).

    tally.py report SETTINGS RUNS N
        SETTINGS: lines "index<TAB>kind<TAB>name" (kind: doctor or nmap); RUNS: lines
        "index<TAB>round<TAB>exit<TAB>base", base being the path prefix of the run's files
        (.out, .err, .ms, .time, and .xml for nmap). Prints the markdown table, what each tool
        reported, and the issue's goals; exit 3 when a goal is missed or a run lost targets.

Complete, for smtp-doctor: the target's result has endpoints 25, 465 and 587, each with
state "ok". For nmap: the host has 25, 465 and 587 open and ssl-cert printed a certificate for
each of them.
"""

import json
import statistics
import sys
import xml.etree.ElementTree as ET

PORTS = (25, 465, 587)
GOAL_SPEEDUP = 5.0
GOAL_RSS_MB = 100.0

# What a result says about one endpoint, in the order the report lists them.
FACTS = [
    ("port open / connected", "open"),
    ("greeting (220 banner)", "banner"),
    ("EHLO keywords (first EHLO)", "ehlo"),
    ("EHLO keywords inside TLS (after STARTTLS)", "ehlo_after_starttls"),
    ("certificate (subject, issuer, validity)", "cert"),
    ("TLS version and cipher", "tls"),
    ("chain verified against the trust store", "verified"),
    ("reverse DNS (PTR) of the address", "ptr"),
    ("judgement (findings, verdict)", "judged"),
]


# ---- smtp-doctor ---------------------------------------------------------------------------


def read_doctor(path, n):
    """{results, lost, duplicates, bad, complete, facts} of one NDJSON output."""
    seen = {}
    bad = 0
    complete = 0
    facts = {key: 0 for _, key in FACTS}
    with open(path, "rb") as f:
        for raw in f:
            try:
                doc = json.loads(raw)
                line = doc["line"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            if not isinstance(line, int) or not 1 <= line <= n:
                bad += 1
                continue
            seen[line] = seen.get(line, 0) + 1
            endpoints = doc.get("endpoints") or []
            by_port = {e.get("port"): e for e in endpoints}
            if sorted(by_port) == list(PORTS) and all(
                by_port[p].get("state") == "ok" for p in PORTS
            ):
                complete += 1
            judged = doc.get("summary") is not None and doc.get("findings") is not None
            for e in endpoints:
                if e.get("port") not in PORTS:
                    continue
                tls = e.get("tls") or {}
                chain = tls.get("chain") or []
                count = {
                    "open": e.get("state") not in (None, "refused", "timeout", "unreachable"),
                    "banner": (e.get("banner") or {}).get("code") == 220,
                    "ehlo": bool((e.get("ehlo") or e.get("ehlo_tls") or {}).get("lines")),
                    "ehlo_after_starttls": e.get("security") == "starttls"
                    and bool((e.get("ehlo_tls") or {}).get("lines")),
                    "cert": bool(chain) and bool(chain[0].get("subject"))
                    and bool(chain[0].get("not_after")),
                    "tls": bool(tls.get("version")) and bool(tls.get("cipher")),
                    "verified": (tls.get("verification") or {}).get("trusted") is True,
                    "ptr": (e.get("reverse_dns") or {}).get("error") is not None
                    or bool((e.get("reverse_dns") or {}).get("ptr")),
                    "judged": judged,
                }
                for key, present in count.items():
                    facts[key] += bool(present)
    results = sum(seen.values())
    lost = n - len(seen)
    duplicates = sum(c - 1 for c in seen.values())
    return {
        "results": results + bad,
        "lost": lost,
        "duplicates": duplicates,
        "bad": bad,
        "complete": complete,
        "facts": facts,
    }


# ---- nmap ----------------------------------------------------------------------------------


def read_nmap(path, n, targets):
    """The same for nmap's XML: hosts reported, lost, complete, facts."""
    facts = {key: 0 for _, key in FACTS}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return {"results": 0, "lost": n, "duplicates": 0, "bad": 1, "complete": 0,
                "facts": facts}
    seen = {}
    complete = 0
    for host in root.iter("host"):
        addr = next((a.get("addr") for a in host.iter("address")
                     if a.get("addrtype") == "ipv4"), None)
        if addr not in targets:
            continue
        seen[addr] = seen.get(addr, 0) + 1
        good = 0
        for port in host.iter("port"):
            try:
                number = int(port.get("portid"))
            except (TypeError, ValueError):
                continue
            if number not in PORTS:
                continue
            state = port.find("state")
            is_open = state is not None and state.get("state") == "open"
            scripts = {s.get("id"): s for s in port.iter("script")}
            cert = scripts.get("ssl-cert")
            has_cert = cert is not None and any(
                t.get("key") == "subject" for t in cert.iter("table"))
            commands = scripts.get("smtp-commands")
            has_ehlo = commands is not None and bool((commands.get("output") or "").strip())
            facts["open"] += is_open
            facts["ehlo"] += has_ehlo
            facts["cert"] += has_cert
            good += is_open and has_cert
        complete += good == len(PORTS)
    return {
        "results": sum(seen.values()),
        "lost": n - len(seen),
        "duplicates": sum(c - 1 for c in seen.values()),
        "bad": 0,
        "complete": complete,
        "facts": facts,
    }


# ---- one run's measurements ----------------------------------------------------------------


def gnu_time(path):
    """(peak RSS kB, user+system CPU seconds) from `/usr/bin/time -v`'s report."""
    rss, cpu = None, 0.0
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.strip().rpartition(": ")
                if key == "Maximum resident set size (kbytes)":
                    rss = int(value)
                elif key in ("User time (seconds)", "System time (seconds)"):
                    cpu += float(value)
    except OSError:
        pass
    return rss, cpu


def cpu_accounting(path):
    """(Postfix CPU s, machine busy CPU s, machine busy share 0..1) from the run's .cpu file."""
    try:
        with open(path) as f:
            postfix, busy, idle, clk = (int(v) for v in f.read().split())
    except (OSError, ValueError):
        return None, None, None
    total = busy + idle
    return postfix / clk, busy / clk, (busy / total if total else None)


def read_run(kind, base, n, targets):
    with open(base + ".ms") as f:
        wall = int(f.read().strip()) / 1000.0
    rss, cpu = gnu_time(base + ".time")
    postfix, busy, share = cpu_accounting(base + ".cpu")
    if kind == "doctor":
        out = read_doctor(base + ".out", n)
    else:
        out = read_nmap(base + ".xml", n, targets)
    others = busy - cpu - postfix if busy is not None else None
    out.update(wall=wall, rss_kb=rss, cpu=cpu, postfix=postfix, others=others, share=share)
    return out


# ---- the report ----------------------------------------------------------------------------


def mb(kb):
    return kb * 1024 / 1e6 if kb is not None else None


def report(settings_path, runs_path, n):
    settings = []
    with open(settings_path) as f:
        for line in f:
            index, kind, name = line.rstrip("\n").split("\t")
            settings.append((int(index), kind, name))
    runs = {}
    codes = {}
    bases = {}
    with open(runs_path) as f:
        for line in f:
            index, _round, code, base = line.rstrip("\n").split("\t")
            runs.setdefault(int(index), []).append(base)
            codes.setdefault(int(index), []).append(int(code))
    targets_path = None
    for index, kind, _ in settings:
        for base in runs.get(index, []):
            bases[base] = kind
    # The targets file sits next to runs/: <work>/runs/sI-rNN -> <work>/targets.txt.
    any_base = next(iter(bases), None)
    targets = set()
    if any_base:
        targets_path = any_base.rsplit("/runs/", 1)[0] + "/targets.txt"
        with open(targets_path) as f:
            targets = {line.strip() for line in f if line.strip()}

    rows = []
    for index, kind, name in settings:
        results = [read_run(kind, base, n, targets) for base in runs.get(index, [])]
        if not results:
            continue
        rss = [r["rss_kb"] for r in results if r["rss_kb"] is not None]
        rows.append({
            "kind": kind,
            "name": name,
            "runs": len(results),
            "wall": statistics.median(r["wall"] for r in results),
            "walls": [r["wall"] for r in results],
            "cpu": statistics.median(r["cpu"] for r in results),
            "postfix": median_or_none(r["postfix"] for r in results),
            "others": median_or_none(r["others"] for r in results),
            "share": median_or_none(r["share"] for r in results),
            "rss_mb": mb(max(rss)) if rss else None,
            "complete_min": min(r["complete"] for r in results),
            "lost_max": max(r["lost"] + r["bad"] + r["duplicates"] for r in results),
            "codes": sorted(set(codes[index])),
            "facts": results[-1]["facts"],
        })
    doctors = [r for r in rows if r["kind"] == "doctor"]
    nmaps = [r for r in rows if r["kind"] == "nmap"]
    nmap_default = next((r for r in nmaps if r["name"] == "defaults"), nmaps[0] if nmaps else None)
    nmap_fastest = min(nmaps, key=lambda r: r["wall"]) if nmaps else None

    def ratio(nm, row):
        return "%.1f" % (nm["wall"] / row["wall"]) if nm and row["wall"] > 0 else "-"

    print("%d targets x 3 ports (25, 587, 465); %d run(s) of each setting; wall: median; "
          "peak RSS: the highest of the runs; complete: the fewest of the runs" % (n, rows[0]["runs"]))
    print()
    head = ["tool", "settings", "median wall (s)", "peak RSS (MB)", "targets complete", "lost"]
    if nmap_default:
        head.append("nmap defaults ÷ this")
    if nmap_fastest and nmap_fastest is not nmap_default:
        head.append("nmap %s ÷ this" % nmap_fastest["name"])
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        cells = [
            "smtp-doctor" if r["kind"] == "doctor" else "nmap",
            "`%s`" % r["name"],
            "%.2f" % r["wall"],
            "%.1f" % r["rss_mb"] if r["rss_mb"] is not None else "?",
            "%d / %d" % (r["complete_min"], n),
            str(r["lost_max"]),
        ]
        if nmap_default:
            cells.append(ratio(nmap_default, r))
        if nmap_fastest and nmap_fastest is not nmap_default:
            cells.append(ratio(nmap_fastest, r))
        print("| " + " | ".join(cells) + " |")
    print()

    # Where the time went: the machine has few cores, shared by the tool, Postfix and whatever
    # else runs on it.
    print("Each run, and where the CPU went (medians; seconds of CPU over all cores; \"others\": "
          "every other process on the machine; busy: share of all cores busy during the run):")
    print()
    print("| tool | settings | runs, wall (s) | tool CPU (s) | Postfix CPU (s) | others' CPU (s) "
          "| machine busy | exit codes |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | `%s` | %s | %.2f | %s | %s | %s | %s |" % (
            "smtp-doctor" if r["kind"] == "doctor" else "nmap", r["name"],
            " ".join("%.2f" % w for w in r["walls"]), r["cpu"],
            "%.2f" % r["postfix"] if r["postfix"] is not None else "?",
            "%.2f" % r["others"] if r["others"] is not None else "?",
            "%.0f%%" % (100 * r["share"]) if r["share"] is not None else "?",
            ",".join(str(c) for c in r["codes"])))
    print()

    # What each reported, per endpoint, in its last run of the first setting of each tool.
    if doctors and nmaps:
        print("What each reported (endpoints with the fact, of %d; last run of `%s` and nmap `%s`):"
              % (3 * n, doctors[0]["name"], nmaps[0]["name"]))
        print()
        print("| fact | smtp-doctor | nmap |")
        print("|---|---|---|")
        for label, key in FACTS:
            print("| %s | %d | %d |" % (label, doctors[0]["facts"][key], nmaps[0]["facts"][key]))
        print()

    # The goals.
    failed = False
    lines = []
    lost_rows = [r for r in rows if r["lost_max"]]
    if lost_rows:
        failed = True
    more = bool(doctors and nmaps) and all(
        doctors[0]["facts"][key] >= nmaps[0]["facts"][key] for _, key in FACTS) and any(
        doctors[0]["facts"][key] > nmaps[0]["facts"][key] for _, key in FACTS)
    met_by = []
    for r in doctors:
        speed = nmap_fastest["wall"] / r["wall"] if nmap_fastest else 0.0
        ok_speed = speed >= GOAL_SPEEDUP
        ok_rss = r["rss_mb"] is not None and r["rss_mb"] <= GOAL_RSS_MB
        ok_lost = r["lost_max"] == 0 and r["complete_min"] == n
        all_ok = ok_speed and ok_rss and ok_lost and more
        if all_ok:
            met_by.append(r["name"])
        lines.append(
            "- `%s`: %.2fx faster than the faster nmap setting (`%s`, %.2f s): %s; "
            "peak RSS %.1f MB: %s; lost %d, complete %d/%d: %s"
            % (r["name"], speed, nmap_fastest["name"] if nmap_fastest else "?",
               nmap_fastest["wall"] if nmap_fastest else 0, yes(ok_speed, ">= 5x"),
               r["rss_mb"] or 0, yes(ok_rss, "<= 100 MB"), r["lost_max"], r["complete_min"], n,
               yes(ok_lost, "zero lost, all complete")))
    for r in nmaps:
        if r["lost_max"] or r["complete_min"] != n:
            lines.append("- nmap `%s`: lost %d, complete %d/%d (nmap's own result)"
                         % (r["name"], r["lost_max"], r["complete_min"], n))
    print("Goals of issue 13 (at least 5x faster than nmap while reporting more; peak RSS at most "
          "100 MB; zero lost targets):")
    print()
    print("- reports more than nmap (every fact nmap gave, for as many endpoints, and more): %s"
          % yes(more, "yes"))
    for line in lines:
        print(line)
    print()
    if met_by:
        print("All goals met by: %s." % ", ".join("`%s`" % m for m in met_by))
    else:
        failed = True
        print("All goals met by: no setting.")
    if not doctors or not nmaps:
        failed = True
    return 3 if failed else 0


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def yes(ok, what):
    return ("met (%s)" if ok else "NOT met (%s)") % what


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "doctor":
        n = int(sys.argv[3])
        r = read_doctor(sys.argv[2], n)
        print("%d results, %d lost, %d duplicated, %d unreadable, %d complete of %d"
              % (r["results"], r["lost"], r["duplicates"], r["bad"], r["complete"], n))
        return 1 if r["lost"] or r["duplicates"] or r["bad"] or r["results"] != n else 0
    if len(sys.argv) == 5 and sys.argv[1] == "report":
        return report(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
