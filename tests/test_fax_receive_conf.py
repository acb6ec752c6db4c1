"""Receiving faxes: `switchflow conf render` routes [fax] number to rxfax, marked so that
serve keeps each received fax (the dialplan FreeSWITCH reads)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from test_conf_render import DIALPLAN, FLOWS, agents_file, settings_from

from fsmod.config.render import render
from fsmod.config.values import RenderError


def test_the_fax_number_receives_with_rxfax_into_the_inbox_folder(tmp_path):
    settings = settings_from(tmp_path, '[fax]\nnumber = "95007"\n'
                                       'inbox_dir = "/var/spool/fax/in/"\n')
    render(settings, FLOWS, agents_file(tmp_path), tmp_path / "out")
    root = ET.parse(tmp_path / "out" / DIALPLAN).getroot()
    (ext,) = [e for e in root.iter("extension") if e.get("name") == "switchflow_fax_inbox"]
    condition = ext.find("condition")
    assert condition.get("expression") == "^(95007)$"
    actions = [(a.get("application"), a.get("data")) for a in condition.iter("action")]
    assert actions[:3] == [("set", "sf_fax_inbox=true"), ("set", "fax_ident=95007"),
                           ("answer", None)]
    app, data = actions[3]
    assert app == "rxfax" and data.startswith("/var/spool/fax/in/") and data.endswith(
        "-${uuid}.tif")
    # the hotline's extensions are still there, before it
    assert [e.get("name") for e in root.iter("extension")][:2] == [
        "switchflow_emergency", "switchflow_hotline"]


def test_no_fax_number_no_fax_extension(tmp_path):
    render(settings_from(tmp_path), FLOWS, agents_file(tmp_path), tmp_path / "out")
    text = (tmp_path / "out" / DIALPLAN).read_text(encoding="utf-8")
    assert "rxfax" not in text


def test_the_fax_number_cannot_be_a_flows_number(tmp_path):
    settings = settings_from(tmp_path, '[fax]\nnumber = "8001"\n')
    with pytest.raises(RenderError, match=r"fax\.number 8001 is also flow `emergency`"):
        render(settings, FLOWS, agents_file(tmp_path), tmp_path / "out")
