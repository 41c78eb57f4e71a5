"""Plotly's own stylesheet as a static file, so the Content-Security-Policy needs no inline styles.

plotly.js injects its base rules (chart layout, mode bar, tooltips) as a ``<style>`` element at
load time, which ``style-src 'self'`` blocks. It skips that when the page already has an element
``#plotly.js-style-global.no-inline-styles`` (templates/charts/_episode_chart.html links
``static/plotly.css`` so). This module reads the rules out of the installed ``plotly.min.js``;
a test checks the static file still matches it (after a Plotly upgrade, regenerate with
``.venv/bin/python -m tests.security.plotly_css``).
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC_CSS = Path(__file__).resolve().parents[2] / "outcome_monitor" / "static" / "plotly.css"
_RULES = re.compile(r"(\w+)=(\{\"X,X div\":.*?\});for\((\w+) in \1\)", re.DOTALL)
_ENTRY = re.compile(
    r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z_]\w*))\s*:\s*(?:"([^"]*)"|'([^']*)')\s*,?"""
)


def plotly_rules(js: str) -> list[tuple[str, str]]:
    """(selector, declarations) in plotly.js's order, selectors expanded as plotly.js does."""
    found = _RULES.search(js)
    if found is None:
        raise LookupError("plotly.min.js no longer has its base style table; see this module")
    body, rules, position = found.group(2)[1:-1], [], 0
    while position < len(body):
        entry = _ENTRY.match(body, position)
        if entry is None:
            raise LookupError(
                f"cannot read plotly's style table at {body[position : position + 40]!r}"
            )
        key = next(g for g in entry.group(1, 2, 3) if g is not None)
        value = next(g for g in entry.group(4, 5) if g is not None)
        selector = re.sub(r"^,", " ,", key)
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        rules.append((selector, value))
        position = entry.end()
    return rules


def render(rules: list[tuple[str, str]]) -> str:
    """The rules in the order they end up in plotly.js's sheet (it inserts each at index 0)."""
    header = (
        "/* Generated from plotly.min.js by tests/security/plotly_css.py: plotly.js's base rules,\n"
        "   served as a file so that the Content-Security-Policy needs no inline styles. */\n"
    )
    lines = [f"{selector} {{{declarations}}}\n" for selector, declarations in reversed(rules)]
    return header + "".join(lines)


def expected_css() -> str:
    return render(plotly_rules(PLOTLY_JS.read_text(encoding="utf-8")))


if __name__ == "__main__":
    STATIC_CSS.write_text(expected_css(), encoding="utf-8")
    print(f"wrote {STATIC_CSS}")
