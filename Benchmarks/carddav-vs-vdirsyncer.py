#!/usr/bin/env python3
"""accord vs vdirsyncer: vcard-dir <-> CardDAV (a real Radicale server), side by side in one run.

Builds SIZE contacts (default 1,000: Radicale spends O(n) per PUT, so larger sets take tens of
minutes), starts Radicale on a free loopback port, and in each of ROUNDS rounds (default 3) gives
each tool its own empty address book and times:

- initial: the folder uploaded into the address book;
- no-op after upload: the next run, nothing changed (a sync report from before the upload lists
  every card the upload wrote, so this run pays once for the tool's own writes);
- no-op: a run with nothing changed since the last one;
- 1% local: 1% of the files edited, synced up (with its floor: the same edits PUT by the bare client);
- 1% server: 1% of the cards edited on the server (by this script, over HTTP), synced back down;

with the HTTP requests each run made (counted in Radicale's log), peak RSS, and the server's floor
of each run but the first no-op: what a bare HTTP client (Python's http.client) needs from the
server to do the same, timed against a third address book:

- initial: the same cards PUT, as many at once as accord sends;
- no-op: one change check (a Depth 0 PROPFIND of the collection's ctag);
- 1% local: the check, then the same edits PUT;
- 1% server: the check, a sync-collection REPORT from the token before the edits, and an
  addressbook-multiget of the changed cards.

The last column, vdirsyncer / floor, is the most any client could be faster than vdirsyncer in
that run: a client that spent no time of its own. The table shows medians.

    ./Benchmarks/carddav-vs-vdirsyncer.py [--rounds N] [SIZE]

Needs a release build of accord (built here), Radicale and vdirsyncer (pip-installed when missing).
"""
import concurrent.futures, http.client, importlib.util, json, os, re, shutil, socket, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build-benchmark-carddav")
USER, PASSWORD = "bench", "bench-password"
CONCURRENCY = 4  # accord's carddav limit (schemas/carddav.yaml), used by the floor client too

_spec = importlib.util.spec_from_file_location("local_benchmark", os.path.join(ROOT, "Benchmarks", "sync-vs-vdirsyncer.py"))
local_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_benchmark)
generate, run, median = local_benchmark.generate, local_benchmark.run, local_benchmark.median


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radicale:
    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        os.makedirs(f"{folder}/collections", exist_ok=True)
        with open(f"{folder}/users", "w") as f:
            f.write(f"{USER}:{PASSWORD}\n")
        self.log = f"{folder}/radicale.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", "", "--server-hosts", f"127.0.0.1:{self.port}",
             "--storage-filesystem-folder", f"{folder}/collections", "--auth-type", "htpasswd",
             "--auth-htpasswd-filename", f"{folder}/users", "--auth-htpasswd-encryption", "plain",
             "--logging-level", "info"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        sys.exit("Radicale did not start:\n" + open(self.log).read())

    def url(self, book=""):
        return f"http://127.0.0.1:{self.port}/{USER}/{book + '/' if book else ''}"

    def make_book(self, name):
        path = f"{self.folder}/collections/collection-root/{USER}/{name}"
        os.makedirs(path)
        with open(f"{path}/.Radicale.props", "w") as f:
            json.dump({"tag": "VADDRESSBOOK", "D:displayname": name}, f)

    def requests(self):
        """Requests logged so far."""
        with open(self.log) as f:
            return sum(1 for line in f if " request for '" in line)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def headers(self, extra=None):
        import base64
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}", **(extra or {})}

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def timed(server, argv, env=None):
    """(seconds, peak RSS MB, requests) of one tool run."""
    before = server.requests()
    seconds, rss = run(argv, env)
    time.sleep(0.2)  # the last log lines
    return seconds, rss, server.requests() - before


def request(server, method, path, body=b"", headers=None, expect=(200, 201, 204, 207)):
    """One request on a fresh connection, the way a bare client sends it; the response body and
    headers."""
    connection = server.connection()
    connection.request(method, path, body=body, headers=server.headers(headers))
    response = connection.getresponse()
    data = response.read()
    connection.close()
    assert response.status in expect, (method, path, response.status)
    return data, response.headers


def floor_upload(server, source, book, names=None, edit=lambda body: body):
    """The cards (all, or `names`, changed by `edit`) PUT by a bare client, CONCURRENCY at once; seconds."""
    edited = names is not None
    names = names or sorted(os.listdir(source))
    bodies = [(name, edit(open(os.path.join(source, name), "rb").read())) for name in names]

    def put(item):
        name, body = item
        condition = {} if edited else {"If-None-Match": "*"}
        request(server, "PUT", f"/{USER}/{book}/{name}", body, {"Content-Type": "text/vcard; charset=utf-8", **condition},
                expect=(200, 201, 204) if edited else (201, 204))

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(put, bodies))
    return time.perf_counter() - start


def floor_check(server, book):
    """The change check of a run: the collection's ctag; seconds."""
    start = time.perf_counter()
    request(server, "PROPFIND", f"/{USER}/{book}/", b'<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
            b'<prop><CS:getctag/></prop></propfind>', {"Depth": "0"})
    return time.perf_counter() - start


def sync_token(server, book):
    data, _ = request(server, "PROPFIND", f"/{USER}/{book}/", b'<propfind xmlns="DAV:"><prop><sync-token/></prop></propfind>', {"Depth": "0"})
    return re.search(r"<(?:\w+:)?sync-token>([^<]+)<", data.decode()).group(1)


def floor_server_changes(server, book, token):
    """What a run needs to fetch the cards changed since `token`: the check, the sync report and a
    multiget of the changed cards; seconds."""
    start = time.perf_counter()
    floor_check(server, book)
    report, _ = request(server, "REPORT", f"/{USER}/{book}/", (
        f'<sync-collection xmlns="DAV:"><sync-token>{token}</sync-token><sync-level>1</sync-level>'
        f'<prop><getetag/></prop></sync-collection>').encode(), {"Depth": "1", "Content-Type": "application/xml"})
    hrefs = sorted(set(re.findall(r"<(?:\w+:)?href>([^<]+\.vcf)</", report.decode())))
    request(server, "REPORT", f"/{USER}/{book}/", (
        '<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>'
        + "".join(f"<D:href>{href}</D:href>" for href in hrefs) + "</C:addressbook-multiget>").encode(),
        {"Depth": "1", "Content-Type": "application/xml"})
    assert hrefs, "the sync report listed no changed card"
    return time.perf_counter() - start


def edit_on_server(server, book, count):
    """Edits `count` cards of an address book over HTTP, as another client would."""
    listing, _ = request(server, "PROPFIND", f"/{USER}/{book}/", b'<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>', {"Depth": "1"})
    hrefs = sorted(set(re.findall(r"<(?:\w+:)?href>([^<]+\.vcf)</", listing.decode())))
    for href in hrefs[:: max(len(hrefs) // count, 1)][:count]:
        card, headers = request(server, "GET", href)
        card = card.decode()
        card = re.sub(r"TITLE:[^\r\n]*", "TITLE:Edited on the server", card) if "TITLE:" in card else card.replace("END:VCARD", "TITLE:Edited on the server\r\nEND:VCARD")
        request(server, "PUT", href, card.encode(), {"Content-Type": "text/vcard", "If-Match": headers["ETag"]}, expect=(200, 201, 204))


def setup_accord(server, folder, source, book, schemas):
    shutil.copytree(source, f"{folder}/a")
    with open(f"{folder}/bench.yaml", "w") as f:
        f.write(f"connection: bench\napps:\n  a: {{app: vcard-dir, settings: {{path: a}}}}\n"
                f"  b:\n    app: carddav\n    auth: {{username: {USER}, password: {{env: BENCH_PASSWORD}}}}\n"
                f"    settings: {{url: \"{server.url(book)}\"}}\ndirection: two-way\nwinner: a\n")
    return ["run", f"{folder}/bench.yaml", "--state", f"{folder}/state.sqlite", "--schemas", schemas], dict(os.environ, BENCH_PASSWORD=PASSWORD)


def setup_vdirsyncer(server, folder, source, book):
    storage = f'type = "carddav"\nurl = "{server.url(book)}"\nusername = "{USER}"\npassword = "{PASSWORD}"\n'
    return local_benchmark.setup_vdirsyncer(source, folder, storage_b=storage)


def main():
    args = sys.argv[1:]
    rounds = 3
    if args[:1] == ["--rounds"]:
        rounds, args = int(args[1]), args[2:]
    n = int(args[0]) if args else 1_000
    accord = local_benchmark.build_accord()
    for module, package in [("radicale", "radicale"), ("vdirsyncer", "vdirsyncer")]:
        if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode != 0:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)
    version = subprocess.run(["vdirsyncer", "--version"], capture_output=True, text=True).stdout.strip()
    shutil.rmtree(WORK, ignore_errors=True)
    source = f"{WORK}/source"
    generate(n, source)
    server = Radicale(f"{WORK}/radicale")
    phases = ["initial", "no-op after upload", "no-op", "1% local", "1% server"]
    samples, phase_floors = {}, {}
    try:
        for round in range(rounds):
            tools = {}
            for tool in ["accord", "vdirsyncer"]:
                book = f"{tool}-{round}"
                server.make_book(book)
                folder = f"{WORK}/round-{round}/{tool}"
                os.makedirs(folder)
                setup = setup_accord(server, folder, source, book, f"{ROOT}/schemas") if tool == "accord" else setup_vdirsyncer(server, folder, source, book)
                tools[tool] = (accord if tool == "accord" else "vdirsyncer", *setup, folder, book)
            server.make_book(f"floor-{round}")
            floor_book = f"floor-{round}"
            phase_floors.setdefault("initial", []).append(floor_upload(server, source, floor_book))
            order = ["accord", "vdirsyncer"] if round % 2 == 0 else ["vdirsyncer", "accord"]
            for phase in phases:
                for tool in order:
                    program, argv, env, folder, book = tools[tool]
                    floor = None
                    if phase == "no-op" and tool == order[0]:
                        floor = floor_check(server, floor_book)
                    if phase == "1% local":
                        local_benchmark.change_one_percent(f"{folder}/a")
                        if tool == order[0]:
                            floor = floor_check(server, floor_book) + floor_upload(
                                server, source, floor_book, names=sorted(os.listdir(source))[:: 100],
                                edit=lambda body: body.replace(b"TEL;TYPE=CELL:+1 555 ", b"TEL;TYPE=CELL:+1 666 "))
                    if phase == "1% server":
                        edit_on_server(server, book, n // 100)
                        if tool == order[0]:
                            token = sync_token(server, floor_book)
                            edit_on_server(server, floor_book, n // 100)
                            floor = floor_server_changes(server, floor_book, token)
                    if floor is not None:
                        phase_floors.setdefault(phase, []).append(floor)
                    samples.setdefault((phase, tool), []).append(timed(server, [program, *argv], env))
            for tool in order:
                assert len(os.listdir(f"{tools[tool][3]}/a")) == n, f"{tool} lost or added contacts"
    finally:
        server.stop()
    shutil.rmtree(WORK, ignore_errors=True)

    print(f"\naccord ({os.path.relpath(accord, ROOT)}) vs {version}; vcard-dir <-> CardDAV (Radicale), {n:,} contacts; "
          f"{os.cpu_count()} cores; times and requests: medians of {rounds} rounds; peak RSS: the largest\n")
    print("| run | accord | vdirsyncer | accord faster by | accord requests | vdirsyncer requests | accord peak RSS | vdirsyncer peak RSS | server floor | accord / floor | vdirsyncer / floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for phase in phases:
        a, v = samples[(phase, "accord")], samples[(phase, "vdirsyncer")]
        a_s, v_s = median([s for s, _, _ in a]), median([s for s, _, _ in v])
        a_req, v_req = median([r for _, _, r in a]), median([r for _, _, r in v])
        a_rss, v_rss = max(r for _, r, _ in a), max(r for _, r, _ in v)
        floor = median(phase_floors[phase]) if phase in phase_floors else None
        floor_text = f"{floor:.3f} s" if floor else ""
        over = f"{a_s / floor:.2f}×" if floor else ""
        best = f"{v_s / floor:.1f}×" if floor else ""
        print(f"| {phase} | {a_s:.2f} s | {v_s:.2f} s | {v_s / a_s:.1f}× | {a_req:.0f} | {v_req:.0f} | {a_rss:.0f} MB | {v_rss:.0f} MB | {floor_text} | {over} | {best} |")


if __name__ == "__main__":
    main()
