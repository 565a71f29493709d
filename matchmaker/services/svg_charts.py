"""Small charts drawn by the app itself, as inline SVG (no library, no CDN): horizontal
bars, and stacked bars. Pure functions; every label and title is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#b03a48", "#e0a458", "#8aa29e", "#3d5a80", "#98c1d9")
ROW, LABEL_W, VALUE_W, WIDTH = 26, 150, 90, 560
MAX_LABEL = 10  # characters (CJK at 13px: about 130px)


def _label(text: str, x: int, y: int) -> str:
    """A row label, right-aligned before the bar; long ones are cut (the whole label is
    the tooltip)."""
    short = text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"
    return (f'<text x="{x}" y="{y}" text-anchor="end"><title>{escape(text)}</title>'
            f'{escape(short)}</text>')


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _frame(title: str, height: int, body: list[str], legend: str = "") -> Markup:
    # Every text that reaches the SVG went through escape() above; numbers are formatted.
    return Markup(  # nosec B704
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-size="13" font-family="sans-serif"><title>{escape(title)}</title>'
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>{legend}'
        + "".join(body) + "</svg>")


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, unit: str = "",
              color: str = PALETTE[0]) -> Markup:
    """One horizontal bar per (label, value), scaled to the largest value."""
    top = 28
    most = max((v for _name, v in items), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * ROW
        w = max(0.0, value) / most * span
        body.append(
            _label(label, LABEL_W - 6, y + 17) +
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
            f'fill="{escape(color)}"/>'
            f'<text x="{LABEL_W + w + 4:.1f}" y="{y + 17}">{escape(_fmt(value))}'
            f'{escape(unit)}</text>')
    return _frame(title, top + max(1, len(items)) * ROW + 6, body)


def stacked_bar_chart(title: str, series: Sequence[str],
                      items: Sequence[tuple[str, Sequence[float]]], *,
                      unit: str = "") -> Markup:
    """One horizontal bar per (label, parts); each part is one of ``series`` (in order,
    with a legend), the bar's length is the sum of its parts."""
    top = 50
    most = max((sum(max(0.0, p) for p in parts) for _name, parts in items), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    legend = "".join(
        f'<rect x="{i * 130}" y="26" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
        f'<text x="{i * 130 + 16}" y="37">{escape(name)}</text>'
        for i, name in enumerate(series))
    body = []
    for i, (label, parts) in enumerate(items):
        y = top + i * ROW
        body.append(_label(label, LABEL_W - 6, y + 17))
        x = float(LABEL_W)
        for j, part in enumerate(parts):
            w = max(0.0, part) / most * span
            body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
                        f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(series[j])}: '
                        f'{escape(_fmt(part))}{escape(unit)}</title></rect>')
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 17}">'
                    f'{escape(_fmt(sum(parts)))}{escape(unit)}</text>')
    return _frame(title, top + max(1, len(items)) * ROW + 6, body, legend)
