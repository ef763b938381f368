"""``report``: one self-contained HTML page about a bundle (issue 36, item 7), checked as
text and in a real browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lstm_forecast.report import svg
from lstm_forecast.report.page import Page, SeriesView, Table, render_page

from .helpers import (
    TINY,
    assert_one_line_error,
    heavy_modules_loaded,
    monthly_frame,
    run_cli,
    run_process,
    sets,
    write_config,
    write_long_csv,
)

# Where a browser may be; the browser test skips, saying so, when none is.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SERIES = 4


def _page(names: list[str]) -> Page:
    chart = svg.render(
        svg.Chart("c", [svg.Line(np.arange(3.0), np.array([1.0, np.nan, 3.0]), "actual", "a")])
    )
    return Page(
        title="t",
        lead=["lead"],
        warnings=[],
        learned=Table("learned", ["part"], [["test"]]),
        loss_chart="",
        metrics=[],
        series=[SeriesView(str(k), name, chart) for k, name in enumerate(names)],
        series_note="",
    )


def test_a_page_escapes_what_the_data_names_and_fetches_nothing() -> None:
    text = render_page(_page(["<script>alert(1)</script>", "b & c"]))
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    assert "b &amp; c" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert text.count("<option ") == 2 and text.count("<figure data-series=") == 2


def test_one_series_needs_no_picker() -> None:
    text = render_page(_page(["only"]))
    assert "<select" not in text and text.count("<figure data-series=") == 1


def test_a_missing_value_breaks_the_line_instead_of_joining_across_it() -> None:
    chart = svg.Chart("c", [svg.Line(np.arange(4.0), np.array([1.0, 2.0, np.nan, 4.0]), "actual")])
    (path,) = re.findall(r'<path d="([^"]+)"', svg.render(chart))
    assert path.count("M") == 2


def test_a_chart_of_nothing_says_so() -> None:
    chart = svg.Chart("empty", [svg.Line(np.arange(2.0), np.full(2, np.nan), "actual")])
    assert "nothing to draw" in svg.render(chart)


@given(
    low=st.floats(-1e9, 1e9, allow_nan=False),
    width=st.floats(1e-6, 1e9, allow_nan=False),
)
def test_ticks_are_round_and_inside_the_range(low: float, width: float) -> None:
    assume(width > 1e-6 * abs(low))  # a range float64 resolves
    high = low + width
    ticks = svg.nice_ticks(low, high)
    assert ticks and all(low - 1e-9 * abs(width) <= t <= high + 1e-9 * width for t in ticks)
    if len(ticks) > 1:
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5, 10))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of 4 monthly series with a 5-95 % band; its folder holds stores.csv."""
    folder = tmp_path_factory.mktemp("stores")
    frames = {f"s{k}": monthly_frame(72, seed=k) for k in range(SERIES)}
    data = write_long_csv(folder / "stores.csv", frames)
    config = write_config(
        folder, data, data={"id_column": "store"}, model={"quantiles": [0.05, 0.5, 0.95]}
    )
    ran = run_cli("train", config, "--quiet", *sets(*TINY))
    assert ran.code == 0, ran.err
    return folder


@pytest.mark.slow
def test_report_writes_one_page_with_every_part(stores: Path, tmp_path: Path) -> None:
    explain = tmp_path / "explain.csv"
    assert run_cli("explain", stores / "run", "--output", explain, "--repeats", "1").code == 0
    events = tmp_path / "events.csv"
    ran = run_cli("detect", stores / "run", "--last", "12", "--output", events)
    assert ran.code in (0, 10), ran.err
    page = tmp_path / "report.html"
    ran = run_process(
        "report", stores / "run", "--output", page, "--explain", explain, "--events", events
    )
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"wrote {page}: {SERIES} series drawn"
    text = page.read_text(encoding="utf-8")
    assert text.count("<figure data-series=") == SERIES and text.count("<option ") == SERIES
    assert "What the model learned" in text and "By series, worst model MASE first" in text
    assert 'class="band"' in text  # the band of the test part and of the forecast
    assert "Inputs by how much shuffling them raises MASE" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)


@pytest.mark.slow
def test_report_imports_no_tensorflow_and_no_matplotlib(stores: Path, tmp_path: Path) -> None:
    args = ["report", str(stores / "run"), "--output", str(tmp_path / "r.html")]
    assert heavy_modules_loaded(args, ("tensorflow", "keras", "matplotlib", "tf2onnx")) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--output", "{tmp}/report.png"], "the report is one HTML page"),
        (["--output", "{tmp}/no/report.html"], "does not exist"),
        (["--output", "{tmp}/r.html", "--explain", "{tmp}/none.csv"], "not found"),
        (["--output", "{tmp}/r.html", "--events", "{data}"], "is not detect's output"),
    ],
)
def test_report_refuses_what_it_cannot_write_or_read(
    stores: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    filled = [a.format(tmp=tmp_path, data=stores / "stores.csv") for a in args]
    ran = run_process("report", stores / "run", *filled)
    assert_one_line_error(ran.code, ran.err, 2, says)
    assert not list(tmp_path.glob("*.html"))


def _browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@pytest.mark.slow
def test_the_page_in_a_real_browser_shows_each_series_it_picks(
    stores: Path, tmp_path: Path
) -> None:
    browser_path = _browser()
    if browser_path is None:
        pytest.skip(f"no browser installed (looked for {', '.join(BROWSERS)} on PATH)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    page_file = tmp_path / "report.html"
    assert run_cli("report", stores / "run", "--output", page_file).code == 0
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(r.url) if r.url != page_file.as_uri() else None)
        page.goto(page_file.as_uri())
        options = page.eval_on_selector_all("#series-picker option", "os => os.map(o => o.value)")
        assert len(options) == SERIES
        for value in options:
            page.select_option("#series-picker", value)
            shown = page.eval_on_selector_all(
                "figure[data-series]", "fs => fs.filter(f => !f.hidden).map(f => f.dataset.series)"
            )
            assert shown == [value]
            box = page.locator(f'figure[data-series="{value}"] svg').bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 80
        browser.close()
    assert errors == []
    assert pd.read_csv(stores / "stores.csv")["store"].nunique() == SERIES
