"""/faxes: an agent sees the faxes that came in, who sent them (the customer whose
phone it was), and can open each page; a stored path outside [fax] inbox_dir is
never served."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from PIL import Image

from store.faxjobs.inbox import store_received
from store.models.customers import Customer, Phone

pytest_plugins = ["panel_support"]   # the `panel` fixture

AT = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)     # 10:30 in Shanghai


@pytest.fixture
def inbox(panel, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    fax = dataclasses.replace(panel.ctx.settings.fax, inbox_dir=str(folder))
    panel.ctx.settings = dataclasses.replace(panel.ctx.settings, fax=fax)
    return folder


def two_page_tiff(path) -> None:
    """A fine fax: 1728 px wide, 204×196 dpi, G4; page 2 is black."""
    white = Image.new("1", (1728, 400), 1)
    black = Image.new("1", (1728, 400), 0)
    white.save(path, "TIFF", compression="group4", dpi=(204, 196), save_all=True,
               append_images=[black])


def receive(path, caller: str, *, pages: int = 2, success: bool = True, uuid: str = "u1",
            text: str = "OK") -> int:
    fax_id = store_received(caller=caller, destination="95007", path=str(path), pages=pages,
                            success=success, result_code=0 if success else 49,
                            result_text=text, remote_station="+86 10 5555", channel_uuid=uuid,
                            node="fs", at=AT)
    assert fax_id is not None
    return fax_id


def test_an_agent_sees_who_sent_a_fax_and_opens_its_pages(panel, inbox):
    customer = Customer.create(account="12345678", name="张<b>伟</b>", address="幸福路 1 号",
                               customer_class="residential", supply_area="100010",
                               pin_hash="x")
    Phone.create(customer=customer, number="13800000001", position=0)
    two_page_tiff(inbox / "fax-1.tif")
    fax_id = receive(inbox / "fax-1.tif", "+8613800000001")
    receive(inbox / "gone.tif", "075512345678", pages=1, success=False, uuid="u2",
            text="Disconnected after permitted retries")
    agent = panel.client("agent")
    page = agent.get("/faxes").get_data(as_text=True)
    row = page[page.index(f'<tr data-fax="{fax_id}">'):]
    row = row[:row.index("</tr>")]
    assert "2026-11-28 10:30" in row and "+8613800000001" in row
    assert "张&lt;b&gt;伟&lt;/b&gt; · 12345678" in row          # the customer, as text
    assert "failed: Disconnected after permitted retries" in page
    first = agent.get(f"/faxes/{fax_id}/pages/1.png")
    second = agent.get(f"/faxes/{fax_id}/pages/2.png")
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "image/png"
    with Image.open(io.BytesIO(first.data)) as one, Image.open(io.BytesIO(second.data)) as two:
        assert one.width == 1000 and one.getpixel((10, 10)) == 255
        assert two.getpixel((10, 10)) == 0                        # page 2 is page 2
    assert agent.get(f"/faxes/{fax_id}/pages/3.png").status_code == 404


def test_a_path_outside_the_inbox_is_not_served(panel, inbox, tmp_path):
    outside = tmp_path / "secret.tif"
    two_page_tiff(outside)
    fax_id = receive(outside, "13800000009")
    agent = panel.client("agent")
    assert agent.get(f"/faxes/{fax_id}/pages/1.png").status_code == 404
    assert f"on the FreeSWITCH node: {outside}" in agent.get("/faxes").get_data(as_text=True)


def test_the_inbox_needs_a_login(panel):
    assert panel.anonymous().get("/faxes").status_code == 302
