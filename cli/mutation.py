"""`switchflow test --mutate`: how many caller-visible changes to each flow its tests catch."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from engine.runtime import Runtime
from engine.sim.flowtest import run_test
from engine.sim.mutate import MutationReport, TestRun, run_mutation


def measure_flow(ir: Mapping[str, Any], runtime: Runtime, *,
                 strict: bool = False) -> MutationReport:
    """Run the flow's tests against each of its mutants (the catalogue's records and flows
    give the field and flow mutants); `strict` runs every test as a strict one."""

    def run(flow: Mapping[str, Any], test: Mapping[str, Any]) -> TestRun:
        result = run_test(flow, test, runtime, strict=strict)
        return TestRun(result.passed, frozenset(result.record.path if result.record else ()))

    catalog = runtime.catalog
    records = {name: {f: str(t) for f, t in sig.fields.items()}
               for name, sig in (*catalog.lookups.items(), *(catalog.targets or {}).items())}
    with _quiet_engine():   # a mutant that breaks a call logs it; that is the point
        return run_mutation(ir, run, records=records, flows=catalog.flows or ())


def mutate_flow(ir: Mapping[str, Any], runtime: Runtime, *, verbose: bool,
                strict: bool = False) -> MutationReport:
    """Measure the flow and print its score and the mutants that survived."""
    report = measure_flow(ir, runtime, strict=strict)
    path = Path(report.source)
    if not report.baseline_passes:
        click.echo(f"{path}: its tests fail on the unchanged flow; fix them before mutating")
        return report
    colour = "green" if report.score >= 90 else "yellow" if report.score >= 70 else "red"
    click.echo(f"{path}: mutation score " + click.style(f"{report.score:.1f}%", fg=colour)
               + f" ({len(report.killed)} of {report.total} mutants killed)")
    for mutant in report.survived if verbose else report.survived[:10]:
        where = ir["nodes"].get(mutant.node, {}).get("source") or path   # a library's sub
        click.echo(f"    survived {where}:{mutant.line} [{mutant.node}] {mutant.what}")
    if not verbose and len(report.survived) > 10:
        click.echo(f"    … and {len(report.survived) - 10} more (-v lists them all)")
    return report


@contextlib.contextmanager
def _quiet_engine() -> Iterator[None]:
    engine_log = logging.getLogger("engine")
    level = engine_log.level
    engine_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        engine_log.setLevel(level)
