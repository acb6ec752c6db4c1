"""/faxes: the faxes received on [fax] number, newest first, each page viewable.

rxfax writes the TIFF on the FreeSWITCH node, under [fax] inbox_dir; the
panel shows a page only when that file is readable here (one box, or a
shared folder) and lies inside inbox_dir — a stored path is never trusted to
point anywhere else. Otherwise the list says where the file is.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from PIL import Image, ImageSequence, UnidentifiedImageError

from engine.calendars.clock import get_zone
from panel.auth import Role, requires
from panel.context import panel_context
from store.faxjobs.inbox import Received, find_received, list_received
from store.phones import phone_owners

blueprint = Blueprint("faxes", __name__, url_prefix="/faxes", template_folder="templates")

SHOWN = 100
PREVIEW_WIDTH = 1000       # px: a 1728-px fax line scaled to fit a screen


def readable(fax: Received) -> Path | None:
    """The fax's file when it is inside [fax] inbox_dir and readable here."""
    inbox = Path(panel_context().settings.fax.inbox_dir).resolve()
    try:
        path = Path(fax.path).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(inbox) or not path.is_file():
        return None
    return path


@blueprint.route("")
@requires(Role.AGENT)
def inbox() -> Any:
    caller = request.args.get("caller", "").strip()[:32] or None
    faxes = list_received(SHOWN, caller)
    zone = get_zone(panel_context().settings.engine.timezone)
    rows = [(fax, fax.received_at.astimezone(zone), readable(fax) is not None) for fax in faxes]
    return render_template("faxes/inbox.html", rows=rows, caller=caller or "",
                           senders=phone_owners({fax.caller for fax in faxes}))


@blueprint.route("/<int:fax_id>/pages/<int:page>.png")
@requires(Role.AGENT)
def page(fax_id: int, page: int) -> Any:
    fax = find_received(fax_id)
    path = readable(fax) if fax is not None else None
    if path is None:
        abort(404)
    try:
        with Image.open(path) as tiff:
            frames = ImageSequence.Iterator(tiff)
            if page < 1:
                abort(404)
            try:
                frame = frames[page - 1]
            except IndexError:
                abort(404)
            picture = fax_page(frame)
    except (OSError, UnidentifiedImageError):
        abort(404)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return Response(out.getvalue(), mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


def fax_page(frame: Image.Image) -> Image.Image:
    """A fax page as a screen shows it: fine faxes are 204×196 dpi, normal ones
    204×98 (every line twice as tall), so the page is scaled to square pixels."""
    dpi = frame.info.get("dpi") or (204, 196)
    x_dpi, y_dpi = (float(dpi[0]) or 204.0), (float(dpi[1]) or 196.0)
    width = min(PREVIEW_WIDTH, frame.width)
    height = max(1, round(frame.height * (x_dpi / y_dpi) * width / frame.width))
    return frame.convert("L").resize((width, height), Image.Resampling.LANCZOS)
