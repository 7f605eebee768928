#!/usr/bin/env python3
"""Build the synthetic repository that scripts/bench-detect-changes measures.

Layout: packages/pkg0 .. packages/pkg199, 250 files each (50,000 files) spread over a few
subfolders, a mix of .ts (135), .json (32) and .md (83) files per package. A first commit
holds them all; a second commit changes 13,000 files: 11,500 modified, 750 deleted and 750
added. Both commits are written with `git fast-import` and fixed author dates, so the SHAs
are the same on every machine.

Also written next to the repository: the two filter files (`filters-plain.yml`: 200 filters
`pkgN: 'packages/pkgN/**'`; `filters-md.yml`: each filter `['packages/pkgN/**', '!**/*.md']`),
a push event payload (`event.json`) and `meta.json` (SHAs, counts). `meta.json` is written
last: its presence means the cache is complete.

Usage: gen_repo.py --out DIR [--regen] [--quiet]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

# Bump when anything below changes the generated data: the cache directory is keyed by it.
VERSION = "v1"

PACKAGES = 200
MODIFIED = 11_500
DELETED = 750
ADDED = 750
SEED = 20240601

# (folder, stem, extension, count) per package; 135 .ts + 32 .json + 83 .md = 250 files.
LAYOUT = [
    ("src/lib", "service", "ts", 55),
    ("src/components", "component", "ts", 40),
    ("src/utils", "helper", "ts", 20),
    ("test/unit", "service", "test.ts", 20),
    ("", "package", "json", 1),
    ("", "tsconfig", "json", 1),
    ("config", "environment", "json", 15),
    ("test/fixtures", "fixture", "json", 15),
    ("", "README", "md", 1),
    ("", "CHANGELOG", "md", 1),
    ("docs/guides", "guide", "md", 40),
    ("docs/api", "ref", "md", 41),
]
FILES_PER_PACKAGE = sum(n for *_, n in LAYOUT)
assert FILES_PER_PACKAGE == 250, FILES_PER_PACKAGE

AUTHOR = "Bench Bot <bench@shipgate.invalid>"
BASE_TIME = 1_700_000_000


def package_files(pkg):
    out = []
    for folder, stem, ext, count in LAYOUT:
        prefix = f"packages/pkg{pkg}/" + (folder + "/" if folder else "")
        if count == 1:
            out.append(f"{prefix}{stem}.{ext}")
        else:
            out.extend(f"{prefix}{stem}_{i:03d}.{ext}" for i in range(count))
    return out


def content(path, revision):
    """A small, distinct file body (so every file is its own blob, as in a real repo)."""
    if path.endswith(".md"):
        body = f"# {path}\n\nRevision {revision}.\n\nSome prose about this part of the package.\n"
    elif path.endswith(".json"):
        body = json.dumps({"name": path, "revision": revision, "enabled": True}, indent=2) + "\n"
    else:
        name = path.rsplit("/", 1)[-1].split(".", 1)[0]
        body = (
            f"// {path}\n"
            f"export const revision = {revision};\n"
            f"export function {name}(input: string): string {{\n"
            f"  return `${{input}}:{revision}`;\n"
            f"}}\n"
        )
    return body.encode()


def added_paths(rng, count):
    """New files in the second commit, in random packages, same type mix as the layout."""
    kinds = []
    for folder, stem, ext, n in LAYOUT:
        if n > 1:
            kinds.append((folder, "new_" + stem, ext, n))
    weights = [n for *_, n in kinds]
    seen = set()
    out = []
    while len(out) < count:
        folder, stem, ext, _ = rng.choices(kinds, weights)[0]
        pkg = rng.randrange(PACKAGES)
        path = f"packages/pkg{pkg}/{folder}/{stem}_{rng.randrange(1000):03d}.{ext}"
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out


def fast_import_stream(write, base_files, modified, deleted, added):
    def commit(ref_mark, message, when, parent, ops):
        write(f"commit refs/heads/main\nmark :{ref_mark}\n".encode())
        write(f"author {AUTHOR} {when} +0000\ncommitter {AUTHOR} {when} +0000\n".encode())
        msg = message.encode()
        write(b"data %d\n%s\n" % (len(msg), msg))
        if parent:
            write(f"from :{parent}\n".encode())
        for op in ops:
            write(op)
        write(b"\n")

    def put(path, revision):
        data = content(path, revision)
        return b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)

    commit(1, "base: 50,000 files in 200 packages", BASE_TIME, None,
           (put(p, 1) for p in base_files))
    ops = []
    ops.extend(put(p, 2) for p in modified)
    ops.extend(b"D %s\n" % p.encode() for p in deleted)
    ops.extend(put(p, 1) for p in added)
    commit(2, "head: 13,000 files changed", BASE_TIME + 3600, 1, ops)
    write(b"done\n")


def git(repo, *args, **kw):
    return subprocess.run(["git", "-C", repo, *args], check=True, **kw)


def rev(repo, name):
    return git(repo, "rev-parse", name, capture_output=True, text=True).stdout.strip()


def write_filters(out):
    plain = ["# 200 filters, one per package folder (shipgate bench)\n"]
    md = ["# 200 filters with a '!**/*.md' rule each; under the default 'some' quantifier\n"
          "# the '!' rule matches every non-.md file (shipgate bench)\n"]
    for n in range(PACKAGES):
        plain.append(f"pkg{n}: 'packages/pkg{n}/**'\n")
        md.append(f"pkg{n}: ['packages/pkg{n}/**', '!**/*.md']\n")
    with open(os.path.join(out, "filters-plain.yml"), "w") as f:
        f.writelines(plain)
    with open(os.path.join(out, "filters-md.yml"), "w") as f:
        f.writelines(md)


def generate(out, quiet):
    t0 = time.monotonic()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    rng = random.Random(SEED)

    base_files = [p for pkg in range(PACKAGES) for p in package_files(pkg)]
    assert len(base_files) == PACKAGES * FILES_PER_PACKAGE
    picked = rng.sample(base_files, MODIFIED + DELETED)
    modified, deleted = picked[:MODIFIED], picked[MODIFIED:]
    base_set = set(base_files)
    added = [p for p in added_paths(rng, ADDED * 2) if p not in base_set][:ADDED]
    assert len(added) == ADDED

    if os.path.exists(out):
        shutil.rmtree(out)
    repo = os.path.join(out, "repo")
    os.makedirs(repo)
    env = dict(os.environ, LC_ALL="C", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
    git(repo, "config", "user.name", "Bench Bot")
    git(repo, "config", "user.email", "bench@shipgate.invalid")
    git(repo, "config", "gc.auto", "0")

    log(f"bench: fast-import of {len(base_files)} files + {MODIFIED + DELETED + ADDED} changes ...")
    proc = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"],
                            stdin=subprocess.PIPE, env=env)
    buf = []
    size = 0

    def write(b):
        nonlocal size
        buf.append(b)
        size += len(b)
        if size > 1 << 20:
            proc.stdin.write(b"".join(buf))
            buf.clear()
            size = 0

    fast_import_stream(write, base_files, modified, deleted, added)
    proc.stdin.write(b"".join(buf))
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("bench: git fast-import failed")

    log("bench: checking out the head commit ...")
    git(repo, "checkout", "-q", "-f", "main", env=env)
    base, head = rev(repo, "main~1"), rev(repo, "main")

    # The real change set, as git reports it (what every tool measured here must find).
    diff = git(repo, "diff", "--no-renames", "--name-status", "-z", base, head,
               capture_output=True, env=env).stdout.split(b"\0")
    entries = [(diff[i].decode(), diff[i + 1].decode()) for i in range(0, len(diff) - 1, 2)]
    status = {"A": 0, "M": 0, "D": 0}
    for s, _ in entries:
        status[s] += 1
    md_files = sum(1 for _, p in entries if p.endswith(".md"))
    per_pkg = [0] * PACKAGES
    md_per_pkg = [0] * PACKAGES
    for _, p in entries:
        n = int(p.split("/", 2)[1][3:])
        per_pkg[n] += 1
        if p.endswith(".md"):
            md_per_pkg[n] += 1

    write_filters(out)
    with open(os.path.join(out, "event.json"), "w") as f:
        json.dump({"before": base, "after": head, "ref": "refs/heads/main",
                   "repository": {"default_branch": "main", "full_name": "bench/synthetic"},
                   "head_commit": {"id": head}}, f, indent=2)
    meta = {
        "version": VERSION, "base": base, "head": head,
        "files": len(base_files), "packages": PACKAGES,
        "changed": len(entries), "added": status["A"], "modified": status["M"],
        "deleted": status["D"], "changed_md": md_files,
        "changed_per_package": per_pkg, "changed_md_per_package": md_per_pkg,
        "seconds": round(time.monotonic() - t0, 2),
    }
    tmp = os.path.join(out, "meta.json.tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f)
    os.replace(tmp, os.path.join(out, "meta.json"))
    log(f"bench: repository ready in {meta['seconds']} s ({len(entries)} changed files: "
        f"{status['M']} modified, {status['A']} added, {status['D']} deleted; {md_files} .md)")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="cache directory (keyed by version)")
    ap.add_argument("--regen", action="store_true", help="rebuild even if cached")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--print-version", action="store_true", help="print the data version and exit")
    a = ap.parse_args()
    if a.print_version:
        print(VERSION)
        return
    meta_path = os.path.join(a.out, "meta.json")
    if not a.regen and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("version") == VERSION:
            if not a.quiet:
                print(f"bench: using cached repository {a.out} (--regen to rebuild)", file=sys.stderr)
            return
    generate(a.out, a.quiet)


if __name__ == "__main__":
    main()
