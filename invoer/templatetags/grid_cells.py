"""The cells of the results grid, rendered in Python (invoer/grid.html).

A college's grid has a hundred and more cells, each with its inputs, labels, guidance and last
change. Written in the template language they were nine tenths of the page's rendering, which a
director waits for after every save (issue 16); `format_html` per piece still cost half of it.
So each cell is one f-string with every value passed through `esc`, the escaping Django's own
`escape` does (html.escape with quotes), and the row is marked safe once. The markup is the
template's, byte for byte apart from blank lines (tests/invoer/test_grid_cells.py).
"""

from html import escape as esc

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from rapportage.templatetags.kwaliteit import nl

register = template.Library()


def _guide(cell) -> str:
    """Return what the team needs (issue 15, item 1): the compact line, the full rule for screen readers."""
    guide = cell.guide
    if guide is None:
        return ""
    state = esc(guide.state_class)
    return (
        f'<span class="cell-guide {state}" id="g_{esc(cell.key)}" data-state="{state}">'
        f'<span class="guide-hint">{esc(guide.hint)}</span>'
        f'<span class="visually-hidden">. {esc(guide.state)}. {esc(guide.sentence)}</span></span>'
    )


def _changed(measurement) -> str:
    """Return who changed a stored value last and when, as the template's `date:"j-n-Y H:i"` wrote it."""
    who = measurement.updated_by if measurement.updated_by is not None else "import"
    at = localtime(measurement.updated_at)
    return f"{esc(str(who))}, {at.day}-{at.month}-{at.year} {at:%H:%M}"


def _input_cell(cell, row, year: int, history: str) -> str:
    """Return the cell of a row the user may edit: value, n, what the page showed, messages, guidance."""
    m = cell.measurement
    key = esc(cell.key)
    state = " has-error" if cell.has_error else (" changed" if cell.changed else "")
    described = (
        (f"ve_{key} " if cell.value_error else "") + (f"g_{key} " if cell.guide else "") + (f"m_{key}" if m else "")
    )
    value_aria = ('aria-invalid="true" ' if cell.value_error else "") + (
        f'aria-describedby="{described}"' if described else ""
    )
    n_aria = f'aria-invalid="true" aria-describedby="ne_{key}"' if cell.n_error else ""
    value_error = f'<span class="cell-error" id="ve_{key}">{esc(cell.value_error)}</span>' if cell.value_error else ""
    n_error = f'<span class="cell-error" id="ne_{key}">{esc(cell.n_error)}</span>' if cell.n_error else ""
    note = ""
    if cell.needs_note:
        flagged = f' aria-describedby="ve_{key}"' if cell.flag else ""
        note = (
            f'<span class="note-field"><label for="t_{key}">Toelichting</label><input type="text" id="t_{key}" '
            f'name="t_{key}" value="{esc(cell.note_input)}" maxlength="500" placeholder="waarom klopt dit?"{flagged}>'
            "</span>"
        )
    meta = ""
    if m:
        meta = (
            f'<a class="cell-meta" id="m_{key}" href="{esc(history)}"><span class="visually-hidden">Laatst gewijzigd '
            f"door </span>{_changed(m)}{', met toelichting' if m.note else ''}"
            '<span class="visually-hidden"> (geschiedenis)</span></a>'
        )
        if m.note:
            meta += f'<span class="visually-hidden">Toelichting: {esc(m.note)}</span>'
    code, team = esc(cell.indicator.code), esc(row.team.code)
    return (
        f'<td class="cell{state}">\n'
        f'          <label class="visually-hidden" for="v_{key}">{code} {esc(cell.indicator.name)}, '
        f"team {team} {esc(row.team.name)}, {year}</label>\n"
        '          <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" class="value"\n'
        f'                 id="v_{key}" name="v_{key}" value="{esc(cell.value_input)}"\n'
        f"                 {value_aria}>\n"
        f'          <span class="n-field"><label for="n_{key}"><span class="visually-hidden">{code}, team {team}: '
        '</span>n</label><input type="text" inputmode="numeric" autocomplete="off" class="n"\n'
        f'                 id="n_{key}" name="n_{key}" value="{esc(cell.n_input)}"\n'
        f"                 {n_aria}></span>\n"
        f'          <input type="hidden" name="o_{key}" value="{esc(cell.original)}">\n'
        f"          {value_error}\n"
        f"          {n_error}\n"
        f"          {_guide(cell)}\n"
        f"          {note}\n"
        f"          {meta}\n"
        "        </td>"
    )


def _read_cell(cell, history: str) -> str:
    """Return a read-only cell: the stored value with its n and note, who changed it, the guidance."""
    m = cell.measurement
    if not m:
        return f'<td class="cell num"><span class="muted">–</span>{_guide(cell)}</td>'
    note = f' <span class="small" title="{esc(m.note)}">(toelichting)</span>' if m.note else ""
    n = f' <span class="small muted">n={m.n}</span>' if m.n is not None else ""
    return (
        f'<td class="cell num">{esc(nl(m.value))}{note}{n}\n'
        f'          <a class="cell-meta" href="{esc(history)}">{_changed(m)}</a>{_guide(cell)}</td>'
    )


@register.simple_tag
def grid_cells(row, college, year: int, writable: bool) -> SafeString:
    """Return the row's cells: inputs where the user may write the row, else the stored values."""
    editable = writable and row.editable
    year = int(year)
    cells = []
    for cell in row.cells:
        history = ""
        if cell.measurement:
            path = reverse("invoer:history", args=[college.code, row.team.code, cell.indicator.code])
            history = f"{path}?jaar={year}"
        cells.append(_input_cell(cell, row, year, history) if editable else _read_cell(cell, history))
    return mark_safe("\n        ".join(cells))
