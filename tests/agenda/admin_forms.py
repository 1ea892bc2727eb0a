"""What a browser posts from an admin page's form, for tests that save admin pages as a user would."""

from html.parser import HTMLParser


class PageForm(HTMLParser):
    """Collect what a browser would post from the page's form: inputs, checked boxes, selected options, text areas."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str | list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name] = attrs.get("value") or "on"
            else:
                self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select, self._multiple = name, "multiple" in attrs
            if self._multiple:
                self.data[name] = []
        elif tag == "option" and self._select and "selected" in attrs:
            if self._multiple:
                self.data[self._select].append(attrs.get("value") or "")
            else:
                self.data[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_data(client, url: str) -> dict:
    """Return what the page at `url` posts when saved unchanged (its form's own values)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    form = PageForm()
    form.feed(response.content.decode())
    return form.data
