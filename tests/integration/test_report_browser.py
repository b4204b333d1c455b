"""The big show's report page in a real browser (Debian's chromium, headless): every chart
label, as the browser lays it out with the system's fonts, stays inside its chart, touches no
other label, and is no wider than the report's own estimate (which the placement relies on).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from report_sessions import write_big_session

from anchordesk.store.report import build_report
from anchordesk.store.report_charts import FONT_PX
from anchordesk.store.report_html import report_html
from anchordesk.store.report_svg import text_width

pytestmark = pytest.mark.integration

# Run after the page laid out: the browser's own boxes of every label, written into the page.
_MEASURE = """<script>
const charts = [...document.querySelectorAll('svg')].map((svg) => {
  const viewBox = svg.viewBox.baseVal;
  const labels = [...svg.querySelectorAll('text')].map((node) => {
    const box = node.getBBox();
    const own = [...node.childNodes].filter((c) => c.nodeType === 3).map((c) => c.data).join('');
    return {x: box.x, y: box.y, width: box.width, height: box.height, text: own,
            cls: node.getAttribute('class')};
  });
  return {chart: svg.getAttribute('aria-label'), width: viewBox.width, height: viewBox.height,
          labels};
});
const out = document.createElement('pre');
out.id = 'geometry';
out.textContent = JSON.stringify(charts);
document.body.appendChild(out);
</script></body>"""


def _measure(page: Path, browser: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="geometry">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    charts: list[dict[str, object]] = json.loads(html.unescape(found.group(1)))
    return charts


@pytest.mark.parametrize("language", ["zh_CN", "ja", "en"])
def test_big_show_labels_in_a_real_browser(tmp_path: Path, language: str, chromium: str) -> None:
    browser = chromium
    session = tmp_path / "big.adsession"
    write_big_session(session, language=language)
    page = tmp_path / "report.html"
    page.write_text(
        report_html(build_report(session), language).replace("</body>", _MEASURE),
        encoding="utf-8",
    )
    charts = _measure(page, browser)
    assert len(charts) == 4
    slack = 0.5  # sub-pixel rounding
    for chart in charts:
        labels = chart["labels"]
        assert isinstance(labels, list) and labels
        for label in labels:
            where = (chart["chart"], label["text"])
            assert label["x"] >= -slack and label["y"] >= -slack, where
            assert label["x"] + label["width"] <= chart["width"] + slack, where
            assert label["y"] + label["height"] <= chart["height"] + slack, where
            estimate = text_width(label["text"], FONT_PX[label["cls"]])
            assert label["width"] <= estimate + slack, (where, label["width"], estimate)
        for position, one in enumerate(labels):
            for other in labels[position + 1 :]:
                apart = (
                    one["x"] + one["width"] <= other["x"] + slack
                    or other["x"] + other["width"] <= one["x"] + slack
                    or one["y"] + one["height"] <= other["y"] + slack
                    or other["y"] + other["height"] <= one["y"] + slack
                )
                assert apart, (chart["chart"], one, other)
