"""`switchflow fax` as an operator types it, on both databases: documents written by
extension, jobs queued, followed, retried and cancelled, the inbox; refusals in one line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from cli.main import cli
from store.faxjobs.inbox import store_received
from store.seed import seed_demo


@pytest.fixture
def sf(store_db, db_url):
    seed_demo(store_db, dt.datetime.now(dt.UTC).date())

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args), env={"SWITCHFLOW_DB": db_url})
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        return result
    return run


def test_render_writes_the_format_its_extension_names(sf, tmp_path):
    tiff = sf("fax", "render", "arrears_statement", "--account", "12345678",
              "--out", str(tmp_path / "a.tiff"))
    assert tiff.exit_code == 0, tiff.output
    assert "1 page, TIFF class F group4" in tiff.output
    with Image.open(tmp_path / "a.tiff") as image:
        assert image.size[0] == 1728 and image.info["compression"] == "group4"
    assert sf("fax", "render", "price_list", "--out", str(tmp_path / "p.pdf")).exit_code == 0
    assert (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    assert sf("fax", "render", "policies", "--out", str(tmp_path / "p.png")).exit_code == 0
    bad = sf("fax", "render", "policies", "--out", str(tmp_path / "p.doc"))
    assert bad.exit_code == 2 and "expected a .tiff, .pdf or .png" in bad.output
    unknown = sf("fax", "render", "arrears_statement", "-a", "999", "--out",
                 str(tmp_path / "x.pdf"))
    assert unknown.exit_code == 1 and "no account 999" in unknown.output


def test_send_list_show_cancel_retry(sf):
    sent = sf("fax", "send", "payment_reminder", "-a", "12345678", "--to", "02187654321",
              "--as", "wang")
    assert sent.exit_code == 0 and sent.output.startswith("fax job 1 queued")
    listed = json.loads(sf("fax", "list", "--format", "json").output)
    assert [(j["id"], j["state"], j["dials"], j["tries"]) for j in listed] == \
        [(1, "queued", "0/12", "0/3")]
    shown = sf("fax", "show", "1").output
    assert "payment_reminder to 02187654321 — queued" in shown and "cli:wang" in shown
    assert sf("fax", "cancel", "1").exit_code == 0
    again = sf("fax", "cancel", "1")
    assert again.exit_code == 1 and "already cancelled" in again.output
    assert sf("fax", "retry", "1").exit_code == 0
    assert "queued" in sf("fax", "list", "--state", "queued").output
    bad = sf("fax", "send", "price_list", "--to", "12;rm")
    assert bad.exit_code == 2 and "expected 3 to 32 digits" in bad.output


def test_the_inbox_lists_received_faxes_with_the_callers_number(sf):
    assert "no faxes received" in sf("fax", "inbox").output
    store_received(caller="02188880000", destination="95007", path="/srv/fax/in/1.tif",
                   pages=2, success=True, result_code=0, result_text="OK", remote_station="",
                   channel_uuid="u-1", node="fs1", at=dt.datetime.now(dt.UTC))
    out = sf("fax", "inbox").output
    assert "02188880000" in out and "/srv/fax/in/1.tif" in out
