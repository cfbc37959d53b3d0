"""The Dagster UI in a real browser: materialize a partition of text_pretrain_filter from the UI and inspect a step.

Starts `dagster dev` (webserver, daemon, code server) on a free 127.0.0.1 port in its own session against a
temporary DAGSTER_HOME, warehouse and raw folder, and drives Debian's headless Chromium with Playwright (no
browser download). Screenshots go to tests/artifacts/browser/ (gitignored), also when a step fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from dataflow_assets.assets.factory import partitions_name
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from tests.conftest import REPO, SAMPLES
from tests.processes import free_port, stop_session

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
SPEC = load_spec(builtin_spec("text_pretrain_filter"))
PARTITION = "web_sample_2.jsonl"
UI_START_SECONDS = 90
RUN_SECONDS = 120
ELEMENT_MS = 30_000


@dataclass
class DagsterDev:
    """A running `dagster dev` and the folders it works on."""

    url: str
    warehouse: Path
    log: Path


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + UI_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dagster dev did not serve {url} within {UI_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDev]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    root = tmp_path_factory.mktemp("ui")
    home, raw = root / "dagster_home", root / "raw" / SPEC.name
    home.mkdir()
    raw.mkdir(parents=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    shutil.copyfile(SAMPLES / PARTITION, raw / PARTITION)
    with DagsterInstance.from_config(str(home)) as instance:  # what the sensor would do for a new file
        instance.add_dynamic_partitions(partitions_name(SPEC.name), [PARTITION])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAFLOW_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(home), "DATAFLOW_WAREHOUSE": str(root / "warehouse.duckdb"),
            "DATAFLOW_RAW_DIR": str(root / "raw"), "DATAFLOW_EXPORT_DIR": str(root / "out")}
    port, log = free_port(), root / "dagster_dev.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port),
             "-w", "workspace.yaml"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_until_serving(url, process, log)
        yield DagsterDev(url, root / "warehouse.duckdb", log)
    finally:
        stop_session(process)


@pytest.fixture
def page(dagster_dev: DagsterDev, request: pytest.FixtureRequest) -> Iterator:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(ELEMENT_MS)
        try:
            yield page
        finally:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}_last.png"))
            browser.close()


def shot(page, name: str) -> None:  # noqa: ANN001 - a Playwright page
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")


def checked_step() -> tuple[str, str, float]:
    """A step whose spec declares a check with a threshold: (step, check, min)."""
    for step in SPEC.steps:
        for check in step.checks:
            if check.min is not None and check.check != "non_empty":
                return step.name, check.check_name, check.min
    raise AssertionError("text_pretrain_filter declares no check with a threshold")


def test_materialize_a_partition_from_the_ui_and_inspect_a_step(dagster_dev: DagsterDev, page) -> None:  # noqa: ANN001
    group = f"{dagster_dev.url}/locations/__repository__@dataflow_assets.definitions/asset-groups/{SPEC.name}"
    page.goto(group)
    materialize = page.get_by_role("button", name="Materialize all")
    materialize.wait_for()
    zoom_in = page.get_by_role("button").filter(has=page.locator("[aria-label='zoom_in']"))
    for _ in range(4):  # the 27-node chain is fitted very small; zoom until node labels render
        zoom_in.click()
    step_names = "|".join(re.escape(step.name) for step in SPEC.steps)
    page.get_by_text(re.compile(f"^({step_names})$")).first.wait_for()
    shot(page, "1_asset_graph")

    materialize.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Launch runs to materialize {len(SPEC.steps) + 2} assets").wait_for()
    dialog.get_by_role("button", name="All", exact=True).click()
    dialog.get_by_text("1 partition", exact=True).wait_for()
    shot(page, "2_launch_dialog")
    dialog.get_by_role("button", name="Launch 1 run").click()
    page.get_by_text("Launched run").wait_for()
    page.get_by_text("View", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    outcome = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    outcome.wait_for(timeout=RUN_SECONDS * 1000)
    shot(page, "3_run")
    assert outcome.inner_text() == "Success", dagster_dev.log.read_text()[-3000:]

    step, check, minimum = checked_step()
    with duckdb.connect(str(dagster_dev.warehouse), read_only=True) as conn:
        first_row = conn.sql(f'SELECT _row_id, id FROM {SPEC.name}."{step}" WHERE _partition = ? ORDER BY _row_id '
                             "LIMIT 1", params=[PARTITION]).fetchall()[0]
    page.goto(f"{dagster_dev.url}/assets/{SPEC.name}/{step}")
    page.get_by_text(PARTITION).first.wait_for()  # the latest materialization is this partition's
    preview_row = page.locator("tr", has=page.get_by_text("preview", exact=True)).first
    preview_row.get_by_text("[Show Markdown]").click()
    preview = page.get_by_role("dialog").locator("table")
    preview.wait_for()
    headers = [h.strip() for h in preview.locator("th").all_inner_texts()]
    assert {"text", "_row_id", "id"} <= set(headers)
    cells = preview.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[headers.index("_row_id")].strip() == str(first_row[0])
    assert cells[headers.index("id")].strip() == str(first_row[1])
    shot(page, "4_step_preview")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()

    page.goto(f"{dagster_dev.url}/assets/{SPEC.name}/{step}?view=checks")
    page.get_by_text(check, exact=True).first.click()
    page.get_by_text("Passed").first.wait_for()
    threshold = page.locator("tr", has=page.get_by_text("min", exact=True)).first
    assert float(threshold.locator("td").last.inner_text()) == minimum  # the check's threshold, in its metadata
    page.get_by_text("non_empty", exact=True).first.wait_for()
    shot(page, "5_step_checks")
