"""Fax-back documents and fax results.

`documents` fills a document's jinja2 template from the store, `layout`
reads the filled template as blocks, `pages` draws them as TIFF class F
(what mod_spandsp's txfax sends) or PNG, `pdf` writes them as PDF with the
CJK font embedded, `renderer` is the engine's DocumentRenderer on all that,
and `results` says what a T.30 result means for the next try.
"""
