"""The `concierge` command. Thin: every verb calls a use case and prints its answer.

Errors meant for a person (ConciergeError) print as `concierge: ...` lines on
standard error with exit status 1; nothing is half-written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from concierge import logs
from concierge.config import Config, load_config
from concierge.database import Database
from concierge.directory import files, service
from concierge.directory.lookup import URGENCIES, Answer
from concierge.directory.models import ContactKind
from concierge.directory.records import ResourceRecord, country_codes
from concierge.drafting.templates import TEMPLATES
from concierge.errors import ConciergeError

F = TypeVar("F", bound=Callable[..., Any])


def main(args: list[str] | None = None) -> None:
    try:
        cli(args=args, standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ConciergeError as error:
        for line in str(error).splitlines():
            click.echo(f"concierge: {line}", err=True)
        sys.exit(1)


@click.group(help=__doc__)
def cli() -> None:
    pass


@contextmanager
def open_database(prepare: bool = True) -> Iterator[tuple[Config, Database]]:
    config = load_config()
    # One-shot commands print their answer; their logs stay quiet unless asked for.
    logs.configure(config.log_level if "CONCIERGE_LOG_LEVEL" in os.environ else "WARNING")
    db = Database(config)
    try:
        if prepare:
            service.prepare(db)
        yield config, db
    finally:
        db.dispose()


@cli.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the schema; seed an empty directory.")
def db_upgrade() -> None:
    with open_database(prepare=False) as (_, database):
        seeded = service.upgrade(database)
    message = (
        f"schema is up to date; loaded {seeded} seed resources"
        if seeded
        else ("schema is up to date")
    )
    click.echo(message)


@cli.group(help="The resource directory.")
def resources() -> None:
    pass


@resources.command("import", help="Add or replace resources from a CSV, JSON or YAML file.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def resources_import(file: Path) -> None:
    with open_database() as (_, database):
        added, updated = service.import_file(database, file)
    click.echo(f"{file}: imported {added + updated} resources ({added} new, {updated} replaced)")


@resources.command("export", help="Write the whole directory to a file or - (standard output).")
@click.option("--format", "fmt", type=click.Choice(files.FORMATS), default="csv")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
def resources_export(fmt: str, output: Any) -> None:
    with open_database() as (_, database):
        service.export(database, fmt, output)


@resources.command("list", help="The lookup's answer for a sender, best first.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code, or 'unknown'.")
@click.option("--language", default=None, help="ISO 639-1 code of the sender's language.")
@click.option("--urgency", type=click.Choice(URGENCIES), default="routine")
@click.option("--topic", "topics", multiple=True, help="touring, therapy_costs, songwriting, …")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per resource.")
def resources_list(
    country: str, language: str | None, urgency: str, topics: tuple[str, ...], as_json: bool
) -> None:
    code = None if country.strip().lower() in ("", "unknown", "none") else country.strip().upper()
    if code is not None and code not in country_codes():
        raise click.BadParameter(
            f"{country!r} is not an ISO 3166-1 alpha-2 country code (or 'unknown')",
            param_hint="--country",
        )
    with open_database() as (config, database):
        answer = service.answer(database, code, language, urgency, topics)
    if as_json:
        for match in answer.matches:
            click.echo(
                json.dumps(_match_json(match.record, match.level, match.stale), ensure_ascii=False)
            )
        return
    click.echo(_describe_answer(answer, config.stale_months))


@resources.command("stale", help="Resources not verified within N months.")
@click.option("--months", type=click.IntRange(min=1), default=12, show_default=True)
def resources_stale(months: int) -> None:
    with open_database() as (_, database):
        records = service.stale(database, months)
    for record in records:
        click.echo(
            f"{record.verified_on.isoformat()}  {record.country or '--'}  {record.kind:<14} "
            f"{record.text_for('en').name}  ({record.key}; source: {record.source_url})"
        )
    click.echo(f"{len(records)} resources not verified within {months} months", err=True)


@cli.command(help="Watch the mailbox (IMAP, or CONCIERGE_MAILDIR): store, triage and draft.")
@click.option("--once", is_flag=True, help="One full pass over what is new, then exit.")
def worker(once: bool) -> None:
    from concierge.intake.worker import Worker

    config = load_config()
    logs.configure(config.log_level)
    db = Database(config)
    try:
        intake = Worker(db, config)
        service.prepare(db)
        if not once:
            intake.run_forever()
            return
        report = intake.run_once()
    finally:
        db.dispose()
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.categories.items()))
    click.echo(
        f"stored {report.stored} new messages"
        + (f" ({kinds})" if kinds else "")
        + f"; {report.already} already stored"
        + (
            f"; triaged {report.processed.triaged}, drafted {report.processed.drafted}"
            if report.processed and (report.processed.triaged or report.processed.drafted)
            else ""
        )
    )


@cli.group(help="The review queue.")
def queue() -> None:
    pass


@queue.command("list", help="Messages awaiting review, in queue order.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def queue_list(as_json: bool) -> None:
    from concierge.intake import queue as review

    with open_database() as (_, database), database.session() as session:
        rows = [review.as_json(message) for message in review.awaiting_review(session)]
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(
                f"{row['id']:>5}  {row['received_at'][:16]}  {row['urgency'] or '-':<8} "
                f"{row['language'] or '--'} {row['country'] or '--'}  {row['sender']}  "
                f"{row['subject']}"
            )


@queue.command("shunted", help="Messages that could not be processed, with their errors.")
def queue_shunted() -> None:
    from concierge.intake import queue as review

    with open_database() as (_, database), database.session() as session:
        for message in review.shunted(session):
            click.echo(f"{message.id:>5}  {message.source_key}  {message.error}")


@cli.command(help="Serve the web app (CONCIERGE_WEB_HOST, CONCIERGE_WEB_PORT).")
def web() -> None:
    import uvicorn

    from concierge.web.app import create_app

    config = load_config()
    logs.configure(config.log_level)
    db = Database(config)
    service.prepare(db)
    uvicorn.run(create_app(db), host=config.web_host, port=config.web_port, log_level="warning")


@cli.command(help="Check the data people edit: the seed directory, the rules, the templates.")
def check() -> None:
    from concierge.directory.seed import load_seed
    from concierge.drafting.compose import check_templates
    from concierge.triage.language import SUPPORTED
    from concierge.triage.rules import load_rules, missing_languages
    from concierge.triage.urgency import UrgencyClassifier

    records = load_seed()
    countries = {r.country for r in records if r.kind == "crisis_line" and r.country}
    click.echo(
        f"db/seed: {len(records)} resources, crisis lines for {len(countries)} countries: ok"
    )
    book = load_rules()
    missing = missing_languages(book)
    if missing:
        raise ConciergeError(f"rules: no crisis rules for {', '.join(missing)}")
    classifier = UrgencyClassifier(book)
    for language in sorted(book.languages):
        classifier.matcher(language)  # compiles every phrase and pattern
    phrases = sum(len(r.phrases) for lang in book.languages.values() for r in lang.rules)
    click.echo(f"rules: {len(book.languages)} languages, {phrases} phrases: ok")
    problems = check_templates(records, SUPPORTED)
    if problems:
        raise ConciergeError("reply_templates: " + "\nreply_templates: ".join(problems))
    click.echo(f"reply_templates: {len(SUPPORTED)} languages rendered with samples: ok")


@cli.command("triage", help="Triage .eml files, folders of them, or mbox files.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
def triage_command(paths: tuple[str, ...], as_json: bool) -> None:
    from concierge.triage.pipeline import triage

    failed: list[str] = []
    for item in _mail_items(paths, failed):
        assert item.raw is not None
        result = triage(item.raw)
        row = {"path": item.path, **result.as_json()}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            rules = ", ".join(
                dict.fromkeys(
                    r["rule"] for r in result.reasons if r["effect"] in ("crisis", "urgent")
                )
            )
            click.echo(
                f"{result.urgency:<8} {result.language:<3} {result.country or '--':<3} "
                f"{'auto ' if result.auto_reply else ''}{item.path}"
                + (f"  [{rules}]" if rules else "")
            )
    if failed:
        sys.exit(1)


@cli.command("draft", help="Draft replies to .eml files, folders of them, or mbox files.")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option(
    "--dry-run", is_flag=True, help="Write nothing to the database; use the seed directory."
)
def draft_command(paths: tuple[str, ...], as_json: bool, dry_run: bool) -> None:
    from concierge.drafting.service import dry_run as show
    from concierge.drafting.service import store_and_draft

    failed: list[str] = []

    def emit(results: Iterator[Any]) -> None:
        for result in results:
            if result.draft is None:
                click.echo(f"concierge: {result.path}: {result.skipped}", err=True)
            elif as_json:
                click.echo(json.dumps(result.draft, ensure_ascii=False))
            else:
                draft = result.draft
                click.echo(
                    f"===== {result.path}: {draft['urgency']} {draft['language']} "
                    f"{draft['country'] or '--'} ({result.template})\n"
                    f"Subject: {draft['subject']}\n\n{draft['body']}"
                )
                for problem in result.problems:
                    click.echo(f"SAFETY CHECK FAILED: {problem}")

    if dry_run:
        config = load_config()
        logs.configure(config.log_level if "CONCIERGE_LOG_LEVEL" in os.environ else "WARNING")
        emit(show(_mail_items(paths, failed), config))
    else:
        with open_database() as (config, db):
            emit(store_and_draft(_mail_items(paths, failed), db, config))
    if failed:
        sys.exit(1)


def _mail_items(paths: tuple[str, ...], failed: list[str]) -> Iterator[Any]:
    """The messages in these paths; what is not mail is one error line, noted in `failed`."""
    from concierge.triage.sources import read_paths

    for item in read_paths(list(paths)):
        if item.raw is None:
            failed.append(item.path)
            click.echo(f"concierge: {item.path}: {item.error}", err=True)
        else:
            yield item


@cli.command("eval", help="Measure the triage on a labelled corpus (a folder of YAML files).")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def eval_command(path: Path) -> None:
    from concierge.triage.evaluation import describe, evaluate, load_corpus

    click.echo(describe(evaluate(load_corpus(path))))


def _describe_answer(answer: Answer, stale_months: int) -> str:
    where = answer.country or "an unknown country"
    lines = [
        f"{answer.urgency.capitalize()} resources for {where}"
        + (f", language {answer.language}" if answer.language else "")
        + (f", topics {', '.join(answer.topics)}" if answer.topics else "")
        + ", best first:"
    ]
    for number, match in enumerate(answer.matches, start=1):
        record = match.record
        text = record.text_for(answer.language)
        flags = [record.kind]
        if match.level in ("region", "international") and record.kind != "program":
            flags.append(f"{match.level} fallback")
        if match.stale:
            flags.append(f"STALE: not verified within {stale_months} months")
        lines.append(f"{number:>2}. {text.name}  [{'; '.join(flags)}]")
        for contact in record.contacts:
            hours = f"  ({contact.hours})" if contact.hours else ""
            lines.append(f"      {contact.kind:<5} {contact.value}{hours}")
        if record.eligibility:
            lines.append(f"      who   {record.eligibility}")
        lines.append(f"      source {record.source_url}, verified {record.verified_on.isoformat()}")
    return "\n".join(lines)


def _match_json(record: ResourceRecord, level: str, stale: bool) -> dict[str, Any]:
    def first(kind: str) -> str | None:
        contacts = record.contacts_of(kind)
        return contacts[0].value if contacts else None

    return {
        "key": record.key,
        "name": record.text_for("en").name,
        "kind": record.kind,
        "country": record.country,
        "phone": first(ContactKind.PHONE),
        "url": first(ContactKind.WEB),
        "level": level,
        "stale": stale,
        "source_url": record.source_url,
        "verified_on": record.verified_on.isoformat(),
    }


@cli.group(help="The reply templates in reply_templates/.")
def templates() -> None:
    pass


@templates.command("show", help="Print the sample drafts of one language, to read a change.")
@click.argument("language")
@click.option("--template", "only", type=click.Choice(TEMPLATES), default=None)
def templates_show(language: str, only: str | None) -> None:
    from concierge.directory.seed import load_seed
    from concierge.drafting.compose import compose, samples

    records = load_seed()
    for original in samples(language):
        draft = compose(original, records, "global@backline.care")
        if only and draft.template.split("/")[1] != only:
            continue
        where = original.country or "country unknown"
        click.echo(f"===== {draft.template} ({where}, {original.urgency}) {draft.subject}")
        click.echo(draft.text)
        for problem in draft.problems:
            click.echo(f"SAFETY CHECK FAILED: {problem}")
