"""``shiftdesk audit``: the audit trail, for a record or for everything.

Exit codes: 0 ok (no matching event is an empty result), 2 usage (a bad date, an unknown
entity, --id without --entity, --include-pii without a manager's PIN).
"""

from __future__ import annotations

import typer

from shiftdesk.cli.common import check_format, emit, site_option, state

FORMAT_HELP = "table (default), json (before/after as objects) or csv."


def audit(
    ctx: typer.Context,
    entity: str | None = typer.Option(
        None,
        "--entity",
        help="Table or entity: work_order, call, parcel, resident, shift ...",
        show_default=False,
    ),
    entity_id: int | None = typer.Option(
        None, "--id", help="The record's id (needs --entity).", show_default=False
    ),
    actor: str | None = typer.Option(
        None, "--actor", help="Only what this operator did (system: scripts).", show_default=False
    ),
    action: str | None = typer.Option(
        None,
        "--action",
        help="insert, update, delete, read, sign_in, sign_in_failed, export ...",
        show_default=False,
    ),
    since: str | None = typer.Option(
        None, "--since", help="From this date (YYYY-MM-DD, site time).", show_default=False
    ),
    until: str | None = typer.Option(
        None, "--until", help="Up to and including this date.", show_default=False
    ),
    limit: int = typer.Option(100, "--limit", help="The newest N events, shown oldest first."),
    include_pii: bool = typer.Option(
        False,
        "--include-pii",
        help="Show residents' names and phones unmasked (manager PIN; the read is recorded).",
    ),
    site: str | None = site_option(),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Show the audit trail: who did what, when, with the values before and after.

    One database may hold many sites: a terminal sees its own site's events (and those of
    no site, such as a sign-in under an unknown name); --site all shows every site's.
    """
    from shiftdesk.db import read_session, transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Role
    from shiftdesk.timeutil import local_day_bounds, parse_day, to_local
    from shiftdesk.trail import history, record_pii_read

    check_format(fmt, ("table", "json", "csv"))
    st = state(ctx)
    tz = st.settings.site.timezone
    start = local_day_bounds(parse_day(since), tz)[0] if since else None
    end = local_day_bounds(parse_day(until), tz)[1] if until else None
    engine = st.engine()
    reader = st.authenticated_actor(Role.MANAGER) if include_pii else None
    with read_session(engine) as session:
        site_id = None
        if site != "all":
            from shiftdesk.sites import get_site

            site_id = get_site(session, site or st.settings.site.code).id
        rows = history(
            session,
            entity=entity,
            entity_id=entity_id,
            actor=actor,
            action=action,
            since=start,
            until=end,
            limit=limit,
            include_pii=include_pii,
            site_id=site_id,
        )
    if reader is not None:
        transact(
            engine,
            lambda s: record_pii_read(s, entity=entity, entity_id=entity_id, rows=len(rows)),
            actor=reader,
        )
    if fmt == "json":
        emit([r.as_dict() for r in rows], fmt)
        return
    if not rows and fmt == "table":
        typer.echo(t("reliability.audit.none"))
        return
    table = [
        {
            "id": r.id,
            "at": to_local(r.at, tz).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": r.actor,
            "action": r.action,
            "entity": r.entity,
            "entity_id": r.entity_id,
            "changes": r.changes() or r.note,
            "note": r.note,
        }
        for r in rows
    ]
    columns = ["id", "at", "actor", "action", "entity", "entity_id", "changes"]
    if fmt == "csv":
        columns.append("note")
    headers = {c: t(f"reliability.audit.col.{c}") for c in columns}
    emit(
        table,
        fmt,
        columns=columns,
        headers=headers if fmt == "table" else None,
        title=t("reliability.audit.title"),
    )
