"""`switchflow test`: run the `test` blocks of flows on the simulator, or on the wire
(`--wire`: the engine on the ESL channel, over TCP, against the fake FreeSWITCH)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from engine.settings import SettingsError, load_settings
from engine.sim import flowtest
from engine.sim.flowtest import Coverage, coverage_of, run_test
from fsmod.fake.switch import FakeFreeSWITCH
from fsmod.wiretest import run_wire_test

from .mutation import mutate_flow
from .output import engine_logs_as_lines, show
from .project import compile_checked, demo_runtime, find_flow_files, flow_names


@click.command(short_help="Run the test blocks of flows on the simulator.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-k", "keyword", help="Run only tests whose `flow::name` contains this text.")
@click.option("-v", "--verbose", is_flag=True, help="One line per test.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="List nodes and menu keys no test reached.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help="Fail when node+key coverage is below this percentage.")
@click.option("--hangup-everywhere", is_flag=True,
              help="Re-run each test hanging up at every step; check nothing leaks.")
@click.option("--strict", is_flag=True,
              help="Every test is strict: whatever is played or said before an expectation "
                   "and not named by one fails the test.")
@click.option("--wire", is_flag=True,
              help="Run the tests with the engine on the ESL channel over TCP against the "
                   "fake FreeSWITCH instead of the simulator.")
@click.option("--scale", type=click.FloatRange(0.001, 1.0), default=0.02, show_default=True,
              help="With --wire: how fast the fake switch's clock runs (0.02: 50 times "
                   "faster than real time).")
@click.option("--mutate", is_flag=True,
              help="Mutation testing: change each flow in small caller-visible ways and "
                   "report the changes no test catches (--fail-under applies to the score).")
def test(paths: tuple[str, ...], keyword: str | None, verbose: bool, show_coverage: bool,
         fail_under: float | None, hangup_everywhere: bool, strict: bool, wire: bool,
         scale: float, mutate: bool) -> None:
    """Run the `test` blocks of flows (default: the flows folder, flows/) on the simulator.

    Lookups a test does not `given` answer from the demo data.
    Exit status 1 when a test fails, a flow has errors, or coverage is
    below --fail-under; 2 when -k matches no test.

    \b
    Example:
      switchflow test flows/
      switchflow test flows/hotline.flow -k "repair progress" -v
      switchflow test --coverage --fail-under 100 --hangup-everywhere
      switchflow test --strict flows/emergency.flow
      switchflow test --mutate flows/hotline.flow
      switchflow test --wire flows/hotline.flow
    """
    inject = hangup_everywhere
    if wire and (inject or mutate):
        raise click.UsageError("--wire runs each test once: leave out --hangup-everywhere "
                               "and --mutate")
    engine_logs_as_lines()
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    files = find_flow_files(paths or (str(settings.paths.flows),))
    if not files:
        raise click.UsageError("no .flow files found")
    # the demo data is dated [sim] start, as in `switchflow call`
    runtime = demo_runtime(settings, near=files[0].parent, today=settings.sim.start.date())
    runtime.catalog.flows = (runtime.catalog.flows or set()) | flow_names(files=files)
    if mutate:
        _mutation(files, runtime, verbose, fail_under, strict)
        return
    fake = _fake_switch(scale) if wire else None
    started = time.perf_counter()
    passed = failed = broken = available = 0
    total = Coverage()
    failures = []
    for path in files:
        ir, checked = compile_checked(path, runtime.catalog)
        if ir is None and checked.ok:   # a library: its subs are tested in the flows using it
            continue
        if ir is None:
            show([checked], "full")
            broken += 1
            continue
        cov = coverage_of(ir)
        marks = []
        available += len(ir["tests"])
        for t in ir["tests"]:
            label = f"{path}::{t['name']}"
            if keyword and keyword.lower() not in label.lower():
                continue
            if fake is not None:
                result = run_wire_test(ir, t, runtime, fake, strict=strict)
            else:
                result = (flowtest.hangup_everywhere if inject else run_test)(ir, t, runtime,
                                                                               strict=strict)
            if result.record:
                cov.nodes |= set(result.record.path)
                cov.keys |= set(result.record.keys)
            if result.passed:
                passed += 1
                marks.append(".")
            else:
                failed += 1
                marks.append(click.style("F", fg="red", bold=True))
                failures.append((label, result))
            if verbose:
                status = click.style("PASSED", fg="green") if result.passed else \
                    click.style("FAILED", fg="red")
                extra = f" ({result.runs} runs)" if inject else ""
                click.echo(f"{label} {status}{extra}")
        if not verbose and marks:
            click.echo(f"{path} {''.join(marks)}")
        _merge(total, cov, path)
        if show_coverage and (cov.missed_nodes or cov.missed_keys):
            _report_missed(path, cov)
    for label, result in failures:
        click.echo(click.style(f"\nFAILED {label}", fg="red", bold=True) + f" (line {result.line})")
        for problem in result.problems:
            click.echo(f"    {problem}")
    if show_coverage or fail_under is not None:
        click.echo(f"\ncoverage: {total.percent:.1f}% of nodes and menu keys "
                   f"({len(total.nodes & total.all_nodes)}/{len(total.all_nodes)} nodes, "
                   f"{len(total.keys & total.all_keys)}/{len(total.all_keys)} keys)")
    elapsed = time.perf_counter() - started
    if fake is not None:
        fake.stop()
    if keyword and not passed + failed:
        raise click.UsageError(f"no test matches -k {keyword!r} "
                               f"({available} test{'s' * (available != 1)} in {len(files)} "
                               f"file{'s' * (len(files) != 1)})")
    summary = f"{passed} passed, {failed} failed"
    if broken:
        summary += f", {broken} flow{'s' * (broken != 1)} with errors"
    click.echo(f"\n{summary} in {elapsed:.2f}s")
    if failed or broken or (fail_under is not None and total.percent < fail_under):
        raise SystemExit(1)


def _fake_switch(scale: float) -> FakeFreeSWITCH:
    return FakeFreeSWITCH(scale=scale, heartbeat=None).start()


def _mutation(files: list[Path], runtime, verbose: bool, fail_under: float | None,
              strict: bool) -> None:
    lowest = 100.0
    for path in files:
        ir, checked = compile_checked(path, runtime.catalog)
        if ir is None and checked.ok:   # a library: mutated inside the flows using it
            continue
        if ir is None:
            show([checked], "full")
            raise SystemExit(1)
        report = mutate_flow(ir, runtime, verbose=verbose, strict=strict)
        if not report.baseline_passes:
            raise SystemExit(1)
        lowest = min(lowest, report.score)
    if fail_under is not None and lowest < fail_under:
        click.echo(f"\nlowest mutation score {lowest:.1f}% is under {fail_under:g}%")
        raise SystemExit(1)


def _merge(total: Coverage, cov: Coverage, path: Path) -> None:
    def tag(name):
        return f"{path.stem}:{name}"

    total.all_nodes |= {tag(n) for n in cov.all_nodes}
    total.nodes |= {tag(n) for n in cov.nodes & cov.all_nodes}
    total.all_keys |= {(tag(m), k) for m, k in cov.all_keys}
    total.keys |= {(tag(m), k) for m, k in cov.keys & cov.all_keys}


def _report_missed(path: Path, cov: Coverage) -> None:
    click.echo(f"{path}: not reached by any test:")
    if cov.missed_nodes:
        click.echo("    nodes: " + ", ".join(cov.missed_nodes))
    if cov.missed_keys:
        click.echo("    menu keys: " + ", ".join(f"{m}:{k}" for m, k in cov.missed_keys))
