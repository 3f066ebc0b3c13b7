"""The scan on a Dask cluster: the same outputs as the process pool, byte for byte, from
workers that find none of the input files; a worker killed reading a group costs only a
retry of its pages; a cluster that cannot be reached is a clear error. Two local workers of one thread each: the machine is small."""

from __future__ import annotations

import collections
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from scanner.errors import ClusterError
from scanner.pipeline import scan
from scanner.render import render_pdf

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

OUTPUTS = ("responses.csv", "items.csv", "pages.csv", "sheets.csv")


@pytest.fixture(scope="module")
def local_cluster():
    """Two worker processes of one thread, shared by this module's tests that kill none."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def inputs(filled, template, tmp_path_factory) -> list[str]:
    """Every kind of page: scanned JPEGs in a PDF, TIFF frames, a PNG, and drawn PDF pages
    (rendered by the worker from the page cut out of the file)."""
    blank = render_pdf(template, tmp_path_factory.mktemp("drawn") / "blank.pdf")
    return [str(filled.pdf), str(filled.tiff), str(filled.png), str(blank)]


@pytest.fixture(scope="module")
def clean(filled, template, tmp_path_factory) -> Path:
    """The filled PDF and TIFF scanned in this process, OCR off, once for the module: the
    outputs of a run that loses no worker and no scheduler (never to be changed)."""
    out = tmp_path_factory.mktemp("clean") / "out"
    scan([str(filled.pdf), str(filled.tiff)], template, out, ocr=False, jobs=1)
    return out


def _outputs(out: Path) -> dict[str, bytes]:
    """The CSVs, the crops, the readings and the results as stored (a cluster's workers encode
    the readings and the evidence of the items they decide; in-process, the parent)."""
    files = {name: (out / name).read_bytes() for name in OUTPUTS}
    files |= {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "crops").rglob("*.jpg"))}
    with sqlite3.connect(out / "survey.sqlite") as db:
        files |= {f"reading {h}": text.encode() for h, text in
                  db.execute("SELECT content_hash, result FROM readings ORDER BY content_hash")}
        files |= {f"result {sheet_id} {item}": repr(row).encode() for sheet_id, item, *row in
                  db.execute("SELECT * FROM results ORDER BY sheet_id, item")}
    return files


def test_the_cluster_writes_the_same_outputs_as_the_process_pool(inputs, template, tmp_path, local_cluster):
    pool = scan(inputs, template, tmp_path / "pool", jobs=2, ocr=True)
    cluster = scan(inputs, template, tmp_path / "cluster", ocr=True, cluster=local_cluster.scheduler_address)
    alone = scan(inputs, template, tmp_path / "alone", jobs=1, ocr=True)
    assert pool.ok and cluster.ok and alone.ok
    assert cluster.pages == pool.pages == alone.pages and cluster.sheets == pool.sheets == 4
    assert _outputs(tmp_path / "cluster") == _outputs(tmp_path / "pool") == _outputs(tmp_path / "alone")


class _Elsewhere(distributed.WorkerPlugin):
    """Moves each worker to an empty folder of its own, as if on another machine: a page's
    file, named relative to the folder the scan runs in, is not there."""

    name = "elsewhere"

    def __init__(self, folder: str):
        self.folder = folder

    def setup(self, worker) -> None:
        self.was = os.getcwd()
        own = Path(self.folder) / str(os.getpid())
        own.mkdir(parents=True)
        os.chdir(own)

    def teardown(self, worker) -> None:
        os.chdir(self.was)


def test_the_workers_read_no_input_file_the_pages_bring_their_bytes(inputs, template, tmp_path, local_cluster,
                                                                    monkeypatch):
    # Local workers share the scan's filesystem: a worker opening a page's file itself
    # passed every other test here, and failed on a cluster of other machines.
    batch = tmp_path / "batch"
    batch.mkdir()
    names = [Path(shutil.copy(path, batch)).name for path in inputs]
    monkeypatch.chdir(batch)
    pool = scan(names, template, tmp_path / "pool", jobs=2, ocr=False)
    with distributed.Client(local_cluster.scheduler_address, set_as_default=False) as client:
        client.register_plugin(_Elsewhere(str(tmp_path / "elsewhere")))
        try:
            seen = client.run(lambda: [name for name in names if os.path.exists(name)])
            assert len(seen) == 2 and not any(seen.values())  # each worker finds none of the files
            cluster = scan(names, template, tmp_path / "cluster", ocr=False, cluster=local_cluster.scheduler_address)
        finally:
            client.unregister_worker_plugin(_Elsewhere.name)
    assert pool.ok and cluster.ok and cluster.pages == pool.pages and cluster.sheets == pool.sheets == 4
    assert _outputs(tmp_path / "cluster") == _outputs(tmp_path / "pool")


class _SlowPages(distributed.WorkerPlugin):
    """Makes each page take `seconds` longer to read: a group is read long enough for its
    worker to be killed in the middle of it."""

    name = "slow-pages"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def setup(self, worker) -> None:
        import scanner.cluster

        read, seconds = scanner.cluster.read_encoded, self.seconds

        def read_slowly(reader, task):
            time.sleep(seconds)
            return read(reader, task)

        scanner.cluster.read_encoded = read_slowly


def _kill_a_worker_reading_a_group(client, killed: list[str]) -> None:
    """Kill (SIGKILL) the first worker seen a second into reading a group, once, and put its
    address in `killed`."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if any(str(key).startswith("_read_on_cluster") for key in keys) and _executing(client, address):
                time.sleep(1)  # into its group, which takes 3.5 s at least
                if _executing(client, address):
                    os.kill(client.run(os.getpid, workers=[address])[address], signal.SIGKILL)
                    killed.append(address)
                    return
        time.sleep(0.05)


def _executing(client, address: str) -> bool:
    return bool(client.run(lambda dask_worker: len(dask_worker.state.executing), workers=[address])[address])


def _groups_lost_and_read_again(dask_scheduler) -> tuple[int, int]:
    """How many groups the scheduler sent, and how many of them it lost with the worker that
    was reading them, then had read by another (its transition log)."""
    lost, read = ("processing", "released", "handle-worker-cleanup"), ("processing", "memory", "task-finished")
    story = collections.defaultdict(list)
    for t in dask_scheduler.transition_log:
        if str(t.key).startswith("_read_on_cluster"):
            story[t.key].append((t.start, t.finish, t.stimulus_id.rsplit("-", 1)[0]))
    return len(story), sum(lost in steps and read in steps[steps.index(lost):] for steps in story.values())


def test_a_worker_killed_mid_run_costs_only_a_retry_of_its_pages(filled, template, tmp_path, clean, monkeypatch):
    # Killed at the first page stored, the worker had read its group already: nothing was
    # lost. Each page slowed, it dies a second into its group, which another reads again.
    monkeypatch.setattr("scanner.cluster.PAGES_PER_TASK", 4)  # a group a file, 7 pages each
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.register_plugin(_SlowPages(0.5))
        killed: list[str] = []
        killer = threading.Thread(target=_kill_a_worker_reading_a_group, args=(client, killed), daemon=True)
        killer.start()
        summary = scan([str(filled.pdf), str(filled.tiff)], template, tmp_path / "out", ocr=False,
                       cluster=cluster.scheduler_address)
        killer.join()
        assert killed
        # Two groups, the one being read when its worker died read again by the other.
        assert client.run_on_scheduler(_groups_lost_and_read_again) == (2, 1)
    assert summary.ok and summary.sheets == 2 and summary.pages == {"used": 14}
    # Complete: every output as a run that lost no worker writes it.
    assert _outputs(tmp_path / "out") == _outputs(clean)


def test_a_cluster_that_cannot_be_reached_is_a_cluster_error(filled, template, tmp_path, monkeypatch):
    monkeypatch.setattr("scanner.cluster.CLUSTER_CONNECT_SECONDS", 1)
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        scan([str(filled.png)], template, tmp_path / "out", ocr=False, cluster="tcp://127.0.0.1:9")


def test_a_cluster_left_without_workers_stops_the_scan_and_says_so(filled, template, tmp_path, monkeypatch):
    # Dask waits for workers forever: a scan on a cluster whose workers are all gone (or
    # never came) would hang without a word.
    monkeypatch.setattr("scanner.cluster.CLUSTER_NO_WORKERS_SECONDS", 1)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        with pytest.raises(ClusterError, match="no workers for 1 s.*scan again to complete the batch"):
            scan([str(filled.png)], template, tmp_path / "out", ocr=False, cluster=cluster.scheduler_address)


def test_a_scheduler_lost_mid_run_stops_the_scan_and_a_rerun_on_a_local_cluster_completes_it(
        filled, template, tmp_path, clean, monkeypatch):
    """The rerun is also the check that a scan starts and stops a local cluster of its own
    (`local:1`): a cluster's start is dear, and one serves both checks."""
    monkeypatch.setattr("scanner.cluster.CLUSTER_CONNECT_SECONDS", 2)  # how long the client tries to reconnect
    # Groups of pages small enough that some are still being read when the scheduler goes.
    monkeypatch.setattr("scanner.cluster.PAGES_PER_TASK", 4)
    inputs = [str(filled.pdf), str(filled.tiff)]
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        def lose_the_scheduler(progress) -> None:
            if progress.done == 3:
                cluster.close()

        with pytest.raises(ClusterError, match="lost the Dask scheduler.*scan again to complete the batch"):
            scan(inputs, template, tmp_path / "out", ocr=False, cluster=cluster.scheduler_address,
                 progress=lose_the_scheduler)
    finally:
        cluster.close()
    summary = scan(inputs, template, tmp_path / "out", ocr=False, cluster="local:1")
    assert summary.ok and summary.pages == {"used": 14} and summary.reused >= 3
    assert _outputs(tmp_path / "out") == _outputs(clean)


class _PoisonPage(distributed.WorkerPlugin):
    """Makes each worker die, as by a crash in native code, when it reads one page; and
    empty the page's file first when told (`empties`), as a user might meanwhile."""

    name = "poison-page"

    def __init__(self, source: str, page: int, empties: bool = False):
        self.source, self.page, self.empties = source, page, empties

    def setup(self, worker) -> None:
        import scanner.cluster

        read, source, page, empties = scanner.cluster.read_encoded, self.source, self.page, self.empties

        def read_or_die(reader, task):
            if task.source == source and task.page == page:
                if empties:
                    Path(source).write_bytes(b"")
                os._exit(1)
            return read(reader, task)

        scanner.cluster.read_encoded = read_or_die


def _scan_with_poison(inputs, poisoned, template, tmp_path, empties=False):
    """`inputs` scanned on a cluster of 2 whose workers die reading page 3 of the file
    `poisoned` (having emptied it, if `empties`): the summary and pages.csv's rows. One death
    is Dask's limit here, and each worker takes one task at a time, so that only the poison
    page's own tasks die."""
    config = {"distributed.scheduler.allowed-failures": 0, "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(config), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=":0") as cluster, \
            distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.register_plugin(_PoisonPage(str(poisoned), 3, empties))
        summary = scan(inputs, template, tmp_path / "out", ocr=False, cluster=cluster.scheduler_address)
    with (tmp_path / "out" / "pages.csv").open(newline="") as rows:
        return summary, list(csv.DictReader(rows))


def test_a_page_that_kills_its_workers_costs_only_itself_not_its_group(filled, template, tmp_path, caplog):
    # Pages go to Dask several to a task: a page that killed every worker it was sent to
    # took its group-mates down with it.
    summary, pages = _scan_with_poison([str(filled.pdf)], filled.pdf, template, tmp_path)
    from scanner.cluster import CLUSTER_WORKER_DIED  # Dask's, skipped without it

    assert [row["status"] for row in pages] == ["used", "used", "error", "used", "used", "used", "used"]
    assert pages[2]["reason"] == CLUSTER_WORKER_DIED
    assert "reading each again alone" in caplog.text  # its group was lost with it, then read page by page
    assert summary.failed == [f"{filled.pdf} page 3: {CLUSTER_WORKER_DIED}"]


def test_a_group_lost_while_the_next_waits_unsent_loses_none_of_the_next(filled, template, tmp_path, monkeypatch):
    # The first file's group went whole when the second file began; the second's pages
    # waited unsent for their group to fill when the first's workers died. Sending the
    # lost group again page by page dropped the waiting pages, and the scan crashed on
    # the first of them (it had no future: `None.result()`).
    monkeypatch.setattr("scanner.cluster.PAGES_PER_TASK", 3)
    second = tmp_path / "second.pdf"
    shutil.copyfile(filled.pdf, second)
    summary, pages = _scan_with_poison([str(filled.pdf), str(second)], filled.pdf, template, tmp_path)
    from scanner.cluster import CLUSTER_WORKER_DIED  # Dask's, skipped without it

    assert len(pages) == 14
    assert summary.failed == [f"{filled.pdf} page 3: {CLUSTER_WORKER_DIED}"]
    assert [row["page"] for row in pages if row["status"] == "error"] == ["3"]


def test_a_lost_group_whose_file_changed_since_is_each_page_the_files_error(filled, template, tmp_path, caplog):
    # Its pages' JPEGs are taken from the file again to be sent page by page: the file
    # emptied meanwhile, they went without them, and each read as "the reader failed
    # (AssertionError)", the file's reason left in the log.
    from scanner.errors import InputFileError
    from scanner.load import PageFiles, enumerate_pages

    changing = tmp_path / "changing.pdf"
    shutil.copyfile(filled.pdf, changing)
    found = list(enumerate_pages([str(changing)]))
    summary, pages = _scan_with_poison([str(changing)], changing, template, tmp_path, empties=True)
    with pytest.raises(InputFileError) as told:
        PageFiles().complete(replace(found[0], data=None))  # what the file says now
    assert [row["status"] for row in pages] == ["error"] * len(found)
    assert {row["reason"] for row in pages} == {told.value.reason}
    assert summary.failed == [f"{changing} page {task.page}: {told.value.reason}" for task in found]


@pytest.mark.parametrize("duplex", [False, True])
def test_a_group_of_pages_ends_where_a_questionnaire_begins_in_a_file_of_whole_ones(template, duplex):
    # The parent decides a questionnaire split between two groups itself: groups cut
    # blindly at 32 pages split one in five of 7 pages, and each cost the parent as much
    # as storing 20 pages.
    from scanner.cluster import PAGES_PER_TASK, _group_whole, _questionnaire_stride
    from scanner.forms import Forms
    from scanner.load import PageTask

    per_sheet = len(template.page_numbers) * (2 if duplex else 1)
    files = [(name, per_sheet * count) for name, count in (("a.pdf", 23), ("b.pdf", 1), ("c.pdf", 17))]
    tasks = [PageTask(name, "", n, "jpeg", f"{name}:{n}") for name, pages in files for n in range(1, pages + 1)]
    stride = _questionnaire_stride(Forms.of(template))
    groups = [[tasks[0]]]
    for task in tasks[1:]:
        if _group_whole(len(groups[-1]), task, groups[-1][-1], stride):
            groups.append([])
        groups[-1].append(task)
    assert len(groups) > 5
    assert all((group[0].page - 1) % per_sheet == 0 for group in groups)
    assert all(PAGES_PER_TASK <= len(group) < PAGES_PER_TASK + stride for group in groups[:-1])


def test_a_group_runs_on_no_further_than_as_many_pages_again_whatever_the_forms():
    # Forms of 4, 6 and 7 pages: questionnaires 168 pages apart (2 x their least common
    # multiple), which a file mixing them never lands on, so every group ran to 200 pages.
    from scanner.cluster import STRIDE_MAX, _questionnaire_stride

    forms = [SimpleNamespace(page_numbers=list(range(1, n + 1))) for n in (4, 6, 7)]
    assert _questionnaire_stride(forms) == STRIDE_MAX < 168


def test_a_questionnaire_is_read_in_one_group_and_decided_by_its_worker(filled, template, tmp_path, local_cluster,
                                                                        monkeypatch):
    # Groups of 3 pages at least: cut blindly, the 7 pages of the questionnaire went in
    # three groups, and the parent decided it itself.
    import scanner.assemble
    import scanner.cluster

    decided_here = []
    decide = scanner.assemble.decide_items
    monkeypatch.setattr(scanner.assemble, "decide_items", lambda *args: decided_here.append(1) or decide(*args))
    monkeypatch.setattr(scanner.cluster, "PAGES_PER_TASK", 3)
    summary = scan([str(filled.pdf)], template, tmp_path / "out", ocr=False, cluster=local_cluster.scheduler_address)
    assert summary.ok and summary.sheets == 1 and summary.pages["used"] == 7
    assert not decided_here


SCAN = Path(sys.executable).parent / "scan"


@pytest.mark.skipif(not SCAN.exists(), reason="the package is not installed in this Python")
@pytest.mark.parametrize("quiet", [["-q"], []], ids=["quiet", "default"])
def test_scan_on_a_local_cluster_keeps_dasks_chatter_off_stderr(filled, tmp_path, quiet):
    # `scan --cluster local:2 -q` wrote some 34 lines of Dask's INFO logs (its scheduler,
    # nannies and workers starting and closing): quiet is silent, and without --verbose
    # Dask shows its warnings only.
    result = subprocess.run([str(SCAN), str(filled.png), "--out", str(tmp_path / "out"), "--no-ocr",
                             "--cluster", "local:1", *quiet], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    if quiet:
        assert result.stderr == ""
    assert "INFO" not in result.stderr and "Scheduler" not in result.stderr
