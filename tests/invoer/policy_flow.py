"""The two steps of a policy page (issue 15 item 5) for tests: preview, then save with the preview's fingerprint."""


def preview(client, url: str, data: dict):
    """Return the response to "Voorbeeld bekijken": the dry run, nothing saved."""
    return client.post(url, {**data, "preview": "1"})


def preview_and_save(client, url: str, data: dict):
    """Preview the revision, then save exactly that; return (preview response, save response)."""
    shown = preview(client, url, data)
    assert shown.status_code == 200, shown.context["form"].errors if shown.context else shown.status_code
    fingerprint = shown.context["effects"].fingerprint
    return shown, client.post(url, {**data, "save": "1", "fingerprint": fingerprint})
