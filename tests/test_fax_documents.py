"""Fax documents: a TIFF spandsp's txfax takes, Chinese text drawn, PDF and PNG previews,
and statements whose figures are the account's own (seeded store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from engine.fax import layout
from engine.fax.documents import Today, environment, fill
from engine.fax.fonts import FontMissing, find_font
from engine.fax.pages import Drawer
from engine.fax.renderer import FaxRenderer
from engine.seams.documents import RenderError
from store.latefees import LateFeeRule
from store.seed import seed_demo

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "conf" / "documents"
DAY = dt.date(2026, 11, 28)
RULE = LateFeeRule(Decimal("0.001"))


def today() -> Today:
    return Today(DAY, ZoneInfo("Asia/Shanghai"), RULE)


def renderer(tmp_path, compression="group4") -> FaxRenderer:
    return FaxRenderer(TEMPLATES, tmp_path / "spool", compression=compression, today=today,
                       footer="95007 Gas Service")


@pytest.fixture
def seeded(store_db):
    seed_demo(store_db, DAY, RULE)
    return store_db


@pytest.mark.parametrize("compression", ["group4", "group3"])
def test_the_fax_file_is_tiff_class_f_as_txfax_sends_it(seeded, tmp_path, compression):
    path = renderer(tmp_path, compression).render("usage_statement",
                                                  {"account": "12345678", "months": 12}, "zh-CN")
    assert path.parent == tmp_path / "spool" and path.suffix == ".tiff"
    with Image.open(path) as image:
        assert image.format == "TIFF"
        pages = image.n_frames
        for page in range(pages):
            image.seek(page)
            assert image.mode == "1"
            assert image.size[0] == 1728
            assert tuple(round(v) for v in image.info["dpi"]) == (204, 196)
            assert image.info["compression"] == compression
    assert pages >= 1


def test_a_long_document_goes_over_several_pages(tmp_path):
    blocks = layout.parse("# 长文档\n" + "\n".join(f"| {i} | 行 row | {i * 3}" for i in range(150)))
    images = Drawer(find_font()).draw(blocks, "footer")
    assert len(images) >= 3
    assert all(im.size == (1728, 2292) for im in images)


def _ink(image: Image.Image, box) -> int:
    """Black pixels in a region of a bilevel page."""
    return image.crop(box).convert("L").histogram()[0]


def test_chinese_text_is_drawn_as_its_own_glyphs_not_boxes():
    drawer = Drawer(find_font())
    one = drawer.draw(layout.parse("# 燃气"))[0]
    other = drawer.draw(layout.parse("# 账单"))[0]
    title_band = (0, 100, 1728, 220)           # the title's line, centred at the top
    assert _ink(one, title_band) > 500 and _ink(other, title_band) > 500
    # a font without Chinese would draw the same box for every character
    assert one.crop(title_band).tobytes() != other.crop(title_band).tobytes()
    assert _ink(one, (0, 400, 1728, 2100)) == 0   # nothing but the title on the page


def test_the_arrears_statement_has_the_accounts_own_figures(seeded):
    text = fill(environment(TEMPLATES), "arrears_statement", {"account": "12345678"},
                today(), "zh-CN")
    fields = {b.cells[0]: b.cells[1] for b in layout.parse(text) if b.kind == "field"}
    # engine/demo.py's account 12345678: 120.50 yuan in arrears, 3.62 of late fees today
    assert fields["欠费合计 Arrears"] == "120.50 元"
    assert fields["滞纳金合计 Late fees"] == "3.62 元"
    assert fields["应缴总额 Total due"] == "124.12 元"
    rows = [b for b in layout.parse(text) if b.kind == "row"]
    assert len(rows) == 2                         # two overdue months
    assert sum(Decimal(r.cells[1]) for r in rows) == Decimal("120.50")
    assert "张" in fields["户名 Name"] and "伟" in fields["户名 Name"]


def test_the_usage_statement_lists_the_months_asked_for(seeded):
    text = fill(environment(TEMPLATES), "usage_statement", {"account": "12345678", "months": 3},
                today(), "zh-CN")
    rows = [b for b in layout.parse(text) if b.kind == "row"]
    assert len(rows) == 3
    assert rows[0].cells[0] > rows[-1].cells[0]      # most recent first


def test_price_list_and_fee_schedule_come_from_the_store(seeded):
    env = environment(TEMPLATES)
    prices = layout.parse(fill(env, "price_list", {}, today(), "zh-CN"))
    assert any(b.kind == "row" for b in prices)
    fees = layout.parse(fill(env, "fee_schedule", {}, today(), "zh-CN"))
    assert len([b for b in fees if b.kind == "row"]) >= 1


def test_pdf_and_png_previews(seeded, tmp_path):
    from pypdf import PdfReader

    r = renderer(tmp_path)
    pdf = r.render_to("payment_reminder", {"account": "12345678"}, "zh-CN", tmp_path / "r.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    assert "缴费通知单" in reader.pages[0].extract_text()
    png = r.render_to("payment_reminder", {"account": "12345678"}, "zh-CN", tmp_path / "r.png")
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] == 1728


def test_documents_that_cannot_be_made_say_why(seeded, tmp_path):
    r = renderer(tmp_path)
    with pytest.raises(RenderError, match="no account 99999999"):
        r.render("arrears_statement", {"account": "99999999"}, "zh-CN")
    with pytest.raises(RenderError, match="months = 13"):
        r.render("usage_statement", {"account": "12345678", "months": 13}, "zh-CN")
    with pytest.raises(RenderError, match="no fax document 'menu'"):
        r.render("menu", {}, "zh-CN")
    with pytest.raises(RenderError, match=r"expected a \.tiff, \.pdf or \.png"):
        r.render_to("policies", {}, "zh-CN", tmp_path / "x.doc")


def test_a_missing_font_is_refused_with_what_to_install(tmp_path):
    with pytest.raises(FontMissing, match="no such file"):
        find_font(str(tmp_path / "none.ttc"))
    r = FaxRenderer(TEMPLATES, tmp_path, font=str(tmp_path / "none.ttc"), today=today)
    with pytest.raises(RenderError, match="fonts-wqy-zenhei"):
        r.render("policies", {}, "zh-CN")


def test_every_catalogue_document_has_a_template():
    import tomllib

    catalog = tomllib.loads((REPO / "flows" / "catalog.toml").read_text(encoding="utf-8"))
    for name in catalog["fax"]:
        assert (TEMPLATES / f"{name}.j2").is_file(), name


def test_a_flows_fax_on_this_line_sends_the_drawn_statement(seeded, tmp_path):
    from test_fax import HERE, call, compile_text

    record, _, _ = call(compile_text(HERE), renderer=renderer(tmp_path))
    (sent,) = record.faxes
    assert sent.success and sent.path.endswith(".tiff")
    with Image.open(sent.path) as image:
        assert image.size[0] == 1728 and image.info["compression"] == "group4"


def test_a_flows_fax_to_a_number_is_a_job_in_the_store(store_db, tmp_path):
    from test_fax import ELSEWHERE, call, compile_text

    from engine.fax.policy import FaxPolicy
    from store.faxjobs import StoreFaxJobs, list_jobs

    record, _, _ = call(compile_text(ELSEWHERE), jobs=StoreFaxJobs(FaxPolicy()),
                        tmp_path=tmp_path)
    (job,) = list_jobs()
    assert (job.document, job.destination, job.state, job.call_id) == \
        ("price_list", "02187654321", "queued", record.call_id)
    assert record.fax_jobs[0].job == str(job.id)
