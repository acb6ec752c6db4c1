"""`switchflow test --mutate`: how many caller-visible changes to each flow its tests catch."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from engine.runtime import Runtime
from engine.sim.flowtest import run_test
from engine.sim.mutate import MutationReport, TestRun, run_mutation


def mutate_flow(ir: Mapping[str, Any], runtime: Runtime, *, verbose: bool) -> MutationReport:
    """Run the flow's tests against each of its mutants and print the score and the survivors."""

    def run(flow: Mapping[str, Any], test: Mapping[str, Any]) -> TestRun:
        result = run_test(flow, test, runtime)
        return TestRun(result.passed, frozenset(result.record.path if result.record else ()))

    records = {name: list(sig.fields) for name, sig in runtime.catalog.lookups.items()}
    report = run_mutation(ir, run, records=records)
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
