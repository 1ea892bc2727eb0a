"""What a grid page and a grid save cost (issue 16): one status read per page, none on a save, cells in Python."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext, ContextList

from agenda.models import Team
from indicatoren.models import Measurement
from invoer import grid as grid_module
from rapportage import guidance as guidance_module
from tests.invoer.test_grid import GRID, YEAR, grid_form, key, post_grid

URL = f"{GRID.format(code='5100')}?jaar={YEAR}"
FLIP_1A = "Oordeel 5100 voor 1a in 2022: niet gehaald → gehaald (6 van 9 teams droegen bij)."

# The cells as grid.html wrote them in the template language before issue 16 (with _guide.html
# inlined): the reference the Python-rendered cells (invoer/templatetags/grid_cells.py) must match.
REFERENCE = """{% load kwaliteit %}{% for row in grid.rows %}
        {% for cell in row.cells %}
        {% with m=cell.measurement %}
        {% if writable and row.editable %}
        <td class="cell{% if cell.has_error %} has-error{% elif cell.changed %} changed{% endif %}">
          <label class="visually-hidden" for="v_{{ cell.key }}">{{ cell.indicator.code }} {{ cell.indicator.name }}, team {{ row.team.code }} {{ row.team.name }}, {{ year }}</label>
          <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" class="value"
                 id="v_{{ cell.key }}" name="v_{{ cell.key }}" value="{{ cell.value_input }}"
                 {% if cell.value_error %}aria-invalid="true" {% endif %}{% if cell.value_error or m or cell.guide %}aria-describedby="{% if cell.value_error %}ve_{{ cell.key }} {% endif %}{% if cell.guide %}g_{{ cell.key }} {% endif %}{% if m %}m_{{ cell.key }}{% endif %}"{% endif %}>
          <span class="n-field"><label for="n_{{ cell.key }}"><span class="visually-hidden">{{ cell.indicator.code }}, team {{ row.team.code }}: </span>n</label><input type="text" inputmode="numeric" autocomplete="off" class="n"
                 id="n_{{ cell.key }}" name="n_{{ cell.key }}" value="{{ cell.n_input }}"
                 {% if cell.n_error %}aria-invalid="true" aria-describedby="ne_{{ cell.key }}"{% endif %}></span>
          <input type="hidden" name="o_{{ cell.key }}" value="{{ cell.original }}">
          {% if cell.value_error %}<span class="cell-error" id="ve_{{ cell.key }}">{{ cell.value_error }}</span>{% endif %}
          {% if cell.n_error %}<span class="cell-error" id="ne_{{ cell.key }}">{{ cell.n_error }}</span>{% endif %}
          {% if cell.guide %}{% with guide=cell.guide %}<span class="cell-guide {{ guide.state_class }}" id="g_{{ cell.key }}" data-state="{{ guide.state_class }}"><span class="guide-hint">{{ guide.hint }}</span><span class="visually-hidden">. {{ guide.state }}. {{ guide.sentence }}</span></span>{% endwith %}{% endif %}
          {% if cell.needs_note %}<span class="note-field"><label for="t_{{ cell.key }}">Toelichting</label><input type="text" id="t_{{ cell.key }}" name="t_{{ cell.key }}" value="{{ cell.note_input }}" maxlength="500" placeholder="waarom klopt dit?"{% if cell.flag %} aria-describedby="ve_{{ cell.key }}"{% endif %}></span>{% endif %}
          {% if m %}<a class="cell-meta" id="m_{{ cell.key }}" href="{% url 'invoer:history' college.code row.team.code cell.indicator.code %}?jaar={{ year }}"><span class="visually-hidden">Laatst gewijzigd door </span>{{ m.updated_by|default:"import" }}, {{ m.updated_at|date:"j-n-Y H:i" }}{% if m.note %}, met toelichting{% endif %}<span class="visually-hidden"> (geschiedenis)</span></a>{% if m.note %}<span class="visually-hidden">Toelichting: {{ m.note }}</span>{% endif %}{% endif %}
        </td>
        {% else %}
        <td class="cell num">{% if m %}{{ m.value|nl }}{% if m.note %} <span class="small" title="{{ m.note }}">(toelichting)</span>{% endif %}{% if m.n is not None %} <span class="small muted">n={{ m.n }}</span>{% endif %}
          <a class="cell-meta" href="{% url 'invoer:history' college.code row.team.code cell.indicator.code %}?jaar={{ year }}">{{ m.updated_by|default:"import" }}, {{ m.updated_at|date:"j-n-Y H:i" }}</a>{% else %}<span class="muted">–</span>{% endif %}{% if cell.guide %}{% with guide=cell.guide %}<span class="cell-guide {{ guide.state_class }}" id="g_{{ cell.key }}" data-state="{{ guide.state_class }}"><span class="guide-hint">{{ guide.hint }}</span><span class="visually-hidden">. {{ guide.state }}. {{ guide.sentence }}</span></span>{% endwith %}{% endif %}</td>
        {% endif %}
        {% endwith %}
        {% endfor %}{% endfor %}"""
CELLS = "{% load grid_cells %}{% for row in grid.rows %}{% grid_cells row college year writable %}{% endfor %}"


def _compact(html: str) -> str:
    """Return markup without the whitespace between tags (the template's blank lines)."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _context(response) -> dict:
    """Return the grid page's template context as a dict (the test client keeps one per rendered template)."""
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    return next(context for context in contexts if "grid" in context).flatten()


def _cells(response) -> list[str]:
    """Return the grid's cells rendered by the template reference and by grid_cells, from the page's context."""
    context = _context(response)
    engine = engines["django"]
    return [
        _compact(engine.from_string(source).render(context, response.wsgi_request)) for source in (REFERENCE, CELLS)
    ]


@pytest.fixture
def status_reads(monkeypatch):
    """Count the reads of a year's whole status (rapportage.selectors.status_body) by the grid and its guidance."""
    calls = []
    for module in (grid_module, guidance_module):
        real = module.status_body
        monkeypatch.setattr(
            module, "status_body", lambda *args, _real=real, **kw: calls.append(args) or _real(*args, **kw)
        )
    return calls


def _client(client, username: str):
    """Return the test client logged in as `username`."""
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_the_grid_page_reads_the_years_status_once(client, rocvaf_demo, status_reads):
    """The guidance and the verdicts under the columns come from one read of 2022's stored status."""
    response = _client(client, "directeur5100").get(URL)
    assert response.status_code == 200
    assert len(status_reads) == 1
    status = {c["indicator"].code: c["status"] for c in response.context["columns"]}["1a"]
    assert (status["met"], status["teams_contributed"], status["teams_total"]) == (False, 5, 9)
    assert all(cell.guide for cell in response.context["grid"].cells() if cell.indicator.code == "1a")


def test_a_save_reads_no_whole_status_and_names_the_flip_it_made(
    client, rocvaf_demo, status_reads, django_capture_on_commit_callbacks
):
    """In-process (make demo) the save recomputes before its redirect; its message names the flip with the counts."""
    director = _client(client, "directeur5100")
    page = director.get(URL)
    fields = grid_form(page.content.decode()).fields
    fields[f"v_{key('1a', '5100-JUR')}"] = "7,5"
    status_reads.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = director.post(URL, fields)
    assert response.status_code == 302
    assert status_reads == [], "a save that redirects builds no guidance and reads only the flipped indicator"
    shown = [str(message) for message in director.get(URL).context["messages"]]
    assert FLIP_1A in shown


def test_a_refused_save_shows_the_page_with_guidance_and_verdicts(client, rocvaf_demo):
    """A save with an unreadable cell stores nothing and shows the guidance and the college verdicts as stored."""
    response = post_grid(_client(client, "directeur5100"), "5100", {("1a", "5100-JUR"): "zeven"})
    assert response.status_code == 400
    grid = response.context["grid"]
    assert [cell.value_error for cell in grid.errors] and all(guide for guide in grid.guides if guide is not None)
    assert any(guide is not None for guide in grid.guides)
    status = {c["indicator"].code: c["status"] for c in response.context["columns"]}["1a"]
    assert status["teams_contributed"] == 5
    assert 'id="g_' in response.content.decode()


@pytest.mark.parametrize("username", ["directeur5100", "bestuur", "teamleider5100"])
def test_cells_are_the_markup_the_template_wrote(client, rocvaf_demo, username):
    """Inputs for a writer, values for a reader, both in one page for a teamleider: as the template had them."""
    reference, cells = _cells(_client(client, username).get(URL))
    assert reference == cells and cells.count("<td") > 100


def test_cells_with_errors_notes_and_flags_are_the_markup_the_template_wrote(client, rocvaf_demo):
    """A refused save with an unreadable value, a bad n and a typed note re-renders each cell as before."""
    director = _client(client, "directeur5100")
    team = Team.objects.get(code="5100-JUR")
    Measurement.objects.filter(team=team, indicator__code="1b", year=YEAR).update(note='klopt "zo" <b>')
    fields = grid_form(director.get(URL).content.decode()).fields
    fields[f"v_{key('1a', '5100-JUR')}"] = "zeven"
    fields[f"n_{key('1b', '5100-JUR')}"] = "veel"
    fields[f"t_{key('2b', '5100-JUR')}"] = "<script>alert(1)</script>"
    fields[f"v_{key('2b', '5100-JUR')}"] = "6,1"
    response = director.post(URL, fields)
    assert response.status_code == 400
    reference, cells = _cells(response)
    assert reference == cells
    assert "&lt;script&gt;" in cells and "<script>" not in cells
    assert "klopt &quot;zo&quot; &lt;b&gt;" in cells


def test_a_team_name_is_text_in_every_cell(client, rocvaf_demo):
    """A director types team names: one with markup shows as text in the writer's and the reader's cells."""
    Team.objects.filter(code="5100-JUR").update(name='<img src=x onerror="alert(1)">')
    for username in ("directeur5100", "bestuur"):
        reference, cells = _cells(_client(client, username).get(URL))
        assert reference == cells
        assert "<img" not in cells


def test_the_grid_page_queries_do_not_grow_with_its_cells(client, rocvaf_demo):
    """Rendering the cells runs no query: every value, user and guidance is read before the template."""
    director = _client(client, "directeur5100")
    response = director.get(URL)
    context = _context(response)
    template = engines["django"].from_string(CELLS)
    with CaptureQueriesContext(connection) as queries:
        template.render(context)  # no request: the context processors' own queries are not the cells'
    assert len(queries) == 0, [q["sql"] for q in queries]
