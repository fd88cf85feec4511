"""``frontdesk eval``: measure an agent, keep the run, compare runs, draft cases, share a report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..views import agent_names
from .main import _app, _echo_json, cli, err_console, handled, json_flag, out_console
from .progress import TerminalProgress


class EvalGroup(click.Group):
    """``frontdesk eval AGENT CASES`` runs an evaluation; ``frontdesk eval --compare A B`` compares two runs;
    the other words (``suggest``, ``runs``, ``report``) are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] == "--compare":
            args = ["compare", *args[1:]]
        elif args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@cli.group("eval", cls=EvalGroup)
def eval_group() -> None:
    """Measure an agent before customers do (see docs/evaluation.md).

    \b
    frontdesk eval AGENT CASES.yaml [--json] [--model M] [--label L] [--html FILE]
    frontdesk eval --compare RUN_A RUN_B [--fail-on-drop] [--json]
    frontdesk eval runs [AGENT] | report RUN --html FILE | suggest AGENT [--out FILE]
    """


@eval_group.command("run")
@click.argument("agent")
@click.argument("cases", type=click.Path(exists=True, dir_okay=False))
@json_flag("Print the report as JSON.")
@click.option("--model", help="Model to evaluate (default FRONTDESK_MODEL).")
@click.option("--label", default="", help="A note kept with the run (e.g. 'new prompt').")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write the HTML report here.")
@click.option("--no-store", is_flag=True, help="Do not keep the run.")
@click.pass_context
@handled
def eval_run(ctx: click.Context, agent: str, cases: str, as_json: bool, model: str | None, label: str,
             html_file: str | None, no_store: bool) -> None:
    """Measure AGENT on the questions in CASES (YAML) and keep the run; exit 1 when a case fails."""
    app = _app(ctx)
    from ..evaluation.cases import load_cases

    loaded = load_cases(Path(cases))
    with TerminalProgress(err_console) as progress:
        progress.stage(f"evaluating {agent} on {len(loaded)} cases", len(loaded))

        def on_case(result: Any) -> None:
            progress.advance(1)
            if not as_json and not result.passed:
                err_console.print(f"[red]FAIL[/red] {result.case.question}: {'; '.join(result.reasons)}",
                                  highlight=False)

        report = app.evaluate(agent, cases, cases=loaded, model=model, label=label, on_case=on_case,
                              store_run=not no_store)
    if html_file:
        if report["run_id"] is None:
            raise click.UsageError("--html needs a stored run; drop --no-store")
        Path(html_file).write_text(app.eval_html(report["run_id"]), encoding="utf-8")
    if as_json:
        _echo_json(report)
    else:
        _print_report(report)
        if report["run_id"]:
            err_console.print(f"run {report['run_id']} kept; compare with `frontdesk eval --compare "
                              f"{report['run_id']} OTHER`" + (f"; report in {html_file}" if html_file else ""),
                              highlight=False)
    if report["passed"] < report["cases_total"]:
        sys.exit(1)


def _print_report(report: dict[str, Any]) -> None:
    table = Table("metric", "value")
    low, high = report["accuracy_ci"]
    table.add_row("accuracy", f"{report['accuracy']:.1%} ({report['passed']}/{report['cases_total']}), "
                              f"95% CI {low:.1%}–{high:.1%}")
    table.add_row("unsupported-fact rate", f"{report['unsupported_fact_rate']:.1%}")
    table.add_row("decline precision / recall", f"{report['decline_precision']:.0%} / {report['decline_recall']:.0%}")
    table.add_row("first text p50 / p95", f"{report['first_text_p50_s']:.2f} s / {report['first_text_p95_s']:.2f} s")
    table.add_row("full answer p50 / p95", f"{report['latency_p50_s']:.2f} s / {report['latency_p95_s']:.2f} s")
    for category, counts in report["by_category"].items():
        table.add_row(f"  {category}", f"{counts['passed']}/{counts['total']}")
    out_console.print(table)
    if report["note"]:
        err_console.print(report["note"], highlight=False)


@eval_group.command("compare")
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@click.option("--fail-on-drop", is_flag=True, help="Exit 1 when accuracy drops, or unsupported facts rise, "
                                                   "beyond noise.")
@json_flag()
@click.pass_context
@handled
def eval_compare(ctx: click.Context, run_a: int, run_b: int, fail_on_drop: bool, as_json: bool) -> None:
    """What changed from RUN_A to RUN_B, and which changes are beyond noise."""
    result = _app(ctx).compare_runs(run_a, run_b)
    if as_json:
        _echo_json(result)
    else:
        a, b = result["a"], result["b"]
        table = Table("metric", f"run {a['id']} ({a['model']})", f"run {b['id']} ({b['model']})", "change [95% CI]",
                      "p", "verdict")
        for name, m in result["metrics"].items():
            percent = name != "latency_p50_s"
            show = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.2f} s")
            change = (f"{m['change']:+.1%} [{m['change_ci'][0]:+.1%}, {m['change_ci'][1]:+.1%}]" if percent
                      else f"{m['change']:+.2f} s [{m['change_ci'][0]:+.2f}, {m['change_ci'][1]:+.2f}]")
            table.add_row(name, show(m["a"]), show(m["b"]), change,
                          "" if m["p_value"] is None else f"{m['p_value']:.3f}", m["verdict"])
        out_console.print(table)
        for question in result["fixed"]:
            out_console.print(f"  [green]fixed[/green]  {question}", highlight=False)
        for question in result["broken"]:
            out_console.print(f"  [red]broken[/red] {question}", highlight=False)
        err_console.print(result["note"], highlight=False)
    if fail_on_drop and result["dropped"]:
        err_console.print(f"[red]drop beyond noise:[/red] {', '.join(result['dropped'])}", highlight=False)
        sys.exit(1)


@eval_group.command("runs")
@click.argument("agent", required=False)
@json_flag()
@click.pass_context
@handled
def eval_runs(ctx: click.Context, agent: str | None, as_json: bool) -> None:
    """Kept runs, newest first."""
    app = _app(ctx)
    names = agent_names(app)
    runs = app.eval_runs(agent)
    for run in runs:
        run["agent"] = names.get(run["agent_id"], "?")
    if as_json:
        _echo_json(runs)
        return
    table = Table("run", "agent", "when", "model", "label", "accuracy [95% CI]", "unsupported", "p50")
    for r in runs:
        table.add_row(str(r["id"]), r["agent"], r["created_at"][:16].replace("T", " "), r["model"], r["label"],
                      f"{r['accuracy']:.1%} ({r['passed']}/{r['total']}) [{r['accuracy_ci'][0]:.0%}, "
                      f"{r['accuracy_ci'][1]:.0%}]", f"{r['unsupported_fact_rate']:.1%}", f"{r['latency_p50_s']:.2f} s")
    out_console.print(table)


@eval_group.command("report")
@click.argument("run", type=int)
@click.option("--html", "html_file", type=click.Path(dir_okay=False), required=True,
              help="Where to write the self-contained HTML report.")
@click.pass_context
@handled
def eval_report(ctx: click.Context, run: int, html_file: str) -> None:
    """Write RUN's HTML report (figures with intervals, accuracy by category, latency, every case)."""
    Path(html_file).write_text(_app(ctx).eval_html(run), encoding="utf-8")
    click.echo(f"wrote {html_file}")


@eval_group.command("suggest")
@click.argument("agent")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write the drafts here (never over a file).")
@click.option("--limit", default=40, show_default=True)
@click.pass_context
@handled
def eval_suggest(ctx: click.Context, agent: str, out_file: str | None, limit: int) -> None:
    """Draft cases from AGENT's own knowledge (FAQ answers, catalog prices and stock, out-of-scope questions)
    for you to review; keep them apart from any set used to tune."""
    text = _app(ctx).suggest_cases(agent, limit)
    if out_file is None:
        click.echo(text, nl=False)
        return
    path = Path(out_file)
    if path.exists():
        raise click.UsageError(f"{path} exists; drafts never overwrite a cases file (choose another name)")
    path.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {text.count('- question:')} draft cases to {path}: review them before use",
                      highlight=False)
