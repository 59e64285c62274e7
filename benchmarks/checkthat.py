"""Claim retrieval on CheckThat! 2022 task 2A (English): `provenance trace` against a plain BM25,
in one run, on the same texts and the same queries.

    python benchmarks/checkthat.py ../shared/eval/checkthat-dev [--split dev|devtest|train]
        [--limit N] [--work DIR] [--title sentence|heading] [--raw] [--top 5] [--diagnose] [--misses N]
        [--profile N]

The data is read by path and never copied into the repository. Every verified claim becomes one
`<vclaim_id>.txt` file in a work folder (a temporary one unless --work DIR), stored with the real
`provenance ingest FOLDER --db X`; the tweets are answered by ONE `provenance trace - --json --top 5`
process fed one tweet a line on stdin, and each match's article URL (file:///.../<vclaim_id>.txt)
is mapped back to its vclaim. BM25 is SQLite FTS5 (`bm25()`, unicode61, the tokenizer claims_fts
uses) over the same texts, queried with the tweet's tokens OR-ed, top 5.

--title sentence (default): the title is written as the first paragraph with a full stop (a final
"?" becomes "."), so the extractor keeps it in the article text and the claim splitter makes it a
claim the matcher can see; BM25 indexes title + vclaim. --title heading: the title is written as is;
the extractor takes a short unpunctuated first paragraph as the article's title (not text, not a
claim) and a question ("Did ...?") is text but never a claim, so the matcher sees the vclaim only,
and BM25 indexes the vclaim only.

Tweets are cleaned the same way for both systems: URLs, pic.twitter.com links and the embed
signature ("- Name (@handle) Month D, YYYY": who posted it and when, not what it says) dropped;
@mentions and #hashtags kept as words, camel case split ("@BernieSanders" -> "Bernie Sanders");
--raw sends them as given.

Measures: MAP@5 (AP over the top 5 divided by the number of relevant vclaims, as the CheckThat!
scorer), P@1 and MRR (over the top 5). Ours lists up to --top matched claims; several claims of one
vclaim count once, at their best rank. Target: MAP@5(ours) / MAP@5(BM25) >= 1.1. The organisers'
BM25 scored 0.8179 MAP@5 on the 2022 test set (not included here).

--limit N keeps every vclaim some query of the split is judged against, plus the first others in
file order up to N in all (a quick run). --diagnose re-ranks the same candidates in process through
the library (no threshold) and reports where the gold vclaim was lost. --profile N runs cProfile
over library ingest of the first N files and over trace of the queries, and prints the top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

K = 5


# --- data -------------------------------------------------------------------------------------


def read_tsv(path: Path) -> list[list[str]]:
    """Tab-separated with CSV quoting ("" inside a quoted field): some tweets and claims quote."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="\t"))


@dataclass(frozen=True)
class VClaim:
    id: str
    title: str
    vclaim: str


def load(folder: Path, split: str) -> tuple[list[VClaim], list[tuple[str, str]], dict[str, set[str]]]:
    vclaims = [VClaim(*row) for row in read_tsv(folder / "vclaims.tsv")[1:]]
    queries = [(row[0], row[1]) for row in read_tsv(folder / f"queries-{split}.tsv")[1:]]
    qrels: dict[str, set[str]] = {}
    for row in read_tsv(folder / f"qrels-{split}.tsv"):
        if row and int(row[3]) > 0:
            qrels.setdefault(row[0], set()).add(row[2])
    return vclaims, queries, qrels


def subset(vclaims: list[VClaim], qrels: dict[str, set[str]], limit: int | None) -> list[VClaim]:
    """Every judged vclaim plus the first others in file order, `limit` in all (file order kept)."""
    if limit is None:
        return vclaims
    wanted = set().union(*qrels.values())
    room = max(0, limit - len(wanted & {v.id for v in vclaims}))
    keep = []
    for v in vclaims:
        if v.id in wanted:
            keep.append(v)
        elif room:
            keep.append(v)
            room -= 1
    return keep


_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]+$")


def file_text(v: VClaim, title: str) -> str:
    if title == "sentence":
        head = v.title.strip()
        head = head if head.endswith((".", "!")) else head.rstrip("?:;, ") + "."
        return f"{head}\n\n{v.vclaim.strip()}\n"
    return f"{v.title.strip()}\n\n{v.vclaim.strip()}\n"


def bm25_text(v: VClaim, title: str) -> str:
    """What BM25 indexes: what the matcher can see (see the module docstring)."""
    return f"{v.title} {v.vclaim}" if title == "sentence" else v.vclaim


def write_files(vclaims: list[VClaim], folder: Path, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for v in vclaims:
        if not _SAFE_ID.match(v.id):
            raise SystemExit(f"unexpected vclaim_id {v.id!r}: not usable as a file name")
        (folder / f"{v.id}.txt").write_text(file_text(v, title), encoding="utf-8")


def vclaim_of(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name.removesuffix(".txt")


# --- query preprocessing (the same for both systems) --------------------------------------------

_SIGNATURE = re.compile(r"\s*[—–-]+\s*[^—–]{0,80}\(@\w+\)\s*(?:[A-Z][a-z]+ \d{1,2}, \d{4})?\s*$")
_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.I)
_TAG = re.compile(r"(?<!\w)[@#](\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])")


def clean(text: str, raw: bool) -> str:
    text = " ".join(text.split())  # one line: no \r, \u2028 or other breaks the stdin reader would split on
    if raw:
        return text
    text = _SIGNATURE.sub("", text)
    text = _URL.sub(" ", text)
    text = _TAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)
    return " ".join(text.split())


def sendable(text: str) -> bool:
    """trace takes a line without spaces that starts with a URL scheme for a stored article's URL."""
    return bool(re.search(r"\w", text)) and not (text.lower().startswith(("http://", "https://", "file://")) and " " not in text)


# --- running the real command ---------------------------------------------------------------------


def command() -> list[str]:
    """The user's `provenance` console script when installed, else the same click entry point."""
    script = Path(sys.executable).with_name("provenance")
    if script.exists():
        return [str(script)]
    found = shutil.which("provenance")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from provenance.cli import cli; sys.exit(cli())"]


@dataclass
class Finished:
    returncode: int
    seconds: float
    max_rss_mb: float
    cpu_seconds: float  # user + system: the part other processes on the machine cannot inflate
    stdout: str = ""
    stderr: str = ""


def wait_rusage(proc: subprocess.Popen) -> tuple[int, float, float]:
    """Reap the child with wait4: its own peak RSS and CPU time, not totals over all children so far."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run_ingest(folder: Path, db: Path) -> Finished:
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        proc = subprocess.Popen([*command(), "ingest", str(folder), "--db", str(db)], stdout=out, stderr=err)
        code, rss, cpu = wait_rusage(proc)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Finished(code, seconds, rss, cpu, out.read(), err.read())


@dataclass
class Traced:
    finished: Finished
    answers: list[dict]
    stamps: list[float]  # seconds since start at which each answer line arrived


def run_trace(lines: list[str], db: Path, top: int) -> Traced:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command(), "trace", "-", "--json", "--top", str(top), "--db", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
    )

    def feed() -> None:
        try:
            proc.stdin.write("".join(line + "\n" for line in lines))
            proc.stdin.close()
        except BrokenPipeError:
            pass

    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    writer = threading.Thread(target=feed, daemon=True)
    drain.start()
    writer.start()
    answers, stamps = [], []
    for line in proc.stdout:
        stamps.append(time.perf_counter() - started)
        answers.append(json.loads(line))
    writer.join()
    drain.join()
    code, rss, cpu = wait_rusage(proc)
    return Traced(Finished(code, time.perf_counter() - started, rss, cpu, stderr="".join(errors)), answers, stamps)


# --- BM25 -------------------------------------------------------------------------------------------


_TOKEN = re.compile(r"\w+")


def bm25_index(vclaims: list[VClaim], path: Path, title: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("drop table if exists docs")
    conn.execute("create virtual table docs using fts5(vclaim_id unindexed, text)")
    conn.executemany("insert into docs (vclaim_id, text) values (?, ?)", [(v.id, bm25_text(v, title)) for v in vclaims])
    conn.commit()
    return conn


def bm25_search(conn: sqlite3.Connection, text: str, k: int = K) -> list[str]:
    tokens = list(dict.fromkeys(t.lower() for t in _TOKEN.findall(text)))
    if not tokens:
        return []
    query = " OR ".join(f'"{t}"' for t in tokens)
    return [r[0] for r in conn.execute("select vclaim_id from docs where docs match ? order by bm25(docs) limit ?", (query, k))]


# --- measures ---------------------------------------------------------------------------------------


@dataclass
class Scores:
    ap: list[float] = field(default_factory=list)
    p1: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], gold: set[str]) -> None:
        ranked = ranked[:K]
        hits, precisions = 0, []
        for i, vid in enumerate(ranked, 1):
            if vid in gold:
                hits += 1
                precisions.append(hits / i)
        self.ap.append(sum(precisions) / len(gold))
        self.p1.append(1.0 if ranked and ranked[0] in gold else 0.0)
        self.rr.append(next((1 / i for i, vid in enumerate(ranked, 1) if vid in gold), 0.0))

    def map(self) -> float:
        return statistics.fmean(self.ap) if self.ap else 0.0

    def line(self) -> str:
        mean = lambda xs: statistics.fmean(xs) if xs else 0.0  # noqa: E731
        return f"MAP@5 {self.map():.4f}  P@1 {mean(self.p1):.4f}  MRR {mean(self.rr):.4f}"


def distinct(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else 0.0


# --- diagnostics and profile (library, in process; not the measured path) -----------------------


def diagnose(db_path: Path, lines: list[tuple[str, str]], qrels: dict[str, set[str]]) -> None:
    """Where ours loses the gold vclaim: not among the candidates, scored below the threshold, or
    outranked. Scores with match.similarity directly, so it does not depend on where rank() cuts."""
    from provenance import claims as claims_stage
    from provenance import match as match_stage
    from provenance import store

    db = store.open_existing(db_path)
    threshold = match_stage.MatchSettings().threshold
    rows = {r["id"]: vclaim_of(r["url"]) for r in db.query("select c.id, a.url from claims c join articles a on a.id = c.article_id")}
    not_candidate = under_threshold = outranked = candidates_total = 0
    unthresholded = Scores()
    for tweet_id, text in lines:
        gold = qrels[tweet_id]
        view = match_stage.ClaimView(claim_id=None, article_id=None, text=text, quantities=claims_stage.quantities(text),
                                     hedges=claims_stage.hedges(text))
        candidates = store.claim_views(db, store.candidate_ids(db, view, earlier=None, limit=50))
        candidates_total += len(candidates)
        scored = sorted(((match_stage.similarity(view, c), c) for c in candidates), key=lambda pair: -pair[0])
        order = distinct([rows[c.claim_id] for _, c in scored])
        unthresholded.add(order, gold)
        if not gold & set(order):
            not_candidate += 1
            continue
        best = max(s for s, c in scored if rows[c.claim_id] in gold)
        if best < threshold:
            under_threshold += 1
        elif order.index(next(v for v in order if v in gold)) >= K:
            outranked += 1
    print(f"diagnose (library in process, {candidates_total / max(1, len(lines)):.0f} candidate claims a query): of {len(lines)} queries, "
          f"gold not among the candidates {not_candidate}; a candidate but its best claim scores under the threshold "
          f"{threshold} {under_threshold}; over it but outranked past {K} {outranked}")
    print(f"  ours by similarity alone, no threshold   {unthresholded.line()}")


def fingerprint() -> str:
    """Which code was measured: the package's folder and a hash of its modules (the tree may be dirty)."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("provenance")
    folder = Path(spec.origin).parent if spec and spec.origin else None
    if folder is None:
        return "provenance not importable"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{folder} (modules sha256 {digest.hexdigest()[:12]})"


def profile(files: list[Path], lines: list[str], top_entries: int = 25) -> None:
    from provenance import outlets, pipeline, store
    from provenance import trace as trace_mod

    with tempfile.TemporaryDirectory(prefix="checkthat-profile-") as tmp:
        db = store.open_db(Path(tmp) / "p.db")
        loaded = outlets.load()
        for name, fn in (
            (f"ingest of {len(files)} files (library: pipeline.ingest)", lambda: pipeline.ingest(db, files, outlets=loaded)),
            (f"trace of {len(lines)} queries on that database (library: trace.trace)", lambda: [trace_mod.trace(db, q, top=K) for q in lines]),
        ):
            prof = cProfile.Profile()
            started = time.perf_counter()
            prof.runcall(fn)
            print(f"\n== profile: {name}: {time.perf_counter() - started:.1f} s")
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top_entries)
            print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:12000])
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top_entries)
            print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:12000])


# --- main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="the checkthat-dev folder (read only)")
    parser.add_argument("--split", default="dev", choices=["dev", "devtest", "train"])
    parser.add_argument("--limit", type=int, help="vclaims kept: every judged one plus the first others, N in all")
    parser.add_argument("--work", type=Path, help="folder for the .txt files and databases (default: a temporary one, removed after)")
    parser.add_argument("--title", default="sentence", choices=["sentence", "heading"], help="how the title is written (module docstring)")
    parser.add_argument("--raw", action="store_true", help="send tweets as given (no URL/handle/signature stripping), to both systems")
    parser.add_argument("--top", type=int, default=K, help="trace --top: matched claims asked for (distinct vclaims are cut to 5)")
    parser.add_argument("--diagnose", action="store_true", help="where ours loses the gold vclaim (library, in process)")
    parser.add_argument("--misses", type=int, default=0, help="print this many queries BM25 ranks first and ours does not")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile library ingest of N files and trace of the queries")
    args = parser.parse_args()

    vclaims, queries, qrels = load(args.path, args.split)
    queries = [(tid, text) for tid, text in queries if tid in qrels]
    chosen = subset(vclaims, qrels, args.limit)
    lost_targets = set().union(*qrels.values()) - {v.id for v in vclaims}

    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="checkthat-")) if temporary else args.work.resolve()
    txt, db, bm25_db = work / "vclaims", work / "provenance.db", work / "bm25.db"
    work.mkdir(parents=True, exist_ok=True)
    if txt.exists():
        shutil.rmtree(txt)  # ours: written by an earlier run of this script
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), bm25_db):
        stale.unlink(missing_ok=True)
    try:
        write_files(chosen, txt, args.title)
        print(f"CheckThat! 2022 2A {args.split}: {len(queries)} queries, {len(chosen):,} of {len(vclaims):,} vclaims "
              f"(title as {args.title}; tweets {'raw' if args.raw else 'cleaned'}); work folder {work}")
        if lost_targets:
            print(f"warning: {len(lost_targets)} judged vclaims are not in vclaims.tsv")
        print(f"command: {' '.join(command())}; code: {fingerprint()}")

        ingest = run_ingest(txt, db)
        failed = re.findall(r"^Error: (\S+): (.*)$", ingest.stderr, re.M)
        if ingest.returncode not in (0, 1):
            raise SystemExit(f"ingest failed ({ingest.returncode}):\n{ingest.stderr[-3000:]}")
        refused = {vclaim_of(url) for url, _ in failed}
        judged = set().union(*qrels.values())
        reasons: dict[str, int] = {}
        for _, why in failed:
            key = re.sub(r"\d+", "N", why)
            reasons[key] = reasons.get(key, 0) + 1
        print(f"ingest: {ingest.seconds:.1f} s wall ({ingest.seconds / len(chosen) * 1000:.1f} ms a file), {ingest.cpu_seconds:.1f} s CPU, "
              f"peak RSS {ingest.max_rss_mb:.0f} MB; "
              f"{ingest.stdout.strip()}")
        if failed:
            print(f"  refused {len(refused)} files, {len(refused & judged)} of them judged for this split: "
                  + "; ".join(f"{n} x {why}" for why, n in sorted(reasons.items(), key=lambda kv: -kv[1])))
        conn = sqlite3.connect(db)
        articles, n_claims = conn.execute("select (select count(*) from articles), (select count(*) from claims)").fetchone()
        conn.close()
        print(f"  stored {articles:,} articles, {n_claims:,} claims; database {db.stat().st_size / 1e6:.0f} MB")

        cleaned = [(tid, clean(text, args.raw)) for tid, text in queries]
        sent = [(tid, text) for tid, text in cleaned if sendable(text)]
        if len(sent) < len(cleaned):
            print(f"  {len(cleaned) - len(sent)} queries empty after cleaning: not sent, scored 0 for both")
        traced = run_trace([text for _, text in sent], db, args.top)
        if traced.finished.returncode != 0 or len(traced.answers) != len(sent):
            raise SystemExit(f"trace answered {len(traced.answers)} of {len(sent)} queries (exit {traced.finished.returncode}):\n"
                             f"{traced.finished.stderr[-3000:]}")
        ours_ranked: dict[str, list[str]] = {}
        for (tid, text), answer in zip(sent, traced.answers):
            if answer["query"] != text.strip():
                raise SystemExit(f"trace answers out of order: sent {text!r}, got {answer['query']!r}")
            matches = answer["claims"][0]["matches"] if answer["claims"] else []
            ours_ranked[tid] = distinct([vclaim_of(m["article_url"]) for m in matches])[:K]
        known = {v.id for v in chosen}
        strays = {vid for ranked in ours_ranked.values() for vid in ranked} - known
        if strays:
            print(f"warning: {len(strays)} matched article URLs name no vclaim of this run, e.g. {sorted(strays)[:3]}")

        index_started = time.perf_counter()
        conn = bm25_index(chosen, bm25_db, args.title)
        index_seconds = time.perf_counter() - index_started
        bm25_ranked: dict[str, list[str]] = {}
        bm25_times = []
        for tid, text in sent:
            started = time.perf_counter()
            bm25_ranked[tid] = bm25_search(conn, text)
            bm25_times.append(time.perf_counter() - started)
        conn.close()

        ours, bm25 = Scores(), Scores()
        for tid, _ in queries:
            ours.add(ours_ranked.get(tid, []), qrels[tid])
            bm25.add(bm25_ranked.get(tid, []), qrels[tid])

        gaps = [b - a for a, b in zip(traced.stamps, traced.stamps[1:])]
        listed = [len(r) for r in ours_ranked.values()]
        print(f"trace: one process, {len(sent)} queries in {traced.finished.seconds:.1f} s wall, {traced.finished.cpu_seconds:.1f} s CPU, "
              f"peak RSS {traced.finished.max_rss_mb:.0f} MB; "
              f"first answer after {traced.stamps[0]:.2f} s (start-up + query 1); then per query "
              f"p50 {percentile(gaps, 0.5) * 1000:.0f} ms, p99 {percentile(gaps, 0.99) * 1000:.0f} ms, max {max(gaps, default=0) * 1000:.0f} ms")
        print(f"  vclaims listed per query: none {listed.count(0)}, 1-4 {sum(1 for n in listed if 0 < n < K)}, {K} {listed.count(K)}")
        print(f"bm25: index {index_seconds:.2f} s; per query p50 {percentile(bm25_times, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(bm25_times, 0.99) * 1000:.1f} ms")
        print()
        print(f"ours (provenance trace)  {ours.line()}")
        print(f"bm25 (FTS5)              {bm25.line()}")
        ratio = ours.map() / bm25.map() if bm25.map() else float("inf")
        print(f"ratio MAP@5 ours/bm25    {ratio:.3f}  (target >= 1.1)")

        if args.diagnose:
            diagnose(db, sent, qrels)
        if args.misses:
            shown = 0
            texts = {v.id: v for v in chosen}
            for (tid, text), (_, original) in zip(cleaned, queries):
                gold = qrels[tid]
                if shown >= args.misses or not (bm25_ranked.get(tid, [])[:1] and bm25_ranked[tid][0] in gold):
                    continue
                mine = ours_ranked.get(tid, [])
                if mine[:1] and mine[0] in gold:
                    continue
                shown += 1
                g = next(iter(gold))
                print(f"\nmiss {tid}: {text[:200]}\n  gold {g}{' (refused by ingest)' if g in refused else ''}: {texts[g].vclaim[:160]}"
                      f"\n  ours {mine[:3]}")
        if args.profile:
            files = sorted(txt.glob("*.txt"))[: args.profile]
            profile(files, [text for _, text in sent])
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
