#!/usr/bin/env python3
"""accord vs vdirsyncer: vcard-dir <-> vcard-dir, side by side in one run.

For each size (default 10,000 and 100,000 contacts) it builds one data set and, in each of ROUNDS
rounds (default 3), copies it for each tool and times: the initial sync (into an empty folder), a
run with nothing changed, a run after 1% of the contacts changed, and (accord only) a run after
the connection's plan changed, which lists and merges every pair again; peak RSS of each process
(wait4); and the file-system floor: reading every source file once, and `cp -r` of the source
folder. The table shows medians over the rounds.

With --baseline REV, accord as built at git revision REV runs too, side by side in the same
rounds (its own release build, from a worktree in .build-baseline-src), and the table gets its
times and the ratio: a change's cost measured against the code before it, on the same machine at
the same moments.

Fairness on this kind of disk: ext4 without a journal skips an inode for 60 s after its deletion
(up to 300 s while its inode table block is not yet written back), and each new file pays a scan
past those inodes, so a tool that runs right after a large delete pays for it. Nothing is deleted
until every measurement is done, the two tools take turns at going first, and a run starts only
60 s after the files in its work folder were last deleted (by a previous run, at its start or end).
And every timed step (each part of the floor, each tool run) starts SETTLE seconds after a sync: on
these virtual machines the disk keeps working for a moment after `sync` returns, on the cores the
machine runs on, and a step started right away pays for the step before it. Measured on 10,000
contacts: accord's initial sync took 1.05-1.16 s right after a sync and 0.78-0.82 s 3 s later, and
`cp -r` 0.46-0.49 s against 0.40-0.50 s (a tool on both cores, as accord is, is slowed the most).

    ./Benchmarks/sync-vs-vdirsyncer.py [--rounds N] [--baseline REV] [SIZE...]

Needs a release build of accord (built here) and vdirsyncer (pip-installed here when missing).
"""
import os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build-benchmark")
SETTLE = 3  # seconds between a sync and a timed step (see the module docstring)


def settle():
    """Writes everything back, then waits for the disk to finish (see the module docstring)."""
    os.sync()
    time.sleep(SETTLE)


def run(argv, env=None):
    """Runs a command; returns (seconds, peak RSS in MB, user + system CPU seconds). Fails loudly on
    a non-zero exit."""
    settle()
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed ({status}):\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def generate(n, folder):
    os.makedirs(folder)
    for i in range(n):
        uid = f"bench-{i:06d}"
        with open(f"{folder}/{uid}.vcf", "w", newline="") as f:
            f.write("\r\n".join([
                "BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:Person{i} Example", f"N:Example;Person{i};;;",
                f"EMAIL;TYPE=INTERNET:person{i}@example.com", f"TEL;TYPE=CELL:+1 555 {i:07d}", f"ORG:Company {i % 500}",
                f"TITLE:Title {i % 37}", f"ADR;TYPE=WORK:;;{i} Main Street;Springfield;;{10000 + i % 9000};USA",
                f"NOTE:Customer since {2000 + i % 25}", "CATEGORIES:customer,bench", "END:VCARD"]) + "\r\n")


def change_one_percent(folder):
    names = sorted(os.listdir(folder))
    for name in names[:: 100]:
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text.replace("TEL;TYPE=CELL:+1 555 ", "TEL;TYPE=CELL:+1 666 "))


def read_all(folder):
    settle()
    start = time.perf_counter()
    total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            with open(entry.path, "rb") as f:
                total += len(f.read())
    return time.perf_counter() - start


ACCORD_CONNECTION = ("connection: bench\napps:\n  a: {app: vcard-dir, settings: {path: a}}\n  b: {app: vcard-dir, settings: {path: b}}\n"
                     "direction: two-way\nwinner: %s\n")


def setup_accord(source, folder, schemas):
    shutil.copytree(source, f"{folder}/a")
    os.makedirs(f"{folder}/b")
    with open(f"{folder}/bench.yaml", "w") as f:
        f.write(ACCORD_CONNECTION % "a")
    return ["run", f"{folder}/bench.yaml", "--state", f"{folder}/state.sqlite", "--schemas", schemas], None


def change_plan(folder):
    """Another winning app: a new plan fingerprint, so the next run lists and merges every pair
    again, and writes nothing (the two apps agree)."""
    with open(f"{folder}/bench.yaml", "w") as f:
        f.write(ACCORD_CONNECTION % "b")


def setup_vdirsyncer(source, folder, storage_b=None):
    """vdirsyncer from a copy of `source` (a filesystem storage) to `storage_b` (default: an empty folder)."""
    shutil.copytree(source, f"{folder}/a")
    if storage_b is None:
        os.makedirs(f"{folder}/b")
        storage_b = f'type = "filesystem"\npath = "{folder}/b/"\nfileext = ".vcf"\n'
    config = f"{folder}/config"
    with open(config, "w") as f:
        f.write(f'[general]\nstatus_path = "{folder}/status/"\n\n[pair bench]\na = "bench_a"\nb = "bench_b"\ncollections = null\n'
                f'conflict_resolution = "a wins"\n\n[storage bench_a]\ntype = "filesystem"\npath = "{folder}/a/"\nfileext = ".vcf"\n\n'
                f'[storage bench_b]\n{storage_b}')
    env = dict(os.environ, VDIRSYNCER_CONFIG=config)
    subprocess.run(["vdirsyncer", "discover"], env=env, check=True, capture_output=True)
    return ["-v", "WARNING", "sync"], env


def clear_work():
    """Deletes what is in WORK and writes the deletion back. WORK itself stays, so that its mtime
    says when files were last deleted there."""
    with os.scandir(WORK) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)
    os.sync()


def wait_out_deletions():
    """Waits until 60 s after the last deletion in WORK (see the module docstring)."""
    left = 60 - (time.time() - os.stat(WORK).st_mtime)
    if left > 0:
        print(f"waiting {left:.0f} s after the previous deletion of benchmark files", file=sys.stderr, flush=True)
        time.sleep(left)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def build_accord(source=ROOT, scratch=f"{ROOT}/.build-static"):
    """The release binary as it is deployed: the Swift libraries linked in (README, "Release
    builds"), which saves a process start most of its dynamic linking; built in its own folder."""
    build = ["swift", "build", "-c", "release", "--static-swift-stdlib", "--scratch-path", scratch]
    subprocess.run(build + ["--product", "accord"], cwd=source, check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(build + ["--show-bin-path"], cwd=source, check=True, capture_output=True, text=True).stdout.strip() + "/accord"


def build_baseline(revision):
    """accord at `revision`, from a worktree of its own: (binary, schemas folder)."""
    source = f"{ROOT}/.build-baseline-src"
    if os.path.isdir(source):
        subprocess.run(["git", "worktree", "remove", "--force", source], cwd=ROOT, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", source, revision], cwd=ROOT, check=True, capture_output=True)
    return build_accord(source, f"{ROOT}/.build-baseline"), f"{source}/schemas"


def main():
    args = sys.argv[1:]
    rounds, baseline = 3, None
    while args[:1] in (["--rounds"], ["--baseline"]):
        if args[0] == "--rounds":
            rounds = int(args[1])
        else:
            baseline = args[1]
        args = args[2:]
    sizes = [int(a) for a in args] or [10_000, 100_000]
    accord = build_accord()
    baseline_accord = build_baseline(baseline) if baseline else None
    if shutil.which("vdirsyncer") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "vdirsyncer"], check=True)
    version = subprocess.run(["vdirsyncer", "--version"], capture_output=True, text=True).stdout.strip()
    if os.path.isdir(WORK):
        clear_work()
        wait_out_deletions()
    phases = ["initial", "no-op", "1% changed", "plan changed"]
    accords = ["accord"] + (["baseline"] if baseline_accord else [])
    rows = []
    for n in sizes:
        source = f"{WORK}/{n}/source"
        generate(n, source)
        samples = {}  # (phase, tool) -> [(seconds, rss, cpu)]
        floors = []
        for round in range(rounds):
            folder = f"{WORK}/{n}/round-{round}"
            tools = {
                "accord": (accord, *setup_accord(source, f"{folder}/accord", f"{ROOT}/schemas")),
                "vdirsyncer": ("vdirsyncer", *setup_vdirsyncer(source, f"{folder}/vdirsyncer")),
            }
            if baseline_accord:
                tools["baseline"] = (baseline_accord[0], *setup_accord(source, f"{folder}/baseline", baseline_accord[1]))
            floor_read = read_all(source)
            floor_copy, _, _ = run(["cp", "-r", source, f"{folder}/copy"])
            floors.append(floor_read + floor_copy)
            print(f"{n} round {round}: floor read {floor_read:.2f} s + cp -r {floor_copy:.2f} s", file=sys.stderr, flush=True)
            order = list(tools) if round % 2 == 0 else list(reversed(tools))
            for phase in phases:
                if phase == "1% changed":
                    for tool in order:
                        change_one_percent(f"{folder}/{tool}/a")
                for tool in order:
                    if phase == "plan changed":
                        if tool == "vdirsyncer":
                            continue
                        change_plan(f"{folder}/{tool}")
                    program, argv, env = tools[tool]
                    sample = run([program, *argv], env)
                    samples.setdefault((phase, tool), []).append(sample)
                    print(f"{n} round {round}: {phase} {tool} {sample[0]:.2f} s {sample[1]:.0f} MB, CPU {sample[2]:.2f} s", file=sys.stderr, flush=True)
            for tool in order:
                assert len(os.listdir(f"{folder}/{tool}/b")) == n, f"{tool} did not copy every contact"
        floor = median(floors)
        for phase in phases:
            def med(tool):
                return median([s for s, _, _ in samples[(phase, tool)]]) if (phase, tool) in samples else None
            def rss(tool):
                return max(r for _, r, _ in samples[(phase, tool)]) if (phase, tool) in samples else None
            rows.append((f"{n:,}", phase, med("accord"), med("vdirsyncer"), med("baseline"), rss("accord"), rss("vdirsyncer"), rss("baseline"),
                         floor if phase == "initial" else None))
    clear_work()

    print(f"\naccord ({os.path.relpath(accord, ROOT)}) vs {version}" + (f" and accord at {baseline}" if baseline else "")
          + f"; vcard-dir <-> vcard-dir; {os.cpu_count()} cores; median of {rounds} rounds, peak RSS the largest\n")
    extra = " accord at baseline | accord / baseline | baseline peak RSS |" if baseline else ""
    print("| contacts | run | accord | vdirsyncer | accord faster by | accord peak RSS | vdirsyncer peak RSS | fs floor (read all + cp -r) | accord / floor |" + extra)
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: | ---: |" if baseline else ""))
    def seconds(value):
        return f"{value:.2f} s" if value is not None else "—"
    for n, phase, a_s, v_s, b_s, a_rss, v_rss, b_rss, floor in rows:
        ratio = f"{v_s / a_s:.1f}×" if v_s is not None else "—"
        floor_text = f"{floor:.2f} s" if floor else ""
        over = f"{a_s / floor:.2f}×" if floor else ""
        line = f"| {n} | {phase} | {seconds(a_s)} | {seconds(v_s)} | {ratio} | {a_rss:.0f} MB | " + (f"{v_rss:.0f} MB" if v_rss else "—") + f" | {floor_text} | {over} |"
        if baseline:
            line += f" {seconds(b_s)} | {a_s / b_s:.2f}× | {b_rss:.0f} MB |"
        print(line)


if __name__ == "__main__":
    main()
