"""FreeSWITCH and Kamailio configuration from the settings: render (write) and check.

`render.render` writes the files (`switchflow conf render --out DIR`),
`check.check` reads a folder back and reports what would stop calls from
reaching switchflow (`switchflow conf check DIR`). docs/operations.md is
the operator's side of it.
"""
