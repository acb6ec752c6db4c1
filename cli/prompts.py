"""`switchflow prompts build`: the prompt audio FreeSWITCH plays, from the catalogues."""

from __future__ import annotations

from pathlib import Path

import click

from .project import cli_settings, load_prompts, prompts_dir


@click.group(short_help="Build the prompt audio FreeSWITCH plays.")
def prompts() -> None:
    """Prompt audio: `switchflow prompts build`."""


@prompts.command(short_help="Turn the prompt catalogues and say fragments into WAV files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to build into (default: [paths] sounds).")
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable).")
@click.option("--voice", "voices", multiple=True, metavar="LANG=VOICE",
              help="espeak-ng voice for a language, e.g. zh-CN=cmn (repeatable).")
def build(out: Path | None, langs: tuple[str, ...], voices: tuple[str, ...]) -> None:
    """Make every prompt (prompts/LANG.toml) and say fragment (prompts/say/LANG.toml)
    a 16-bit mono WAV at 8 and 16 kHz, laid out as FreeSWITCH's sound folders:
    OUT/switchflow/LANG/RATE/KEY.wav. A recording in prompts/recorded/LANG/KEY.wav
    is used instead of the synthetic voice. Keys built before from the same text,
    voice and recording are skipped. Copy OUT/switchflow to [freeswitch] sounds_dir
    on every FreeSWITCH node.

    Exit status 1 when prompts are still missing (listed at the end).

    \b
    Example:
      switchflow prompts build
      switchflow prompts build --lang zh-CN --out /tmp/sounds
    """
    from fsmod.audio.build import VOICES, BuildError
    from fsmod.audio.build import build as build_prompts

    settings = cli_settings()
    folder = prompts_dir(settings)
    catalogues = load_prompts(folder)
    fragments = load_prompts(folder / "say") if (folder / "say").is_dir() else {}
    unknown = [lang for lang in langs if lang not in catalogues and lang not in fragments]
    if unknown:
        raise click.UsageError(f"no catalogue for {', '.join(unknown)} in {folder} "
                               f"(there are: {', '.join(sorted(catalogues))})")
    chosen = dict(VOICES)
    for item in voices:
        lang, eq, voice = item.partition("=")
        if not eq or not lang or not voice or any(c.isspace() for c in item):
            raise click.UsageError(f"--voice {item!r}: expected LANG=VOICE, such as zh-CN=cmn")
        chosen[lang] = voice
    out = out or settings.paths.sounds
    try:
        report = build_prompts(catalogues, out, fragments=fragments,
                               recorded=folder / "recorded", voices=chosen, langs=langs)
    except BuildError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write into {out}: {exc.strerror}") from None
    for item in report.missing:
        click.echo(f"missing {item.lang} {item.key}: {item.why}")
    click.echo(f"{len(report.built)} built, {len(report.skipped)} unchanged (skipped), "
               f"{len(report.missing)} missing, in {out}")
    if report.missing:
        raise SystemExit(1)
