"""The report page: one self-contained HTML file (its style, script and charts inline;
nothing fetched when it is opened), from content ``workflows/report.py`` gathers."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:62rem;padding:0 1rem;
color:#1b1b1b}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
p.lead{color:#444;margin:.2rem 0}p.note{color:#555;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.2rem .7rem;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600}
.scroll{max-height:24rem;overflow:auto;display:inline-block}
.warn{color:#9a3b00}
svg.chart{width:100%;height:auto;font-size:11px}
svg .frame{fill:none;stroke:#bbb}svg .grid{stroke:#eee}svg .tick{fill:#555}
svg path{fill:none;stroke-width:1.6}svg circle{stroke:none}
.actual path{stroke:#222}.actual .swatch,.actual circle{fill:#222}
.model path{stroke:#1f6fb4}.model .swatch,.model circle{fill:#1f6fb4}
.forecast path{stroke:#1f6fb4;stroke-width:2.2}.forecast .swatch,.forecast circle{fill:#1f6fb4}
.naive path{stroke:#8a8a8a;stroke-dasharray:5 4}.naive .swatch{fill:#8a8a8a}
.seasonal-naive path{stroke:#d9801a;stroke-dasharray:2 3}.seasonal-naive .swatch{fill:#d9801a}
.loss path{stroke:#1f6fb4}.loss .swatch{fill:#1f6fb4}
.val-loss path{stroke:#d9801a}.val-loss .swatch{fill:#d9801a}
polygon.band,.band .swatch{fill:#1f6fb4;opacity:.18}
rect.test-part,.test-part .swatch{fill:#888;opacity:.13}
rect.best,.best .swatch{fill:#2a9d3a;opacity:.5}
rect.event,.event .swatch{fill:#d62728;opacity:.2}
figure{margin:0 0 1rem}figcaption{color:#444}
label{font-weight:600;margin-right:.5rem}select{font-size:1rem;max-width:30rem}
"""
# Shows the figure of the series the picker names, hides the others.
_SCRIPT = """
const picker = document.getElementById("series-picker");
function show() {
  for (const figure of document.querySelectorAll("figure[data-series]")) {
    figure.hidden = figure.dataset.series !== picker.value;
  }
}
if (picker) { picker.addEventListener("change", show); show(); }
"""


# What a section says when its CSV was not given, by the command that writes it.
_ABSENT = (
    '<p class="note">Not given: pass the CSV that <code>{command} --output</code> wrote '
    "as <code>report --{option}</code>.</p>"
)


@dataclass(frozen=True)
class Table:
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    note: str = ""


@dataclass(frozen=True)
class SeriesView:
    """One series' chart in the picker: ``key`` its option's value, ``name`` its text."""

    key: str
    name: str
    chart: str  # SVG markup (svg.render)
    note: str = ""


@dataclass(frozen=True)
class Page:
    title: str
    lead: Sequence[str]  # lines under the title: data, model, what is served
    warnings: Sequence[str]
    learned: Table  # the model beside both naives, on validation and test
    loss_chart: str
    metrics: Sequence[Table]
    series: Sequence[SeriesView]
    series_note: str
    explanation: Table | None = None
    events: Table | None = None


def render_page(page: Page) -> str:
    """``page`` as one HTML document."""
    body = [
        f"<h1>{_text(page.title)}</h1>",
        *(f'<p class="lead">{_text(line)}</p>' for line in page.lead),
        *(f'<p class="warn">{_text(line)}</p>' for line in page.warnings),
        "<h2>What the model learned</h2>",
        _table(page.learned),
        page.loss_chart,
        "<h2>Forecasts by series</h2>",
        _picker(page.series),
        f'<p class="note">{_text(page.series_note)}</p>',
        *(_figure(view) for view in page.series),
        "<h2>Test metrics</h2>",
        *(_table(t) for t in page.metrics),
    ]
    body += ["<h2>What the network reads (explain)</h2>"]
    absent = _ABSENT.format(command="explain", option="explain")
    body += [_table(page.explanation) if page.explanation else absent]
    body += ["<h2>Anomaly events (detect)</h2>"]
    absent = _ABSENT.format(command="detect", option="events")
    body += [_table(page.events) if page.events else absent]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_text(page.title)}</title><style>{_STYLE}</style></head><body>",
            *body,
            f"<script>{_SCRIPT}</script>",
            "</body></html>",
            "",
        ]
    )


def _text(value: object) -> str:
    return html.escape(str(value))


def _table(table: Table) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in table.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_text(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    note = f'<p class="note">{_text(table.note)}</p>' if table.note else ""
    return (
        f'<div class="scroll"><table><caption>{_text(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{note}"
    )


def _picker(series: Sequence[SeriesView]) -> str:
    if len(series) < 2:
        return ""
    options = "".join(
        f'<option value="{_text(view.key)}">{_text(view.name)}</option>' for view in series
    )
    return (
        f'<p><label for="series-picker">Series ({len(series)})</label>'
        f'<select id="series-picker">{options}</select></p>'
    )


def _figure(view: SeriesView) -> str:
    note = f"<figcaption>{_text(view.note)}</figcaption>" if view.note else ""
    return f'<figure data-series="{_text(view.key)}">{view.chart}{note}</figure>'
