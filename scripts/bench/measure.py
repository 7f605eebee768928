#!/usr/bin/env python3
"""Time raw `git diff` and `shipgate detect-changes` (run as the GitHub runner runs it) on the
repository made by gen_repo.py; print a Markdown table.

Wall time = median of N runs (after one unmeasured warm-up run per case). Peak RSS = the
largest `/usr/bin/time -f %M` over the runs: the command and the processes it waited for
(shipgate's own `git` child included).
The GITHUB_OUTPUT of the last run is checked against the change set that git reports.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# From the issue: dorny/paths-filter on this machine class (wall, peak RSS).
PATHS_FILTER = {"plain": "0.7 s / 84 MB", "md": "3.9 s / 127 MB", "git": "~0.1 s"}
TARGET_RATIO_PLAIN = 1.5  # x raw git diff
TARGET_SECONDS_MD = 0.2


def log(*a):
    print(*a, file=sys.stderr, flush=True)


TIME = "/usr/bin/time"


def run_once(argv, cwd, env, timeout, stderr_path):
    """Wall time (measured here) and peak RSS (from GNU time's wait4 on the command).

    Peak RSS is not taken from our own wait4(): a child forked from this (large) Python
    process inherits its RSS high-water mark at exec, so small commands would look big.
    """
    rss_path = stderr_path + ".rss"
    with open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-f", "%U %S %M", "-o", rss_path, *argv], cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                             start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, 9))
        timer.start()
        try:
            code = p.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    with open(rss_path) as f:
        lines = f.read().split()
    try:
        cpu = float(lines[-3]) + float(lines[-2])  # user + sys, children included
        peak = int(lines[-1]) * 1024  # GNU time %M is in KiB
    except (IndexError, ValueError):
        cpu, peak = 0.0, 0
    return wall, cpu, peak, code


def parse_github_output(data):
    """`name=value` lines and `name<<DELIM` ... `DELIM` blocks -> {name: str}."""
    out = {}
    lines = data.split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        eq, hd = line.find(b"="), line.find(b"<<")
        if hd != -1 and (eq == -1 or hd < eq):
            name, delim = line[:hd], line[hd + 2:]
            j = i + 1
            while j < len(lines) and lines[j] != delim:
                j += 1
            if j == len(lines):
                raise ValueError(f"unterminated value for {name!r}")
            out[name.decode()] = b"\n".join(lines[i + 1:j]).decode()
            i = j + 1
        elif eq != -1:
            out[line[:eq].decode()] = line[eq + 1:].decode()
            i += 1
        else:
            raise ValueError(f"unparsable line {line[:80]!r}")
    return out


def verify(case, output_path, meta):
    """Each filter pkgN must report exactly the files git reports for it."""
    with open(output_path, "rb") as f:
        outputs = parse_github_output(f.read())
    non_md = meta["changed"] - meta["changed_md"]
    problems = []
    for n in range(meta["packages"]):
        name = f"pkg{n}"
        if case == "plain":
            want = meta["changed_per_package"][n]
        else:  # 'packages/pkgN/**' OR '!**/*.md': every non-.md file, plus pkgN's .md files
            want = non_md + meta["changed_md_per_package"][n]
        got_flag = outputs.get(name)
        got_count = outputs.get(f"{name}_count")
        files = outputs.get(f"{name}_files")
        try:
            got_files = len(json.loads(files)) if files is not None else None
        except ValueError:
            got_files = "not JSON"
        if (got_flag, got_count, got_files) != ("true", str(want), want):
            problems.append(f"{name}: want true/{want}/{want} files, got "
                            f"{got_flag}/{got_count}/{got_files} files")
    try:
        changes = json.loads(outputs.get("changes", "null"))
    except ValueError:
        changes = None
    if not isinstance(changes, list) or len(changes) != meta["packages"]:
        problems.append(f"changes: want a JSON array of {meta['packages']} names, got "
                        f"{str(outputs.get('changes'))[:80]!r}")
    return problems


def fmt_s(s):
    return f"{s:.3f} s"


def fmt_mb(b):
    return f"{b / 1e6:.1f} MB"


def fmt_mib(b):
    return f"{b / 2**20:.1f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="directory written by gen_repo.py")
    ap.add_argument("--bin", required=True, help="the shipgate binary")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--git-only", action="store_true", help="measure raw git diff only")
    ap.add_argument("--json", help="also write the raw results here")
    a = ap.parse_args()
    if not os.access(TIME, os.X_OK):
        sys.exit(f"bench: {TIME} is missing (apt-get install -y time)")
    if a.runs < 1:
        sys.exit("bench: --runs must be at least 1")

    with open(os.path.join(a.data, "meta.json")) as f:
        meta = json.load(f)
    repo = os.path.join(a.data, "repo")
    base, head = meta["base"], meta["head"]
    work = tempfile.mkdtemp(prefix="shipgate-bench-")

    # A clean environment: nothing of an enclosing CI run may leak in.
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "CI_", "GITLAB_", "SHIPGATE_"))
             and k not in ("CI", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}

    def shipgate_env(filters, output_path):
        summary = os.path.join(work, "summary.md")
        open(summary, "w").close()
        return dict(clean, **{
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": os.path.join(a.data, "event.json"),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_SHA": head,
            "GITHUB_REPOSITORY": "bench/synthetic",
            "GITHUB_WORKSPACE": repo,
            "GITHUB_OUTPUT": output_path,
            "GITHUB_STEP_SUMMARY": summary,
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": work,
            "INPUT_FILTERS": os.path.join(a.data, filters),
            "INPUT_LIST-FILES": "json",
            "INPUT_BASE": base,
            "INPUT_TOKEN": "",
        })

    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) * 0.5:
        log(f"bench: warning: load average is {load_before:.1f} on {os.cpu_count()} CPUs; "
            "timings will be noisy")
    git_argv = ["git", "diff", "--no-renames", "--name-status", "-z", base, head]
    git_env = dict(clean, LC_ALL="C")  # as paths-filter runs git
    git_out = subprocess.run(git_argv, cwd=repo, env=git_env, check=True,
                             capture_output=True).stdout
    cases = [("git", "raw `git diff --no-renames --name-status -z`", git_argv, None)]
    if not a.git_only:
        cases += [
            ("plain", "shipgate, 200 filters `packages/pkgN/**`",
             [a.bin, "detect-changes"], "filters-plain.yml"),
            ("md", "shipgate, 200 filters + `'!**/*.md'` each",
             [a.bin, "detect-changes"], "filters-md.yml"),
        ]

    def run_case(i, key, label, argv, filters):
        out_path = os.path.join(work, f"output-{key}")
        if filters:
            if os.path.exists(out_path):
                os.remove(out_path)
            open(out_path, "w").close()  # a fresh GITHUB_OUTPUT each run
            env = shipgate_env(filters, out_path)
        else:
            env = git_env
        err_path = os.path.join(work, f"stderr-{key}")
        wall, cpu, peak, code = run_once(argv, repo, env, a.timeout, err_path)
        if code != 0:
            with open(err_path, "rb") as f:
                err = f.read().decode(errors="replace")
            log(f"bench: {label}: run {i} exited with {code}")
            log(f"  command: (cd {repo} && {' '.join(argv)})")
            if filters:
                log("  env: " + " ".join(f"{k}={v}" for k, v in sorted(env.items())
                                         if k.startswith(("GITHUB_", "INPUT_"))))
            log("  stderr (last 40 lines):\n    " + "\n    ".join(err.splitlines()[-40:]))
            sys.exit(1)
        size = os.path.getsize(out_path) if filters else len(git_out)
        return wall, cpu, peak, size

    # Rounds: every case once per round (round 0 is the warm-up), so that a change in the
    # machine's load hits all cases alike and the ratios stay fair.
    raw = {key: ([], [], [], set()) for key, *_ in cases}
    for i in range(a.runs + 1):
        for key, label, argv, filters in cases:
            wall, cpu, peak, size = run_case(i, key, label, argv, filters)
            if i == 0:
                if filters:  # check the outputs once, before timing anything else
                    problems = verify(key, os.path.join(work, f"output-{key}"), meta)
                    if problems:
                        log(f"bench: {label}: GITHUB_OUTPUT does not match the change set "
                            f"({len(problems)} problems; first 5):")
                        for p in problems[:5]:
                            log("  " + p)
                        log(f"  output kept at {os.path.join(work, f'output-{key}')}")
                        sys.exit(1)
                continue
            raw[key][0].append(wall)
            raw[key][1].append(cpu)
            raw[key][2].append(peak)
            raw[key][3].add(size)
        if i:
            log(f"bench: round {i}/{a.runs}: " + ", ".join(
                f"{key} {raw[key][0][-1]:.3f} s" for key, *_ in cases))

    results = {}
    for key, label, *_ in cases:
        walls, cpus, rss, sizes = raw[key]
        res = {"label": label, "walls": walls, "median": statistics.median(walls),
               "min": min(walls), "cpu": cpus, "cpu_median": statistics.median(cpus),
               "peak_rss": max(rss), "output_bytes": max(sizes)}
        if len(sizes) > 1:
            log(f"bench: warning: {label}: output size varied between runs: {sorted(sizes)}")
        results[key] = res
        log(f"bench: {label}: median {fmt_s(res['median'])} (min {fmt_s(res['min'])}; "
            f"CPU user+sys median {fmt_s(res['cpu_median'])}), "
            f"peak RSS {fmt_mib(res['peak_rss'])}, output {fmt_mb(res['output_bytes'])}")

    # ---- report ----
    git_s = results["git"]["median"]
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    ship_version = ""
    if not a.git_only:
        ship_version = subprocess.run([a.bin, "--version"], capture_output=True,
                                      text=True).stdout.strip()

    print(f"Synthetic repository: {meta['files']:,} files in {meta['packages']} package folders; "
          f"{meta['changed']:,} changed ({meta['modified']:,} modified, {meta['added']:,} added, "
          f"{meta['deleted']:,} deleted; {meta['changed_md']:,} of them `.md`). "
          f"`list-files: json`, push event, `token: ''`.")
    print(f"Machine: {os.cpu_count()} × {cpu}; {git_version}"
          + (f"; {ship_version}" if ship_version else "")
          + f"; load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after. "
          f"Median of {a.runs} interleaved runs after a warm-up; peak RSS includes child `git`.")
    print()
    print("| case | wall (median) | peak RSS | output size | ratio to raw git diff | target "
          "| paths-filter reference |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for key, label, *_ in cases:
        r = results[key]
        ratio = r["median"] / git_s
        if key == "git":
            target = "—"
        elif key == "plain":
            ok = ratio <= TARGET_RATIO_PLAIN
            target = f"≤ {TARGET_RATIO_PLAIN}× git diff: **{'PASS' if ok else 'MISS'}**"
            verdicts.append(ok)
        else:
            ok = r["median"] < TARGET_SECONDS_MD
            target = f"< {TARGET_SECONDS_MD} s: **{'PASS' if ok else 'MISS'}**"
            verdicts.append(ok)
        size_note = " (stdout)" if key == "git" else " (GITHUB_OUTPUT)"
        print(f"| {label} | {fmt_s(r['median'])} | {fmt_mib(r['peak_rss'])} "
              f"| {fmt_mb(r['output_bytes'])}{size_note} | {ratio:.2f}× | {target} "
              f"| {PATHS_FILTER[key]} |")
    print()
    if verdicts:
        print(f"Targets: {sum(verdicts)}/{len(verdicts)} met. "
              f"(paths-filter figures are the issue's reference for this machine class, "
              f"not measured here.)")

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": {k: v for k, v in meta.items() if "per_package" not in k},
                       "runs": a.runs, "results": results}, f, indent=2)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
