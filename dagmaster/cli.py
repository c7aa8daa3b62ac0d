"""The `dagmaster` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.diagram import to_dot, to_mermaid
from domain.inputs import InputError, parse_cli_value, resolve_inputs
from domain.loader import (
    WorkflowValidationError,
    find_workflow_file,
    load_workflow_dir,
    load_workflow_file,
)
from domain.models import WorkflowDefinition
from domain.simulate import describe, given, simulate

app = typer.Typer(
    help="dagmaster: geospatial workflow engine on Azure Durable Functions.",
    no_args_is_help=True,
    add_completion=False,
)

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / "workflows"


def _handler_names() -> frozenset[str]:
    import handlers

    return handlers.registry.names()


def _load(workflow: str) -> WorkflowDefinition:
    """A path to a YAML file, or the id of a shipped workflow."""
    path = Path(workflow)
    if path.exists():
        return load_workflow_file(path, handlers=_handler_names())
    return load_workflow_file(find_workflow_file(WORKFLOWS, workflow), handlers=_handler_names())


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="workflow files or folders")],
    platforms: Annotated[
        list[Path] | None,
        typer.Option("--platforms", help="platform registry folder, checked against the workflows"),
    ] = None,
) -> None:
    """Validate workflow files (and a platform registry); print every problem, exit 1 if any."""
    from domain.platforms import PlatformValidationError, load_platform_dir

    try:
        found = load_workflow_dir(paths, handlers=_handler_names())
    except WorkflowValidationError as exc:
        _problems(exc.problems)
        raise typer.Exit(1) from exc
    for (wid, version), source in sorted(found.sources.items()):
        typer.echo(f"ok  {wid} v{version}  ({source})")
    if not platforms:
        return
    try:
        registry = load_platform_dir(platforms, workflows={wid for wid, _ in found.workflows})
    except PlatformValidationError as exc:
        _problems(exc.problems)
        raise typer.Exit(1) from exc
    for platform_id, source in sorted(registry.sources.items()):
        typer.echo(f"ok  platform {platform_id}  ({source})")


def _problems(problems: list[Any]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{len(problems)} problem(s) found", err=True)


@app.command()
def graph(
    workflow: Annotated[str, typer.Argument(help="a workflow file or shipped workflow id")],
    dot: Annotated[bool, typer.Option("--dot", help="Graphviz DOT instead of Mermaid")] = False,
) -> None:
    """Print a workflow's DAG as Mermaid (or DOT)."""
    definition = _load_or_exit(workflow)
    typer.echo(to_dot(definition) if dot else to_mermaid(definition))


def _load_or_exit(workflow: str) -> WorkflowDefinition:
    try:
        return _load(workflow)
    except WorkflowValidationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except KeyError as exc:
        typer.echo(f"unknown workflow '{workflow}' (not a file, not in {WORKFLOWS})", err=True)
        raise typer.Exit(1) from exc


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            typer.echo(f"bad {what} {value!r}: expected key=value", err=True)
            raise typer.Exit(2)
        parsed[key] = parse_cli_value(text)
    return parsed


@app.command()
def plan(
    workflow: Annotated[str, typer.Argument(help="a workflow file or shipped workflow id")],
    input: Annotated[list[str], typer.Option("--input", "-i", help="k=v (JSON values)")] = [],  # noqa: B006
    output: Annotated[
        list[str],
        typer.Option(
            "--output", "-o", help="node=JSON: simulated output of a node (default: echo params)"
        ),
    ] = [],  # noqa: B006
) -> None:
    """Dry run: the order nodes would run in, which are skipped and why."""
    definition = _load_or_exit(workflow)
    try:
        inputs = resolve_inputs(definition, _pairs(input, "input"))
    except InputError as exc:
        for field, problem in exc.problems.items():
            typer.echo(f"inputs.{field}: {problem}", err=True)
        raise typer.Exit(1) from exc
    result = simulate(definition, inputs, _pairs(output, "output"))
    typer.echo(f"plan of {definition.workflow_id} v{definition.version}")
    for number, rnd in enumerate(result.rounds, 1):
        typer.echo(f"round {number}:")
        for node, target in rnd.choices.items():
            typer.echo(f"  {node}: takes branch -> {target or '(none)'}")
        for d in rnd.dispatched:
            shown = json.dumps(given(d), default=str)
            typer.echo(f"  run  {d.node_id}  [{describe(d)}]  {shown}")
        for node, reason in rnd.skipped.items():
            typer.echo(f"  skip {node}: {reason}")
    state = result.state
    typer.echo(f"job would end {state.status.value}")
    if state.error:
        typer.echo(f"  error: {state.error.message}")
    typer.echo(f"  output: {json.dumps(state.output, default=str)}")
    if state.status.value != "completed":
        raise typer.Exit(1)


@app.command()
def openapi(
    readme: Annotated[
        Path | None, typer.Option("--readme", help="rewrite this README's copy instead")
    ] = None,
) -> None:
    """Print the HTTP API's OpenAPI 3.1 document (or refresh the README's copy of it)."""
    import function_app  # noqa: F401  (registers every route)
    from api.contract import openapi as document
    from api.contract import with_readme_copy

    if readme is None:
        typer.echo(json.dumps(document(), indent=1, ensure_ascii=False))
        return
    readme.write_text(with_readme_copy(readme.read_text(), document()))
    typer.echo(f"updated the OpenAPI copy in {readme}")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,  # `--help` goes to devhost, which lists the options
)
def dev(ctx: typer.Context) -> None:
    """Run the Functions app locally on devhost (`dagmaster dev --help` lists the options)."""
    from devhost.cli import main as devhost_main

    raise typer.Exit(devhost_main(["start", *ctx.args], start_prog="dagmaster dev"))


@app.command()
def settings() -> None:
    """Print every setting dagmaster reads, as the README's Markdown table."""
    from config.settings import markdown_table

    typer.echo(markdown_table(), nl=False)


def _mount_db() -> None:
    from adapters.catalog.cli import db_app

    app.add_typer(db_app, name="db", help="The job catalog database: upgrade, status.")


_mount_db()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
