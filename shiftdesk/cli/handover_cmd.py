"""``shiftdesk handover`` (the shift's log as a document, countersign) and ``shiftdesk verify``.

Exit codes: 0 ok, 1 failure (``verify`` found something broken), 2 usage error.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import typer

from shiftdesk.cli.common import check_format, emit, fail, state

if TYPE_CHECKING:
    from shiftdesk.chain import Problem, VerifyReport

app = typer.Typer(
    help="The shift handover log (交接班): print a shift's log and handover, countersign.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add ``handover`` and the top-level ``verify`` to the root command."""
    root.add_typer(app, name="handover")
    root.command("verify")(verify)


# ---------------------------------------------------------------------------- show


@app.command()
def show(
    ctx: typer.Context,
    shift: int | None = typer.Option(None, "--shift", help="Shift id."),
    day: str | None = typer.Option(
        None, "--date", help="Every shift starting on this day (YYYY-MM-DD, site time)."
    ),
    fmt: str = typer.Option(
        "text", "--format", help="text (default), json, or md (Markdown, for printing)."
    ),
) -> None:
    """Print a shift's duty log and handover as a document (default: the desk's current shift)."""
    from shiftdesk import handover
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_day

    check_format(fmt, ("text", "json", "md"))
    if shift is not None and day is not None:
        fail(t("handover.cli.shift_or_date"))
    the_day: date | None = parse_day(day) if day is not None else None
    st = state(ctx)
    site = st.site()
    assert site.id is not None
    with read_session(st.engine()) as session:
        shifts = handover.find_shifts(session, st.settings, site.id, shift_id=shift, day=the_day)
        docs = [handover.shift_document(session, st.settings, s) for s in shifts]
    if not docs:
        fail(t("handover.cli.no_shifts"), 1)
    if fmt == "json":
        import json

        typer.echo(json.dumps(docs if the_day else docs[0], ensure_ascii=False, indent=2))
        return
    render = render_markdown if fmt == "md" else render_text
    typer.echo("\n\n".join(render(doc, site.name) for doc in docs))


def _mark(done: bool) -> str:
    return "[x]" if done else "[ ]"


def render_text(doc: dict[str, Any], site_name: str) -> str:
    from shiftdesk.i18n import t

    s = doc["shift"]
    lines = [
        f"{t('handover.doc.title')} — {site_name} — {s['label']}  (#{s['id']}, {s['desk']})",
        _status_line(s),
        _opened_line(s),
        "",
        t("handover.doc.log"),
    ]
    for e in doc["log"]:
        if e["kind"] == "ack":
            continue
        flag = (
            f"  [{t('handover.doc.corrected_by', refs=_refs(e['corrected_by']))}]"
            if e["corrected_by"]
            else ""
        )
        lines.append(
            f"  #{e['seq']:<4} {e['at']}  {e['author']:<6} {e['label']}: {e['text']}{flag}"
        )
    if doc["other_records"]:
        lines += ["", t("handover.doc.other_records")]
        for r in doc["other_records"]:
            lines.append(f"  {r['at']}  {r['ref']:<10} {r['kind']}: {r['text']}")
    lines += ["", *_handover_lines(doc, markdown=False)]
    return "\n".join(lines)


def _refs(seqs: list[int]) -> str:
    return ", ".join(f"#{n}" for n in seqs)


def _status_line(s: dict[str, Any]) -> str:
    from shiftdesk.i18n import t

    status = t(f"handover.status.{s['status']}")
    if s["countersigned_at"]:
        status += " · " + t(
            "handover.doc.countersigned", by=s["countersigned_by"], at=s["countersigned_at"]
        )
    return f"{t('handover.doc.status')}: {status}"


def _opened_line(s: dict[str, Any]) -> str:
    from shiftdesk.i18n import t

    off = s["opened_off_by_minutes"]
    when = (
        t("handover.text.opened_early", minutes=-off)
        if off < 0
        else t("handover.text.opened_late", minutes=off)
        if off > 0
        else t("handover.text.opened_on_time")
    )
    return (
        f"{t('handover.doc.on_duty')}: {s['outgoing']} · {t('handover.doc.opened')} "
        f"{s['opened_at']} ({when})"
    )


def _handover_lines(doc: dict[str, Any], *, markdown: bool) -> list[str]:
    from shiftdesk.i18n import t

    h2 = "## " if markdown else ""
    h3 = "### " if markdown else "  "
    bullet = "- " if markdown else "    "
    s = doc["shift"]
    digest = doc["digest"]
    out = [f"{h2}{t('handover.doc.handover')}"]
    if digest is None:
        out.append(t("handover.doc.not_prepared"))
        return out
    out.append(t("handover.doc.prepared_at", at=digest["built_at"]))
    if s["override_by"]:
        out.append(t("handover.doc.override", by=s["override_by"], reason=s["override_reason"]))
    from shiftdesk.handover import SECTIONS

    for section in SECTIONS:
        items = [i for i in digest["items"] if i["section"] == section]
        if markdown:
            out.append("")
        out.append(f"{h3}{t(f'handover.section.{section}')}")
        if section == "deposits" and not digest["deposits_available"]:
            out.append(f"{bullet}{t('handover.digest.not_available')}")
            continue
        if not items:
            out.append(f"{bullet}{t('handover.digest.none')}")
        for i in items:
            block = (
                f" **{t('handover.doc.important')}**"
                if markdown and i["blocking"]
                else (f" !{t('handover.doc.important')}" if i["blocking"] else "")
            )
            out.append(f"{bullet}{_mark(i['acknowledged'])} {i['title']} — {i['detail']}{block}")
        more = digest["more"].get(section)
        if more:
            out.append(f"{bullet}{t('handover.digest.more', count=more)}")
    if doc["questions"]:
        out += ["", f"{h2}{t('handover.doc.questions')}"]
        for q in doc["questions"]:
            answered = q["answer"] if q["answer"] is not None else t("handover.doc.unanswered")
            out.append(f"{bullet}#{q['seq']} {q['asked_by']}: {q['question']}")
            out.append(f"{bullet}  → {q['answered_by'] or ''}: {answered}")
    pc = doc["parcel_count"]
    out += ["", f"{h2}{t('handover.doc.parcel_count')}"]
    if pc is None:
        out.append(t("handover.missing.parcel_count"))
    elif pc["result"] == "confirmed":
        out.append(t("handover.text.parcels_confirmed", total=pc["expected_total"]))
    else:
        out.append(
            t(
                "handover.text.parcels_discrepancy",
                expected=pc["expected_total"],
                counted=pc["counted_total"],
                note=pc["note"],
            )
        )
    out += ["", f"{h2}{t('handover.doc.signatures')}"]
    rows = [
        (t("handover.doc.outgoing"), s["outgoing"], s["outgoing_signed_at"]),
        (t("handover.doc.incoming"), s["incoming"], s["incoming_signed_at"]),
        (t("handover.doc.supervisor"), s["countersigned_by"], s["countersigned_at"]),
    ]
    if markdown:
        out += [
            f"| {t('handover.doc.role')} | {t('handover.doc.name')} | "
            f"{t('handover.doc.signed_at')} |",
            "| --- | --- | --- |",
        ]
        out += [f"| {r} | {_md(n or '')} | {a or ''} |" for r, n, a in rows]
    else:
        out += [f"{bullet}{r}: {n or '-'} {a or t('handover.doc.not_signed')}" for r, n, a in rows]
    if doc["missing"]:
        out += ["", t("handover.error.not_ready", missing="; ".join(doc["missing"]))]
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: dict[str, Any], site_name: str) -> str:
    from shiftdesk.i18n import t

    s = doc["shift"]
    lines = [
        f"# {t('handover.doc.title')} — {_md(site_name)}",
        "",
        f"**{s['label']}** · {t('handover.doc.desk')}: {_md(s['desk'])} · #{s['id']}  ",
        f"{_status_line(s)}  ",
        _opened_line(s),
        "",
        f"## {t('handover.doc.log')}",
        "",
        f"| # | {t('handover.doc.time')} | {t('handover.doc.by')} | {t('handover.doc.type')} | "
        f"{t('handover.doc.entry')} |",
        "| ---: | --- | --- | --- | --- |",
    ]
    for e in doc["log"]:
        if e["kind"] == "ack":
            continue
        text = _md(e["text"])
        if e["corrected_by"]:
            text += f" _({t('handover.doc.corrected_by', refs=_refs(e['corrected_by']))})_"
        lines.append(
            f"| {e['seq']} | {e['at']} | {_md(e['author'])} | {_md(e['label'])} | {text} |"
        )
    if doc["other_records"]:
        lines += [
            "",
            f"## {t('handover.doc.other_records')}",
            "",
            f"| {t('handover.doc.time')} | {t('handover.doc.ref')} | "
            f"{t('handover.doc.type')} | {t('handover.doc.entry')} |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['at']} | {_md(r['ref'])} | {_md(r['kind'])} | {_md(r['text'])} |"
            for r in doc["other_records"]
        ]
    lines += ["", *_handover_lines(doc, markdown=True), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- countersign


@app.command()
def pending(
    ctx: typer.Context,
    fmt: str = typer.Option("table", "--format", help="table (default), json or csv."),
) -> None:
    """List closed shifts awaiting the supervisor's countersign (H-7)."""
    from shiftdesk import handover
    from shiftdesk.cli.common import check_format
    from shiftdesk.db import read_session

    check_format(fmt)
    st = state(ctx)
    site_id = st.site_id()
    tz = st.settings.site.timezone
    with read_session(st.engine()) as session:
        shifts = handover.awaiting_countersign(session, site_id)
        names = handover.operator_names(
            session, [x for s in shifts for x in (s.outgoing_id, s.incoming_id)]
        )
        rows = [
            {
                "id": s.id,
                "day": handover.shift_day(s, tz).isoformat(),
                "shift": handover.shift_label(s, tz),
                "desk": s.desk,
                "outgoing": names.get(s.outgoing_id or -1, ""),
                "incoming": names.get(s.incoming_id or -1, ""),
                "parcel_discrepancy": handover.has_discrepancy(session, s.id or 0),
                "override": bool(s.override_by),
            }
            for s in shifts
        ]
    emit(
        rows,
        fmt,
        columns=[
            "id",
            "day",
            "shift",
            "desk",
            "outgoing",
            "incoming",
            "parcel_discrepancy",
            "override",
        ],
    )


@app.command("countersign")
def countersign_cmd(
    ctx: typer.Context,
    day: str | None = typer.Option(None, "--date", help="Countersign this day's closed shifts."),
    shift: list[int] = typer.Option([], "--shift", help="Countersign these shifts (repeatable)."),
    pin: str | None = typer.Option(None, "--pin", hidden=True, help="For tests."),
) -> None:
    """Countersign a day's shifts (H-7): needs --operator with the supervisor role, and the PIN."""
    from shiftdesk import handover
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Role
    from shiftdesk.timeutil import parse_day

    if (day is None) == (not shift):
        fail(t("handover.error.countersign_what"))
    st = state(ctx)
    site = st.site()
    supervisor = st.authenticated_actor(Role.SUPERVISOR, pin=pin)
    the_day = parse_day(day) if day else None
    settings = st.settings
    signed = transact(
        st.engine(),
        lambda s: handover.countersign(
            s,
            settings,
            site_id=site.id or 0,
            supervisor=supervisor,
            day=the_day,
            shift_ids=shift,
        ),
        actor=supervisor,
    )
    tz = settings.site.timezone
    for s in signed:
        typer.echo(t("handover.cli.countersigned", shift=handover.shift_label(s, tz), id=s.id))


# ---------------------------------------------------------------------------- verify


def verify(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site's chain."),
    fmt: str = typer.Option("text", "--format", help="text (default) or json."),
) -> None:
    """Check the duty log's hash chain and the database's integrity; exit 1 if anything broke."""
    from shiftdesk.chain import verify as run_verify

    check_format(fmt, ("text", "json"))
    st = state(ctx)
    engine = st.engine()
    report = run_verify(engine, site_code=site)
    if fmt == "json":
        import json

        data = report.as_dict()
        data["first"] = (
            describe_problem(engine, st.settings, report.first) if report.first else None
        )
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_report(engine, st.settings, report))
    if not report.ok:
        raise typer.Exit(1)


def describe_problem(engine: Any, settings: Any, problem: Problem) -> str:
    """One line: what broke, and where (site, shift, entry, time)."""
    from shiftdesk.db import read_session
    from shiftdesk.handover import shift_label
    from shiftdesk.i18n import t
    from shiftdesk.models import Shift
    from shiftdesk.timeutil import to_local

    tz = settings.site.timezone
    parts: list[str] = []
    if problem.site:
        parts.append(t("chain.where.site", site=problem.site))
    if problem.shift_id is not None:
        with read_session(engine) as session:
            shift = session.get(Shift, problem.shift_id)
        label = shift_label(shift, tz) if shift else "?"
        parts.append(t("chain.where.shift", id=problem.shift_id, label=label))
    if problem.seq is not None:
        parts.append(t("chain.where.entry", seq=problem.seq, id=problem.entry_id))
    if problem.at is not None:
        parts.append(t("chain.where.at", at=f"{to_local(problem.at, tz):%Y-%m-%d %H:%M:%S}"))
    what = t(f"chain.problem.{problem.code}", detail=problem.detail)
    return f"{what} — {', '.join(parts)}" if parts else what


def render_report(engine: Any, settings: Any, report: VerifyReport) -> str:
    from shiftdesk.i18n import t

    lines = []
    for s in report.sites:
        lines.append(
            t(
                "chain.site_summary",
                site=s.code,
                entries=s.entries,
                shifts=s.shifts,
                head=s.head_hash[:12],
            )
        )
    if report.integrity is None:
        lines.append(t("chain.integrity_na"))
    else:
        lines.append(t("chain.integrity", result=report.integrity))
    if report.ok:
        lines.append(t("chain.ok"))
        return "\n".join(lines)
    first = report.problems[0]
    lines.append(t("chain.broken", count=len(report.problems)))
    lines.append(t("chain.first", what=describe_problem(engine, settings, first)))
    for problem in report.problems[1:20]:
        lines.append(f"  - {describe_problem(engine, settings, problem)}")
    if len(report.problems) > 20:
        lines.append(t("chain.more", count=len(report.problems) - 20))
    return "\n".join(lines)
