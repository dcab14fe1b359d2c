#!/usr/bin/env python3
"""make bench: authtrace's performance benchmark (root; not part of make test).

Six figures, each measured side by side in one run, as ratios and medians of
alternating runs (absolute times drift on a shared machine):

  1. probe cost vs floor   python http.client and node https loops: untraced,
                           under authtrace -p, under EMPTY probes at the same
                           places (bench/floor: uprobes only; uprobes +
                           tracepoints)
  2. no loss               4 client processes at 10,000 req/s for 30 s, then
                           higher rates: every request reported, lost = 0
  3. collector throughput  bench/replay: the user-space pipeline alone over
                           recorded ring-buffer records (reference: llhttp
                           tokenizing the same heads, bench/refparse)
  4. attach latency        -p on a running node (~100 MB executable): exec of
                           authtrace -> every uprobe live in the target
  5. memory                peak RSS of authtrace tracing 100 keep-alive TLS
                           connections
  6. untraced processes    a curl loop, untraced, while authtrace traces another
                           process that maps the same libssl.so.3

Prints a table and writes bench/RESULTS.md (and bench/results.json).
Environment: BENCH_QUICK=1 for a short smoke run (fewer rounds, shorter
loads; its figures are not the reference ones).
"""
import datetime
import glob
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# AUTHTRACE=PATH measures another build (an experiment) with the same harness
AT = os.environ.get("AUTHTRACE") or os.path.join(TOP, "build", "authtrace")
BB = os.path.join(TOP, "build", "bench")
FLOOR = os.path.join(BB, "floor")
PROBEWAIT = os.path.join(BB, "probewait")
SERVER = os.path.join(BB, "server")
LOADGEN = os.path.join(BB, "loadgen")
REPLAY = os.path.join(BB, "replay")
REFPARSE = os.path.join(BB, "refparse")   # built only when node-llhttp is installed
BPFLOAD = os.path.join(BB, "bpfload")
SYSLOOP = os.path.join(BB, "sysloop")
ANALYSIS_MD = os.path.join(TOP, "bench", "ANALYSIS.md")
PY_CLIENT = os.path.join(TOP, "bench", "py_client.py")
NODE_CLIENT = os.path.join(TOP, "bench", "node_client.js")
RESULTS_MD = os.path.join(TOP, "bench", "RESULTS.md")
RESULTS_JSON = os.path.join(TOP, "bench", "results.json")

QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = 3 if QUICK else 11              # figure 1: alternating rounds
BATCH = {"python": 500 if QUICK else 1000,   # requests per batch
         "node": 400 if QUICK else 1000,
         "c": 1000 if QUICK else 3000}
WARMUP_BATCHES = 2 if QUICK else 5
NOLOSS_SECS = 5 if QUICK else 30         # figure 2
SWEEP = [(20000, 4)] if QUICK else [(15000, 8), (20000, 8), (30000, 8), (0, 8)]
ATTACH_RUNS = 3 if QUICK else 7          # figure 4
MEM_SECS = 4 if QUICK else 10            # figure 5
UNTRACED_ROUNDS = 3 if QUICK else 6      # figure 6
CURL_PROCS = 15 if QUICK else 30
CURL_URLS = 300 if QUICK else 1500
SYSCALL_PAIRS = 50000 if QUICK else 200000

TARGETS = {
    "ratio": 1.2, "no_loss_rate": 10000, "collector_rps": 500000,
    "attach_ms": 100, "rss_mb": 16, "untraced_ratio": 1.05,
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --- processes -----------------------------------------------------------------

def wait_line(proc, what, timeout=30):
    """The next stdout line of proc (text mode), or fail."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        raise RuntimeError("%s: no output within %ds" % (what, timeout))
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("%s: ended (status %s)" % (what, proc.poll()))
    return line.strip()


def probewait(pid, state="live", timeout_ms=15000):
    r = subprocess.run([PROBEWAIT, "-p", str(pid), "-s", state, "-T", str(timeout_ms)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("probes in pid %d never became %s: %s" % (pid, state, r.stderr.strip()))
    return float(r.stdout.split("=")[1])


def read_summary(path):
    """The summary event of an authtrace NDJSON file (None if absent)."""
    summary = None
    try:
        with open(path) as f:
            for line in f:
                if line.startswith('{"type":"summary"'):
                    summary = json.loads(line)
    except FileNotFoundError:
        pass
    return summary


def proc_cpu(pid):
    """utime + stime of pid, in seconds (None if gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def bpf_prog_names(ids):
    """{prog_id: name} for the given BPF program ids (bpftool; {} without it)."""
    try:
        out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                             timeout=30).stdout
        return {p["id"]: p.get("name", "?") for p in json.loads(out) if p["id"] in ids}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


def bpf_prog_stats(pid):
    """{prog_id: (run_cnt, run_time_ns, prog_type)} of the BPF programs pid holds open."""
    out = {}
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                kv = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except OSError:
            continue
        if "prog_id" in kv and "run_cnt" in kv:
            out[int(kv["prog_id"])] = (int(kv["run_cnt"]), int(kv["run_time_ns"]),
                                       int(kv["prog_type"]))
    return out


class BpfStats:
    """kernel.bpf_stats_enabled on for a while (restored after)."""
    PATH = "/proc/sys/kernel/bpf_stats_enabled"

    def __enter__(self):
        self.old = open(self.PATH).read().strip()
        with open(self.PATH, "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open(self.PATH, "w") as f:
            f.write(self.old)


def stop(proc, sig=signal.SIGINT, timeout=60):
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Tracer:
    """authtrace -p, or the floor loader, attached to pid until detach()."""

    def __init__(self, bench, mode, pid):
        self.mode, self.pid, self.proc, self.out = mode, pid, None, None
        # Someone else's uprobes in our client (another authtrace, e.g. --all, run by
        # a test on this shared host) would be measured as ours: wait them out.
        if probewait(pid, "gone", 120000) > 5:
            bench.interference += 1
            log("    another tracer's uprobes were in pid %d: waited for them to go" % pid)
        if mode == "untraced":
            return
        if mode == "authtrace":
            self.out = bench.tmp("at-%d-%d.json" % (pid, bench.next_id()))
            self.err = open(self.out + ".err", "w")
            self.proc = subprocess.Popen([AT, "-j", "-q", "-o", self.out, "-p", str(pid)],
                                         stdout=subprocess.DEVNULL, stderr=self.err)
        else:
            args = [FLOOR, "-p", str(pid)] + (["-t"] if mode == "floor_ut" else [])
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
            wait_line(self.proc, "floor loader")
        probewait(pid, "live")

    def detach(self):
        """Stop; wait until the target is free of probes; authtrace's summary."""
        if not self.proc:
            return None
        stop(self.proc)
        probewait(self.pid, "gone", 30000)
        return read_summary(self.out) if self.out else None


# --- the benchmark ---------------------------------------------------------------

class Bench:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authtrace-bench.")
        self.procs = []
        self.counter = 0
        self.results = {}
        self.notes = []
        self.interference = 0

    def tmp(self, name):
        return os.path.join(self.dir, name)

    def next_id(self):
        self.counter += 1
        return self.counter

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- setup --
    def setup(self):
        self.cert, self.key = self.tmp("cert.pem"), self.tmp("key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key,
                        "-out", self.cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        portfile = self.tmp("port")
        self.server = self.spawn([SERVER, self.cert, self.key, portfile])
        for _ in range(100):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.05)
        self.port = int(open(portfile).read())
        self.python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        self.node = shutil.which("node")

    def machine(self):
        cpu = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem_kb = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem_kb = int(line.split()[1])

        def version(args):
            try:
                return subprocess.run(args, capture_output=True, text=True).stdout.strip().splitlines()[0]
            except (OSError, IndexError):
                return "n/a"
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "mem_gib": round(mem_kb / 1048576, 1),
            "openssl": version(["openssl", "version"]),
            "python": version([self.python, "--version"]),
            "node": version([self.node, "--version"]) if self.node else "n/a",
            "authtrace": version([AT, "--version"]),
            "loadavg_start": open("/proc/loadavg").read().split()[:3],
        }

    # -- clients with a batch protocol: a line N -> N requests -> seconds --
    def client(self, kind):
        if kind == "python":
            args = [self.python, PY_CLIENT, str(self.port), self.cert]
        elif kind == "node":
            args = [self.node, NODE_CLIENT, str(self.port)]
        else:
            args = [LOADGEN, "-p", str(self.port), "-B"]
        p = self.spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if wait_line(p, kind + " client") != "ready":
            raise RuntimeError(kind + " client did not start")
        return p

    @staticmethod
    def batch(p, n):
        """n requests; (wall seconds, CPU seconds of the client process)."""
        p.stdin.write("%d\n" % n)
        p.stdin.flush()
        wall, cpu = wait_line(p, "client batch", 300).split()
        return float(wall), float(cpu)

    # 1 ---------------------------------------------------------------------------
    def fig_probe_cost(self, kind):
        n = BATCH[kind]
        log("[1] probe cost, %s: %d rounds x 4 modes x %d requests" % (kind, ROUNDS, n))
        p = self.client(kind)
        for _ in range(WARMUP_BATCHES):   # node's JIT settles over thousands of requests
            self.batch(p, n)
        modes = ["untraced", "authtrace", "floor_u", "floor_ut"]
        cpu = {m: [] for m in modes}     # client CPU µs per request
        wall = {m: [] for m in modes}    # wall µs per request
        reported_ok = True
        for r in range(ROUNDS):
            order = modes[r % 4:] + modes[:r % 4]
            for m in order:
                t = Tracer(self, m, p.pid)
                w, c = self.batch(p, n)
                s = t.detach()
                if m == "authtrace" and (not s or s["requests"] < n or s["lost"] != 0):
                    reported_ok = False
                    log("    authtrace summary: %s" % s)
                cpu[m].append(c / n * 1e6)
                wall[m].append(w / n * 1e6)
        # diagnostic (after the rounds, not in them): the run time of authtrace's
        # BPF programs per request (kernel.bpf_stats_enabled), to tell the
        # programs' own cost from what happens around them
        bpf_ns, by_prog = None, {}
        try:
            t = Tracer(self, "authtrace", p.pid)
            with BpfStats():
                before = bpf_prog_stats(t.proc.pid)
                self.batch(p, n)
                after = bpf_prog_stats(t.proc.pid)
            names = bpf_prog_names(set(after))
            t.detach()
            # uprobes (BPF_PROG_TYPE_KPROBE = 2) fire only in the traced client; the
            # tracepoints (5) fire for every process on the host and are left out
            up = [k for k in after if after[k][2] == 2]
            bpf_ns = sum(after[k][1] - before.get(k, (0, 0))[1] for k in up) / n
            bpf_runs = sum(after[k][0] - before.get(k, (0, 0))[0] for k in up) / n
            for k in up:
                runs = after[k][0] - before.get(k, (0, 0))[0]
                if runs:
                    by_prog[names.get(k, str(k))] = {
                        "runs_per_request": round(runs / n, 1),
                        "ns_per_run": round((after[k][1] - before.get(k, (0, 0))[1]) / runs)}
        except (OSError, RuntimeError) as e:
            log("    bpf stats: %s" % e)
        p.stdin.write("q\n")
        p.stdin.flush()
        p.wait(10)

        # a floor that measured no overhead (noise) has no ratio: None, not inf
        def ratios(d, floor):
            out = []
            for i in range(ROUNDS):
                u, a, f = d["untraced"][i], d["authtrace"][i], d[floor][i]
                if f - u > 0:
                    out.append((a - u) / (f - u))
            return out

        def ratio_of(pick, d, floor):
            u, a, f = pick(d["untraced"]), pick(d["authtrace"]), pick(d[floor])
            return round((a - u) / (f - u), 2) if f - u > 0 else None

        def overhead(d, m):
            return round((median(d[m]) / median(d["untraced"]) - 1) * 100, 1)
        res = {"requests_per_batch": n, "rounds": ROUNDS, "every_request_reported": reported_ok,
               "bpf_prog_us_per_request": round(bpf_ns / 1000, 2) if bpf_ns is not None else None,
               "bpf_prog_runs_per_request": round(bpf_runs, 1) if bpf_ns is not None else None,
               "bpf_prog_by_program": by_prog}
        for name, d in (("cpu", cpu), ("wall", wall)):
            round_ratios = ratios(d, "floor_u")
            res[name] = {
                "us_per_request": {m: round(median(v), 1) for m, v in d.items()},
                "raw_us_per_request": {m: [round(x, 1) for x in v] for m, v in d.items()},
                "overhead_pct": {m: overhead(d, m) for m in modes[1:]},
                # the figure: from the per-mode medians of the alternating rounds
                "ratio_vs_uprobe_floor": ratio_of(median, d, "floor_u"),
                "ratio_vs_full_floor": ratio_of(median, d, "floor_ut"),
                # cross-checks: from the per-mode minimums; median of per-round ratios
                "ratio_vs_uprobe_floor_min": ratio_of(min, d, "floor_u"),
                "ratio_vs_uprobe_floor_round_median": (round(median(round_ratios), 2)
                                                       if round_ratios else None),
            }
            u = res[name]["us_per_request"]
            res[name]["extra_us_vs_uprobe_floor"] = round(u["authtrace"] - u["floor_u"], 1)
        return res

    # 2 ---------------------------------------------------------------------------
    def loaded_run(self, rate, secs, procs=4):
        """authtrace -- loadgen: (loadgen's line, authtrace summary, authtrace CPU s)."""
        out = self.tmp("noloss-%d.json" % self.next_id())
        args = [AT, "-j", "-q", "-o", out, "--", LOADGEN, "-p", str(self.port), "-P", str(procs),
                "-r", str(rate), "-d", str(secs)]
        p = self.spawn(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cpu0, cpu_last = None, None
        while p.poll() is None:
            c = proc_cpu(p.pid)
            if c is not None:
                cpu0 = c if cpu0 is None else cpu0
                cpu_last = c
            time.sleep(0.5)
        stdout, stderr = p.communicate()
        m = re.search(r"requests=(\d+) seconds=([\d.]+) rate=([\d.]+) errors=(\d+)", stdout)
        if not m:
            raise RuntimeError("loadgen under authtrace failed: %s %s" % (stdout, stderr))
        lg = {"requests": int(m.group(1)), "seconds": float(m.group(2)),
              "rate": float(m.group(3)), "errors": int(m.group(4))}
        s = read_summary(out) or {}
        ok = (s.get("requests") == lg["requests"] and s.get("responses") == lg["requests"]
              and s.get("lost") == 0 and s.get("heads_lost") == 0 and lg["errors"] == 0)
        cpu = (cpu_last - cpu0) if cpu0 is not None else None
        return {"target_rate": rate, "achieved_rate": round(lg["rate"]), "seconds": lg["seconds"],
                "requests_made": lg["requests"], "requests_reported": s.get("requests"),
                "responses_reported": s.get("responses"), "lost": s.get("lost"),
                "heads_lost": s.get("heads_lost"), "zero_loss": ok,
                "authtrace_cpu_pct": round(cpu / lg["seconds"] * 100, 1) if cpu is not None else None}

    def fig_no_loss(self):
        log("[2] no loss: 4 processes at 10,000 req/s for %d s" % NOLOSS_SECS)
        main = self.loaded_run(10000, NOLOSS_SECS)
        sweep = []
        for rate, secs in SWEEP:
            log("    sweep: %s req/s for %d s" % (rate or "max", secs))
            r = self.loaded_run(rate, secs)
            sweep.append(r)
            if not r["zero_loss"]:
                break
        best = max([r["achieved_rate"] for r in [main] + sweep if r["zero_loss"]], default=0)
        return {"main": main, "sweep": sweep, "highest_zero_loss_rate": best}

    # 3 ---------------------------------------------------------------------------
    def fig_collector(self):
        log("[3] collector throughput (bench/replay)")
        res = {}
        for name, args in [("full", ["-s", "full"]), ("full_pinned", ["-s", "full", "-P"]),
                           ("rules", ["-s", "rules"]), ("parse", ["-s", "parse"]),
                           ("full_kernel_hints", ["-s", "full", "-k"]),
                           ("full_gone_pids", ["-s", "full", "-F"])]:
            runs = ["-r", "3", "-p", "1"] if QUICK else ["-r", "5", "-p", "2"]
            r = subprocess.run([REPLAY] + args + runs, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("replay %s failed: %s%s" % (args, r.stdout, r.stderr))
            res[name] = json.loads(r.stdout)
        res["reference"] = self.reference_parser()
        res["hot_spots"] = self.callgrind_hot_spots()
        return res

    def reference_parser(self):
        """llhttp tokenizing the same heads, alternating with the parse stage (pinned)."""
        if not os.access(REFPARSE, os.X_OK):
            return {"skipped": "bench/refparse not built: llhttp's sources are missing "
                               "(apt-get install node-llhttp, then make bench)"}
        pairs = []
        for _ in range(3 if QUICK else 7):
            got = {}
            for key, cmd in (("parse_stage", [REPLAY, "-s", "parse", "-P", "-r", "3", "-p", "1"]),
                             ("llhttp", [REFPARSE, "-P", "-r", "3"])):
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError("%s failed: %s%s" % (cmd[0], r.stdout, r.stderr))
                got[key] = json.loads(r.stdout)
            pairs.append(got)
        return {
            "parser": pairs[0]["llhttp"]["parser"],
            "pairs": [{k: p[k]["rps_per_cpu_second"] for k in p} for p in pairs],
            "llhttp_rps_per_cpu_second": round(median([p["llhttp"]["rps_per_cpu_second"] for p in pairs])),
            "parse_stage_rps_per_cpu_second": round(median([p["parse_stage"]["rps_per_cpu_second"]
                                                            for p in pairs])),
            # >1: llhttp is faster; per pair, so that both saw the same host
            "llhttp_over_parse_stage": round(median([p["llhttp"]["rps_per_cpu_second"]
                                                     / p["parse_stage"]["rps_per_cpu_second"]
                                                     for p in pairs]), 2),
            "fields_per_request": pairs[0]["llhttp"]["fields_per_request"],
        }

    def callgrind_hot_spots(self):
        """Self cost by function (instructions, callgrind), if valgrind is here."""
        if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
            return None
        out = self.tmp("callgrind.out")
        n = 2000
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            "--toggle-collect=run_passes", REPLAY, "-n", str(n), "-r", "1", "-p", "2"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        ann = subprocess.run(["callgrind_annotate", "--inclusive=no", out],
                             capture_output=True, text=True).stdout
        total, rows = None, []
        for line in ann.splitlines():
            m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+)", line)
            if not m:
                continue
            ir, where = int(m.group(1).replace(",", "")), m.group(3)
            if where == "PROGRAM":
                total = ir
                continue
            fn = where.split(":")[-1] if ":" in where else where
            src = where.rsplit(":", 1)[0].split("/")[-1] if ":" in where else ""
            rows.append({"function": fn, "file": src, "pct": float(m.group(2))})
            if len(rows) == 15:
                break
        return {"requests": 2 * n, "instructions_total": total, "top_self": rows,
                "instructions_per_request": round(total / (2 * n)) if total else None}

    # 4 ---------------------------------------------------------------------------
    def fig_attach(self):
        if not self.node:
            return {"skipped": "node not installed"}
        log("[4] attach latency: -p on a running node, %d runs" % ATTACH_RUNS)
        node = self.spawn([self.node, NODE_CLIENT, str(self.port), "every", "2"],
                          stdout=subprocess.PIPE, text=True)
        wait_line(node, "node client")
        exe_mb = os.path.getsize(os.path.realpath("/proc/%d/exe" % node.pid)) / 1e6
        runs = []
        for i in range(ATTACH_RUNS):
            res, out = self.tmp("attach-%d.txt" % i), self.tmp("attach-%d.json" % i)
            # someone else's uprobes in node would read as "live" at once: wait them out
            if probewait(node.pid, "gone", 120000) > 5:
                self.interference += 1
                log("    another tracer's uprobes were in node: waited for them to go")
            at = subprocess.Popen([PROBEWAIT, "-p", str(node.pid), "-o", res, "-T", "15000", "--",
                                   AT, "-j", "-q", "-o", out, "-p", str(node.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(300):
                if os.path.exists(res) and os.path.getsize(res):
                    break
                time.sleep(0.05)
            time.sleep(0.3)   # a few requests under trace
            stop(at)
            probewait(node.pid, "gone", 30000)
            vals = dict(kv.split("=") for kv in open(res).read().split())
            t0 = float(vals["t0_ns"])
            first_req = None
            with open(out) as f:
                for line in f:
                    m = re.search(r'"path":"/v1/messages\?t=(\d+)"', line)
                    if m:
                        first_req = (int(m.group(1)) - t0) / 1e6
                        break
            runs.append({"first_probe_ms": float(vals["first_ms"]), "all_probes_ms": float(vals["all_ms"]),
                         "probes": int(vals["probes"]), "first_request_seen_ms": first_req})
        stop(node, signal.SIGTERM)
        return {
            "executable_mb": round(exe_mb, 1), "runs": runs, "bpf_load": self.bpf_load_breakdown(),
            "all_probes_ms": round(median([r["all_probes_ms"] for r in runs]), 1),
            "all_probes_best_ms": round(min(r["all_probes_ms"] for r in runs), 1),
            "first_probe_ms": round(median([r["first_probe_ms"] for r in runs]), 1),
            "first_request_seen_ms": round(median([r["first_request_seen_ms"] for r in runs
                                                   if r["first_request_seen_ms"] is not None]), 1),
        }

    def bpf_load_breakdown(self):
        """bench/bpfload: authtrace's BPF object load + ring buffer mapping, as is and
        with what would shorten it (smaller maps; a minimized BTF for CO-RE)."""
        out = {}
        bpfo = os.path.join(TOP, "build", "authtrace.bpf.o")
        minbtf = self.tmp("min.btf")
        have_min = (shutil.which("bpftool") and subprocess.run(
            ["bpftool", "gen", "min_core_btf", "/sys/kernel/btf/vmlinux", minbtf, bpfo],
            capture_output=True).returncode == 0)
        configs = [("as_built", []), ("maps_shrunk", ["-s"])]
        # what authtrace itself relocates against once the cache holds it (user/btfmin.c)
        cached = sorted(glob.glob("/var/cache/authtrace/btf-*"), key=os.path.getmtime)
        if cached:
            configs.append(("btfmin", ["-b", cached[-1]]))
        if have_min:
            configs += [("min_btf", ["-b", minbtf]), ("min_btf_maps_shrunk", ["-s", "-b", minbtf])]
        for name, args in configs:
            r = subprocess.run([BPFLOAD, "-r", "3" if QUICK else "7"] + args,
                               capture_output=True, text=True)
            if r.returncode == 0:
                out[name] = json.loads(r.stdout)
        return out

    # 5 ---------------------------------------------------------------------------
    def fig_memory(self):
        log("[5] memory: 100 keep-alive TLS connections for %d s" % MEM_SECS)
        lg = self.spawn([LOADGEN, "-p", str(self.port), "-c", "100", "-r", "3000", "-d", str(MEM_SECS),
                         "-W"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        wait_line(lg, "loadgen")
        out = self.tmp("mem.json")
        at = subprocess.Popen([AT, "-j", "-q", "-o", out, "-p", str(lg.pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probewait(lg.pid, "live")
        lg.stdin.write("go\n")
        lg.stdin.flush()
        smaps = None
        status = {}
        t_end = time.time() + MEM_SECS + 30
        while lg.poll() is None and time.time() < t_end:
            try:
                with open("/proc/%d/status" % at.pid) as f:
                    status = {l.split(":")[0]: int(l.split()[1]) for l in f
                              if l.startswith(("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"))}
                with open("/proc/%d/smaps" % at.pid) as f:
                    smaps = f.read()
            except FileNotFoundError:
                break
            time.sleep(0.5)
        line = lg.stdout.readline()
        lg.wait()
        _, st, _ = os.wait4(at.pid, 0)
        at.returncode = os.waitstatus_to_exitcode(st)
        m = re.search(r"requests=(\d+)", line)
        made = int(m.group(1)) if m else None
        s = read_summary(out) or {}
        ring_kb = 0
        if smaps:
            cur = None
            for l in smaps.splitlines():
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", l):
                    cur = l
                elif l.startswith("Rss:") and cur and "bpf-map" in cur:
                    ring_kb += int(l.split()[1])
        # VmHWM of authtrace's own address space, from its last sample (RSS only
        # falls after it, at exit).  Not ru_maxrss: it also counts the forked
        # python before exec, which is bigger than authtrace.
        peak_mb = status.get("VmHWM", 0) / 1024
        return {
            "connections": 100, "requests_made": made, "requests_reported": s.get("requests"),
            "lost": s.get("lost"), "peak_rss_mb": round(peak_mb, 1),
            "last_sample_kb": status, "bpf_map_mappings_rss_mb": round(ring_kb / 1024, 1),
            "peak_rss_without_bpf_map_mappings_mb": round(peak_mb - ring_kb / 1024, 1),
        }

    # 6 ---------------------------------------------------------------------------
    def fig_untraced(self):
        log("[6] untraced curl while authtrace traces another libssl process, %d rounds"
            % UNTRACED_ROUNDS)
        traced = self.client("python")   # idle; maps the same libssl.so.3
        curl = shutil.which("curl")
        url = "https://127.0.0.1:%d/v1/models" % self.port
        hdr = "x-api-key: sk-ant-api03-BenchCurl" + "0" * 84 + "AA"
        loop = ("i=0; while [ $i -lt %d ]; do %s -sk -o /dev/null -H '%s' %s || exit 1; "
                "i=$((i+1)); done" % (CURL_PROCS, curl, hdr, url))
        keepalive = [curl, "-sk", "-H", hdr, "%s?i=[1-%d]" % (url, CURL_URLS)]

        def timed(args, shell=False):
            """(wall s, CPU s of the workload's processes: user + system, from wait4)."""
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(args, shell=shell, check=True, stdout=subprocess.DEVNULL)
            t1 = time.perf_counter()
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        modes = ("baseline", "traced", "floor")
        work = (("procs", loop, True), ("keepalive", keepalive, False),
                ("syscalls", [SYSLOOP, str(SYSCALL_PAIRS)], False))
        times = {(mode, w, metric): [] for mode in modes for w, _, _ in work for metric in (0, 1)}
        seen_by_authtrace = 0
        timed(loop, True)
        timed(keepalive)
        for r in range(UNTRACED_ROUNDS):
            for mode in modes[r % 3:] + modes[:r % 3]:
                t = Tracer(self, {"baseline": "untraced", "traced": "authtrace",
                                  "floor": "floor_ut"}[mode], traced.pid)
                for w, args, shell in work:
                    res = timed(args, shell)
                    for metric in (0, 1):
                        times[(mode, w, metric)].append(res[metric])
                s = t.detach()
                if s:
                    seen_by_authtrace += s.get("requests", 0)
        traced.stdin.write("q\n")
        traced.stdin.flush()

        def summary(w, metric, mode="traced"):
            b, t = times[("baseline", w, metric)], times[(mode, w, metric)]
            return {"baseline_s": round(median(b), 4), "traced_s": round(median(t), 4),
                    "ratio": round(median([t[i] / b[i] for i in range(UNTRACED_ROUNDS)]), 3),
                    "baseline_spread": round(max(b) / min(b), 3)}
        out = {"requests_authtrace_saw": seen_by_authtrace}
        for w, label, count in (("procs", "curl_process_loop", CURL_PROCS),
                                ("keepalive", "curl_keepalive", CURL_URLS),
                                ("syscalls", "syscall_loop", SYSCALL_PAIRS)):
            out[label] = {"count": count, "cpu": summary(w, 1), "wall": summary(w, 0),
                          "floor_cpu": summary(w, 1, "floor")}
        out["curl_process_loop"]["processes"] = CURL_PROCS
        out["curl_keepalive"]["requests"] = CURL_URLS
        out["syscall_loop"]["ns_per_pair_extra"] = round(
            (out["syscall_loop"]["cpu"]["traced_s"] - out["syscall_loop"]["cpu"]["baseline_s"])
            / SYSCALL_PAIRS * 1e9, 1)
        out["syscall_loop"]["floor_ns_per_pair_extra"] = round(
            (out["syscall_loop"]["floor_cpu"]["traced_s"] - out["syscall_loop"]["cpu"]["baseline_s"])
            / SYSCALL_PAIRS * 1e9, 1)
        return out


# --- report ------------------------------------------------------------------------

def verdict(ok):
    return "met" if ok else "**not met**"


def fmt_ratio(x):
    return "%.2f" % x if x is not None else "n/a (that floor measured no overhead)"


def table_rows(R):
    rows = []
    for kind in ("c", "python", "node"):
        f = R.get("probe_cost_" + kind)
        if f:
            c, w = f["cpu"], f["wall"]
            rows.append(("1. probe cost, %s: (authtrace−untraced)/(floor−untraced)" % kind,
                         "≤ %.1f" % TARGETS["ratio"],
                         "%s vs uprobe floor (%s vs uprobes+tracepoints) in client CPU; "
                         "overhead %+.0f%% CPU, %+.0f%% wall (floor %+.0f%%, %+.0f%%)"
                         % (fmt_ratio(c["ratio_vs_uprobe_floor"]), fmt_ratio(c["ratio_vs_full_floor"]),
                            c["overhead_pct"]["authtrace"], w["overhead_pct"]["authtrace"],
                            c["overhead_pct"]["floor_u"], w["overhead_pct"]["floor_u"]),
                         verdict(c["ratio_vs_uprobe_floor"] is not None
                                 and c["ratio_vs_uprobe_floor"] <= TARGETS["ratio"]
                                 and f["every_request_reported"])))
    f = R.get("no_loss")
    if f:
        m = f["main"]
        full_rate = m["achieved_rate"] >= 0.95 * TARGETS["no_loss_rate"]
        rows.append(("2. no loss at 10,000 req/s, %.0f s" % m["seconds"], "all reported, lost 0",
                     "%d/%d reported, lost %s, at %d req/s; highest zero-loss rate %d req/s%s"
                     % (m["requests_reported"] or 0, m["requests_made"], m["lost"],
                        m["achieved_rate"], f["highest_zero_loss_rate"],
                        "" if full_rate else " (clients could not reach 10,000 req/s)"),
                     verdict(m["zero_loss"]) if full_rate or not m["zero_loss"]
                     else "not shown: the load fell short"))
    f = R.get("collector")
    if f:
        full = f["full"]
        rows.append(("3. collector throughput (one core)", "≥ 500,000 req/s",
                     "%s req/s per CPU-second (%s req/s wall, pinned: %s)"
                     % (format(full["rps_per_cpu_second"], ","), format(full["rps_median"], ","),
                        format(f["full_pinned"]["rps_median"], ",")),
                     verdict(full["rps_per_cpu_second"] >= TARGETS["collector_rps"])))
    f = R.get("attach")
    if f and "skipped" not in f:
        rows.append(("4. attach latency, -p on node (%.0f MB)" % f["executable_mb"], "≤ 100 ms",
                     "%.0f ms until every uprobe is live (median; best %.0f ms; first uprobe %.0f ms)"
                     % (f["all_probes_ms"], f["all_probes_best_ms"], f["first_probe_ms"]),
                     verdict(f["all_probes_ms"] <= TARGETS["attach_ms"])))
    f = R.get("memory")
    if f:
        rows.append(("5. peak RSS, 100 connections", "≤ 16 MB",
                     "%.1f MB (of which BPF map mappings %.1f MB; rest %.1f MB)"
                     % (f["peak_rss_mb"], f["bpf_map_mappings_rss_mb"],
                        f["peak_rss_without_bpf_map_mappings_mb"]),
                     verdict(f["peak_rss_mb"] <= TARGETS["rss_mb"])))
    f = R.get("untraced")
    if f:
        a, b, c = f["curl_process_loop"], f["curl_keepalive"], f["syscall_loop"]
        worst = max(a["cpu"]["ratio"], b["cpu"]["ratio"], c["cpu"]["ratio"])
        rows.append(("6. untraced processes: CPU while another process is traced / baseline",
                     "same speed (≤ 1.05)",
                     "%.3f (curl ×%d processes), %.3f (one curl, %d requests), %.3f (write+read "
                     "loop: +%.0f ns per pair; empty tracepoints: +%.0f ns)"
                     % (a["cpu"]["ratio"], a["processes"], b["cpu"]["ratio"], b["requests"],
                        c["cpu"]["ratio"], c["ns_per_pair_extra"], c["floor_ns_per_pair_extra"]),
                     verdict(worst <= TARGETS["untraced_ratio"] and f["requests_authtrace_saw"] == 0)))
    return rows


def print_table(rows):
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("figure", "target", "result", "verdict")
    w = [max(w[i], len(head[i])) for i in range(4)]
    fmt = "  ".join("%%-%ds" % x for x in w)
    print(fmt % head)
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(fmt % r)


def write_markdown(R, rows):
    M = R["machine"]
    L = []
    add = L.append
    add("# authtrace benchmark results")
    add("")
    add("Generated by `make bench` (bench/run.py)%s on %s. Raw figures: `bench/results.json`."
        % (" in QUICK mode (not reference figures)" if QUICK else "", M["date"]))
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    add("| CPU | %s, %d cores (nproc) |" % (M["cpu"], M["nproc"]))
    add("| memory | %.1f GiB |" % M["mem_gib"])
    add("| kernel | %s |" % M["kernel"])
    add("| load average at start / end | %s / %s |" % (" ".join(M["loadavg_start"]),
                                                      " ".join(M["loadavg_end"])))
    add("| software | %s, %s, node %s, %s |" % (M["openssl"], M["python"], M["node"], M["authtrace"]))
    add("| bench duration | %s s |" % M.get("bench_seconds", "?"))
    add("| other tracers seen | %d time(s) another tracer's uprobes were in a bench client (waited out "
        "before measuring; its global tracepoints, if any, weigh on every mode alike) |"
        % M.get("foreign_uprobes_waited_out", 0))
    add("")
    add("A VM on a shared host, with other jobs running during the bench (see the load average): "
        "absolute times drift, so every figure is a ratio or a median of alternating runs measured "
        "side by side in the same run, and the bench runs at nice -20. Expect run-to-run spread of "
        "about ±0.2 on the figure-1 ratios and a few % on figure 6.")
    add("")
    add("## Summary")
    add("")
    add("| figure | target | result | verdict |")
    add("|---|---|---|---|")
    for r in rows:
        add("| %s | %s | %s | %s |" % r)
    add("")
    for section in R.get("sections", []):
        L.extend(section)
        add("")
    if os.path.exists(ANALYSIS_MD):
        with open(ANALYSIS_MD) as f:
            L.append(f.read().rstrip())
    with open(RESULTS_MD, "w") as f:
        f.write("\n".join(L) + "\n")


def bpf_load_rows(b):
    if not b:
        return []
    label = {"as_built": "against the kernel's full BTF (a first run, before the cache)",
             "btfmin": "against authtrace's reduced BTF (user/btfmin.c, from the cache: every later run)",
             "maps_shrunk": "ring buffer 4 MiB, hash/LRU maps ≤ 8192 entries",
             "min_btf": "CO-RE against a minimized BTF (`bpftool gen min_core_btf`)",
             "min_btf_maps_shrunk": "both"}
    rows = ["", "Breakdown of the BPF part (bench/bpfload: authtrace's own skeleton opened and "
            "loaded as user/tracer.c does, then the ring buffer's consumer mapping; median of runs):",
            "", "| BPF object | open + load | ring_buffer__new |", "|---|---|---|"]
    for k, v in b.items():
        rows.append("| %s | %.1f ms | %.1f ms |" % (label.get(k, k), v["load_ms"], v["ringbuf_ms"]))
    return rows


def by_program_text(progs):
    """ '; by program: ssl_write 1 x 1.19 µs, ...' from bpf_prog_by_program, '' without it."""
    if not progs:
        return ""
    return "; by program, runs per request × µs a run: " + ", ".join(
        "`%s` %s × %.2f" % (name, v["runs_per_request"], v["ns_per_run"] / 1000)
        for name, v in sorted(progs.items()))


def sections(R):
    """The per-figure method and detail text (figures filled in from this run)."""
    S = []
    first = True
    for kind in ("c", "python", "node"):
        f = R.get("probe_cost_" + kind)
        if not f:
            continue
        c, w = f["cpu"], f["wall"]
        uc, uw = c["us_per_request"], w["us_per_request"]
        what = {"python": "python http.client → libssl.so.3 SSL_write_ex/SSL_read_ex, small POSTs",
                "node": "node https keep-alive agent → node's static SSL_write/SSL_read, small POSTs",
                "c": "bench/loadgen -B: C with libssl.so.3 SSL_write/SSL_read, Claude-Code-like "
                     "2 KB requests; the least noisy client"}[kind]
        if first:
            method = (
                "Method: one client process keeps one keep-alive TLS connection to a local server "
                "(bench/server.c) and makes batches of %d requests on request (%s). Four modes "
                "alternate, rotated each round, %d rounds, on the SAME client process: untraced; "
                "`authtrace -j -o FILE -p PID`; `bench/floor -p PID` (EMPTY BPF programs on exactly "
                "authtrace's uprobes: entry SSL_write, SSL_write_ex, SSL_read, SSL_read_ex, "
                "SSL_do_handshake, SSL_connect, SSL_free; return SSL_read, SSL_read_ex, "
                "SSL_do_handshake, SSL_connect; pid-scoped, in every mapped file defining "
                "SSL_write/SSL_write_ex, offsets from user/elfsym.c); `bench/floor -t -p PID` (the "
                "same plus an empty program on each of authtrace's 15 tracepoints). A mode starts "
                "only once bench/probewait sees every probed entry point patched in the client's "
                "memory (/proc/PID/mem differs from the file), and the next starts only once it is "
                "restored. authtrace's summary must count every request of its batch with lost = 0. "
                "The client reports each batch's wall time and its own CPU time (user + system: the "
                "trap, the uprobe handler and the BPF program run in the client, as system time). "
                "The ratio is taken on CPU time: on this shared host the wall time of a client is "
                "mostly time spent waiting for a CPU, and its noise is larger than the effect. "
                "Raw per-round figures are in bench/results.json."
                % (f["requests_per_batch"], what, f["rounds"]))
        else:
            method = ("Method: as above, with the %s client (%s), batches of %d requests, %d rounds."
                      % (kind, what, f["requests_per_batch"], f["rounds"]))
        first = False
        S.append([
            "## 1. Probe cost vs floor — %s" % kind,
            "",
            method,
            "",
            "| mode | client CPU µs/request | overhead | wall µs/request | overhead |",
            "|---|---|---|---|---|",
            "| untraced | %.1f | — | %.1f | — |" % (uc["untraced"], uw["untraced"]),
            "| empty uprobes (floor) | %.1f | %+.1f%% | %.1f | %+.1f%% |"
            % (uc["floor_u"], c["overhead_pct"]["floor_u"], uw["floor_u"], w["overhead_pct"]["floor_u"]),
            "| empty uprobes + tracepoints | %.1f | %+.1f%% | %.1f | %+.1f%% |"
            % (uc["floor_ut"], c["overhead_pct"]["floor_ut"], uw["floor_ut"], w["overhead_pct"]["floor_ut"]),
            "| authtrace | %.1f | %+.1f%% | %.1f | %+.1f%% |"
            % (uc["authtrace"], c["overhead_pct"]["authtrace"], uw["authtrace"], w["overhead_pct"]["authtrace"]),
            "",
            "(authtrace − untraced) / (floor − untraced) from the per-mode medians, client CPU: "
            "**%s** against the uprobe floor, %s against uprobes + tracepoints (cross-checks: "
            "from per-mode minimums %s, median of per-round ratios %s; on wall time %s). "
            "authtrace's own work on top of the uprobe floor: %.1f µs of client CPU per request. "
            "Every request reported: %s. Diagnostic batch with kernel.bpf_stats_enabled: "
            "authtrace's uprobe programs ran %s times per request, %s µs per request in total "
            "(their own run time, without the trap; it includes the ring-buffer submits and the "
            "wake-ups of the collector they raise)%s."
            % (fmt_ratio(c["ratio_vs_uprobe_floor"]), fmt_ratio(c["ratio_vs_full_floor"]),
               fmt_ratio(c["ratio_vs_uprobe_floor_min"]),
               fmt_ratio(c["ratio_vs_uprobe_floor_round_median"]), fmt_ratio(w["ratio_vs_uprobe_floor"]),
               c["extra_us_vs_uprobe_floor"], "yes" if f["every_request_reported"] else "NO",
               f["bpf_prog_runs_per_request"], f["bpf_prog_us_per_request"],
               by_program_text(f.get("bpf_prog_by_program"))),
        ])
    f = R.get("no_loss")
    if f:
        m = f["main"]
        rows = ["| target req/s | achieved | made | reported | responses | lost | heads lost | authtrace CPU | zero loss |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in [m] + f["sweep"]:
            rows.append("| %s | %d | %d | %s | %s | %s | %s | %s%% | %s |" % (
                r["target_rate"] or "max", r["achieved_rate"], r["requests_made"], r["requests_reported"],
                r["responses_reported"], r["lost"], r["heads_lost"], r["authtrace_cpu_pct"],
                "yes" if r["zero_loss"] else "**no**"))
        S.append([
            "## 2. No loss",
            "",
            "Method: `authtrace -j -o FILE -- bench/loadgen -P 4 -r RATE -d SECS`: 4 client processes "
            "(forked, so followed and probed by authtrace), one keep-alive TLS connection each "
            "(OpenSSL libssl.so.3 SSL_write/SSL_read), Claude-Code-like requests (~1.3 KB head, "
            "28 headers, ~0.7 KB JSON body; 70% x-api-key, 20% OAuth bearer, 10% OAuth token in "
            "x-api-key → a finding), paced to RATE in total. Zero loss = authtrace's summary counts "
            "exactly the requests loadgen completed, as many responses, `lost` = 0 and `heads_lost` "
            "= 0. Then a short sweep at higher rates (max = unpaced). authtrace CPU = its utime+stime "
            "over the run, % of one core.",
            "",
        ] + rows + ["", "Highest rate with zero loss: **%d req/s** (%s; the clients, the server "
                    "and authtrace share the 2 cores)." % (
                        f["highest_zero_loss_rate"],
                        "the next step of the sweep lost records" if f["sweep"] and not f["sweep"][-1]["zero_loss"]
                        else "the highest rate the machine generated under trace")])
    f = R.get("collector")
    if f:
        rows = ["| pipeline stages | req/s per CPU-second | req/s wall (median) | ns wall per request |",
                "|---|---|---|---|"]
        for name, label in [("parse", "decode + reassembly + HTTP/1 parse + credentials"),
                            ("rules", "… + rules"), ("full", "… + NDJSON output (the figure)"),
                            ("full_pinned", "full, process pinned to one CPU (writer thread too)"),
                            ("full_kernel_hints", "full + real bpf_map_update_elem hints"),
                            ("full_gone_pids", "full, events of processes that no longer exist "
                             "(or whose thread names differ from /proc/PID/comm)")]:
            r = f[name]
            rows.append("| %s | %s | %s | %s |" % (label, format(r["rps_per_cpu_second"], ","),
                                                  format(r["rps_median"], ","), r["ns_per_request"]))
        full = f["full"]
        txt = [
            "## 3. Collector throughput",
            "",
            "Method: bench/replay links build/libauthtrace.a and feeds it ring-buffer records built "
            "exactly as bpf/authtrace.bpf.c builds them (struct at_event_hdr + data; ≤ 512-byte "
            "writes in one small record, longer ones in 4 KiB chunks; stream offsets per connection "
            "direction; LAST_CHUNK flags; SSL_free closes): %d requests per run (Claude-Code-like "
            "heads as in figure 2, plus a 10%% share without credentials answered 401) and their "
            "responses (a 16-header SSE 200 head with its first event, or a 401 with a JSON error "
            "body) on %d connections of 30 processes (real idle child processes named like the events' "
            "comm, so the collector's /proc reads happen once per process, as live), %s record bytes "
            "per request. Each record goes "
            "through the calls of user/tracer.c's handle_record into a struct collector "
            "(user/collector.c, set up as the tracer does): event_decode → "
            "conn_feed/conn_close → rules_evaluate, output_request(proc_get), summary_add_request / "
            "output_response, summary_add_response; NDJSON through the real output queue and its "
            "writer thread to /dev/null. Checked: every request and response reported. The kernel "
            "hints are counted, not sent (no kernel), except in the row that says so. Median of %d runs. "
            "The figure is requests per CPU-second of the whole process (all threads): what one "
            "dedicated core sustains — robust on a shared host, where wall time includes time the "
            "process waited for a CPU."
            % (full["requests_per_run"], full["connections"], format(full["record_bytes_per_request"], ","),
               full["runs"]),
            "",
        ] + rows
        ref = f.get("reference")
        if ref and "skipped" not in ref:
            txt += ["", "Reference: %s, the HTTP/1 parser of node 20 (Debian's node-llhttp sources, "
                    "built -O2 like authtrace), only tokenizing the same request and response heads "
                    "(callbacks count %s field names a request; each parse stops at the end of its "
                    "head; the heads laid out one after the other like the replay's trace): %s req/s "
                    "per CPU-second, against %s for authtrace's parse stage (the first row: decoding, "
                    "reassembly, every byte validated, names recorded, credentials classified and "
                    "fingerprinted), %d alternating pairs, pinned; per pair, llhttp alone is %.2f× "
                    "as fast (median). Per-pair figures in results.json."
                    % (ref["parser"], ref["fields_per_request"],
                       format(ref["llhttp_rps_per_cpu_second"], ","),
                       format(ref["parse_stage_rps_per_cpu_second"], ","), len(ref["pairs"]),
                       ref["llhttp_over_parse_stage"])]
        elif ref:
            txt += ["", "Reference parser: skipped (%s)." % ref["skipped"]]
        hs = f.get("hot_spots")
        if hs:
            txt += ["", "Hot spots (callgrind, instructions in the replay loop, main thread: %s per "
                    "request; self cost by function): " % format(hs["instructions_per_request"], ",") + ", ".join("%s (%s) %.1f%%" % (r["function"], r["file"], r["pct"])
                                                 for r in hs["top_self"][:12]) + "."]
        S.append(txt)
    f = R.get("attach")
    if f and "skipped" not in f:
        rows = ["| run | first uprobe live | all uprobes live | first request reported was sent at |",
                "|---|---|---|---|"]
        for i, r in enumerate(f["runs"]):
            rows.append("| %d | %.1f ms | %.1f ms | %s |" % (
                i + 1, r["first_probe_ms"], r["all_probes_ms"],
                "%.1f ms" % r["first_request_seen_ms"] if r["first_request_seen_ms"] is not None else "—"))
        S.append([
            "## 4. Attach latency",
            "",
            "Method: a node process (%s MB executable, OpenSSL inside it) makes a request every 2 ms "
            "with its CLOCK_MONOTONIC send time in the path. bench/probewait takes t0, forks, and "
            "execs `authtrace -j -o FILE -p NODE` in its own pid; its child polls the target's "
            "memory every 0.5 ms until every probed entry point is patched (instrumentation-free: "
            "a live uprobe is a breakpoint in the process's copy of the function). Cross-check: the "
            "send time of the first request authtrace reported, minus t0 (an upper bound: requests "
            "are 2 ms apart). Median of %d runs; authtrace's BPF load, tracepoint attach, "
            "/proc/PID/maps scan, ELF symbol lookup and the uprobe attachments (%d entry points, "
            "11 uprobes with the 4 return probes) are all inside."
            % (f["executable_mb"], len(f["runs"]), f["runs"][0]["probes"] if f["runs"] else 0),
            "",
        ] + rows + ["", "Runs far above the median happen on this shared host (other jobs; at times "
                    "another authtrace run by tests attaching or detaching uprobes); their cause was "
                    "not isolated, so the median is the figure and the best run is shown beside it.",
                    "", "Median: first uprobe live %.1f ms (≈ start-up: exec, BPF load and "
                    "tracepoints, maps scan, symbol lookup); all live **%.1f ms**; first reported "
                    "request sent %.1f ms after t0." % (f["first_probe_ms"], f["all_probes_ms"],
                                                        f["first_request_seen_ms"])]
                  + bpf_load_rows(f.get("bpf_load") or {}))
    f = R.get("memory")
    if f:
        S.append([
            "## 5. Memory",
            "",
            "Method: `bench/loadgen -c 100 -r 3000 -W` opens 100 keep-alive TLS connections (after "
            "authtrace -p attached, so handshakes are traced too) and sends requests round-robin over "
            "them for %d s. Peak RSS = VmHWM of authtrace (/proc/PID/status, sampled every 0.5 s "
            "until it exits; not ru_maxrss from wait4(), which also counts the forked python before "
            "exec). "
            "The BPF map mappings figure is the Rss of `anon_inode:bpf-map` mappings in "
            "/proc/PID/smaps (the ring buffer: libbpf maps its data area twice, and the kernel "
            "populates the whole mapping at mmap time, so it is resident from start-up whatever the "
            "load)." % MEM_SECS,
            "",
            "| | |",
            "|---|---|",
            "| requests made / reported / lost | %s / %s / %s |" % (f["requests_made"], f["requests_reported"], f["lost"]),
            "| peak RSS (VmHWM) | **%.1f MB** |" % f["peak_rss_mb"],
            "| of which BPF map mappings (ring buffer) | %.1f MB |" % f["bpf_map_mappings_rss_mb"],
            "| peak RSS without them | %.1f MB |" % f["peak_rss_without_bpf_map_mappings_mb"],
            "| last sample (kB) | %s |" % ", ".join("%s %s" % kv for kv in f["last_sample_kb"].items()),
        ])
    f = R.get("untraced")
    if f:
        a, b, c = f["curl_process_loop"], f["curl_keepalive"], f["syscall_loop"]
        S.append([
            "## 6. Untraced processes pay nothing",
            "",
            "Method: an idle python client (libssl.so.3 mapped, one open TLS connection) is the "
            "traced process. Three workloads run untraced, rotating %d rounds between baseline "
            "(nothing attached), `authtrace -p PYTHON`, and the floor `bench/floor -t -p PYTHON` "
            "(empty uprobes on the python pid + empty programs on authtrace's 15 tracepoints): "
            "%d curl processes in a shell loop (exec, libssl mmap, handshake, one request each: "
            "authtrace's global exec/mmap/clone/exit/socket tracepoints); one curl making %d "
            "keep-alive requests (SSL_write/SSL_read in libssl.so.3, the inode authtrace has "
            "uprobes on for the python pid); bench/sysloop, %d write(2)+read(2) pairs on a UNIX "
            "socketpair (the syscalls authtrace's tracepoints watch). Measured: the CPU time "
            "(user + system) of the workload's processes (getrusage of waited children), and "
            "wall time. Ratio = while tracing another process / baseline, median of per-round "
            "ratios. authtrace must report none of these requests."
            % (UNTRACED_ROUNDS, a["processes"], b["requests"], c["count"]),
            "",
            "| workload | metric | baseline (median) | authtrace on another process | ratio | baseline max/min | ratio under the floor (empty programs) |",
            "|---|---|---|---|---|---|---|",
        ] + ["| %s | %s | %.4f s | %.4f s | %.3f | %.3f | %s |" % (
                label, metric, x[metric]["baseline_s"], x[metric]["traced_s"], x[metric]["ratio"],
                x[metric]["baseline_spread"], "%.3f" % x["floor_cpu"]["ratio"] if metric == "cpu" else "")
             for label, x in (("curl × %d processes" % a["processes"], a),
                              ("one curl, %d requests" % b["requests"], b),
                              ("write+read × %d" % c["count"], c))
             for metric in ("cpu", "wall")] + [
            "",
            "Per write+read pair: authtrace adds %.0f ns of CPU to a process it does not trace; "
            "empty programs on the same tracepoints add %.0f ns (enabling any syscall tracepoint "
            "sends every syscall of every process through the kernel's tracing entry/exit path)."
            % (c["ns_per_pair_extra"], c["floor_ns_per_pair_extra"]),
            "",
            "Requests of these workloads that authtrace reported: %d." % f["requests_authtrace_saw"],
        ])
    return S


def main():
    if os.geteuid() != 0:
        print("bench: needs root (loads BPF programs)", file=sys.stderr)
        return 1
    for exe in (AT, FLOOR, PROBEWAIT, SERVER, LOADGEN, REPLAY, BPFLOAD, SYSLOOP):
        if not os.access(exe, os.X_OK):
            print("bench: %s is not built (run make bench)" % exe, file=sys.stderr)
            return 1
    if sys.argv[1:] == ["--render"]:
        # rewrite RESULTS.md from results.json (e.g. after editing bench/ANALYSIS.md)
        with open(RESULTS_JSON) as f:
            R = json.load(f)
        rows = table_rows(R)
        R["sections"] = sections(R)
        write_markdown(R, rows)
        print_table(rows)
        return 0
    only = set(sys.argv[1:])   # e.g. run.py attach memory
    # The host is shared: run the bench and everything it starts (clients,
    # server, authtrace, the floor loader) at nice -20, so other work on the
    # machine takes as little of its CPU time as possible.  All modes alike.
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -20)
    except OSError:
        pass
    b = Bench()
    R = {}
    t_start = time.time()
    try:
        b.setup()
        R["machine"] = b.machine()
        steps = [("probe_cost_c", lambda: b.fig_probe_cost("c")),
                 ("probe_cost_python", lambda: b.fig_probe_cost("python")),
                 ("probe_cost_node", lambda: b.fig_probe_cost("node") if b.node else None),
                 ("no_loss", b.fig_no_loss), ("collector", b.fig_collector),
                 ("attach", b.fig_attach), ("memory", b.fig_memory), ("untraced", b.fig_untraced)]
        for name, fn in steps:
            if only and not any(o in name for o in only):
                continue
            r = fn()
            if r is not None:
                R[name] = r
    finally:
        b.cleanup()
    R["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    R["machine"]["foreign_uprobes_waited_out"] = b.interference
    R["machine"]["bench_seconds"] = round(time.time() - t_start)
    rows = table_rows(R)
    R["sections"] = sections(R)
    print()
    print_table(rows)
    print("\n(%d s; details in bench/RESULTS.md)" % R["machine"]["bench_seconds"])
    if not only:
        write_markdown(R, rows)
    with open(RESULTS_JSON if not only else RESULTS_JSON.replace(".json", "-partial.json"), "w") as f:
        json.dump({k: v for k, v in R.items() if k != "sections"}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
