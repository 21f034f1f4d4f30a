"""Figures drawn at build time from the manuscript's data (SVG, no plotting library)."""

from __future__ import annotations

import base64
import html

from ..model import Publication, Recommendation


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def recommendation_matrix(publication: Publication, recs: tuple[Recommendation, ...],
                          labels: dict[str, str]) -> str:
    """An SVG grid: rubrics down, audiences across, each cell the recommendation ids addressed there."""
    rubrics, audiences = publication.rubrics, publication.audiences
    left, top, cw, rh = 150, 70, 92, 74
    width, height = left + cw * len(audiences) + 10, top + rh * len(rubrics) + 34
    ink, accent, faint = "#1f2a44", "#9b2c2c", "#e9e4da"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Source Sans 3" role="img">',
           f'<title>{_escape(labels["matrix_title"])}</title>']
    for j, a in enumerate(audiences):
        x = left + j * cw + cw / 2
        words = a.short.split()
        half = (len(words) + 1) // 2
        for k, chunk in enumerate((" ".join(words[:half]), " ".join(words[half:]))):
            if chunk:
                out.append(f'<text x="{x:.0f}" y="{top - 30 + k * 14}" text-anchor="middle" font-size="11" '
                           f'font-weight="600" fill="{ink}">{_escape(chunk)}</text>')
    for i, r in enumerate(rubrics):
        y = top + i * rh
        out.append(f'<text x="{left - 10}" y="{y + rh / 2 + 4:.0f}" text-anchor="end" font-size="12" '
                   f'font-weight="600" fill="{ink}">{_escape(r.label)}</text>')
        for j, a in enumerate(audiences):
            ids = [x.id for x in recs if x.rubric == r.id and a.id in x.audiences]
            x0 = left + j * cw
            shade = faint if not ids else ("#f3dede" if len(ids) < 3 else "#e8bcbc")
            out.append(f'<rect x="{x0 + 2}" y="{y + 2}" width="{cw - 4}" height="{rh - 4}" rx="3" fill="{shade}"/>')
            if ids:
                out.append(f'<text x="{x0 + cw / 2:.0f}" y="{y + 24}" text-anchor="middle" font-size="20" '
                           f'font-weight="700" fill="{accent}">{len(ids)}</text>')
                lines = [", ".join(ids[k:k + 3]) for k in range(0, len(ids), 3)]
                for k, line in enumerate(lines[:3]):
                    out.append(f'<text x="{x0 + cw / 2:.0f}" y="{y + 40 + k * 11}" text-anchor="middle" '
                               f'font-size="8.5" fill="{ink}">{_escape(line)}</text>')
            else:
                out.append(f'<text x="{x0 + cw / 2:.0f}" y="{y + rh / 2 + 4:.0f}" text-anchor="middle" '
                           f'font-size="12" fill="#5f5b50">–</text>')
    out.append(f'<text x="{left}" y="{height - 10}" font-size="9.5" fill="#5a5a5a">'
               f'{_escape(labels["matrix_note"])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def data_uri(svg: str) -> str:
    """An SVG as a data: URI (the only kind of URL the renderer accepts besides project files)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
