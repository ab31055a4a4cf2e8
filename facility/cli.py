"""The `facility` command: serve, migrate, load the demo campus, manage users, run the demo."""

from __future__ import annotations

import argparse
import sys
from argparse import Action
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from facility.core.config import Settings, SettingsError, install, load_settings, using
from facility.core.db import POOL_OVERFLOW, engine_for, session_scope
from facility.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from facility.core.i18n import gettext as _
from facility.core.logging import configure_logging
from facility.core.models import Role
from facility.demo import setup

DEMO_HOST, DEMO_PORT = "127.0.0.1", 8000


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one translated line on standard error."""
    print(_("error: {message}", message=message), file=sys.stderr)
    raise SystemExit(code)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from facility import serve
    from facility.app import NotMigrated, create_app, warm_up
    from facility.core.db import pending_migrations

    not_migrated = _("the database is not migrated: run `facility db upgrade` first")

    settings: Settings = args.settings
    if args.workers > 1 and not settings.secret_key:
        # Each worker must sign and check sessions with the same key, on this host and any other.
        fail(_("several workers need FACILITY_SECRET_KEY set (the same value for every worker)"))
    needed = args.workers * (settings.db_pool_size + POOL_OVERFLOW)
    if args.workers > 1 and settings.db_max_connections_per_host and needed > settings.db_max_connections_per_host:
        fail(
            _(
                "{workers} workers may open {needed} connections, over FACILITY_DB_MAX_CONNECTIONS_PER_HOST="
                "{allowed}: lower FACILITY_DB_POOL_SIZE or --workers.",
                workers=args.workers,
                needed=needed,
                allowed=settings.db_max_connections_per_host,
            )
        )
    if args.workers > 1:
        # Each worker builds its own app; this process only supervises them (facility/serve.py),
        # so it checks the schema and builds none.
        engine = engine_for(settings)
        pending = pending_migrations(engine)
        engine.dispose()
        if pending:
            fail(not_migrated)
        worker = ["--lang", args.lang, "serve", "--host", args.host, "--port", str(args.port), "--reuse-port"]
        raise SystemExit(serve.supervise(worker, args.workers, settings.shutdown_grace_s))
    try:
        app = warm_up(create_app(settings))
    except NotMigrated:
        fail(not_migrated)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        proxy_headers=False,
        # On SIGTERM, requests still running after this long are cancelled: a stop never hangs.
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    server = serve.ReportingServer(config, args.ready_fd)
    try:
        sockets = [serve.listening_socket(args.host, args.port)] if args.reuse_port else None
    except OSError as error:
        # Exit 3, as when uvicorn cannot bind: a restart will not free the port (serve.py).
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(3) from None
    server.run(sockets=sockets)
    if not server.started:
        raise SystemExit(3)


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from facility.content import upgrade_and_seed

    settings: Settings = args.settings
    seeded = upgrade_and_seed(settings.sqlalchemy_url, settings.database_limits)
    print(_("database at head: {where}", where=settings.sqlalchemy_url.split("@")[-1]))
    # The counts' names are marked for translation where they are counted (facility/content.py).
    print(_("content: {counts}", counts=", ".join(f"{_(k)} {v}" for k, v in seeded.items())))


def cmd_db_revision(args: argparse.Namespace) -> None:
    from alembic import command

    from facility.core.db import alembic_config

    settings: Settings = args.settings
    command.revision(
        alembic_config(settings.sqlalchemy_url),
        message=args.message,
        autogenerate=True,
        head=args.head,
        branch_label=args.branch_label,
        depends_on=args.depends_on,
        rev_id=args.rev_id,
    )


def cmd_demo_data(args: argparse.Namespace) -> None:
    settings: Settings = args.settings
    accounts_ = setup.ensure_demo_accounts(settings)
    counts, seconds = setup.load_demo(settings)
    print(_("demo loaded: {counts}", counts=", ".join(f"{k} {v}" for k, v in counts.items())))
    print(_("generated in {seconds} s", seconds=f"{seconds:.1f}"))
    for role, (email, password) in accounts_.items():
        print(f"  {role:8} {email:32} {password}")


def cmd_users_add(args: argparse.Namespace) -> None:
    from facility.core import accounts
    from facility.core.errors import FacilityError

    role = Role(args.role)
    try:
        with session_scope(engine_for(args.settings)) as session:
            org_id = None
            if role == Role.renter:
                if not args.org:
                    fail(_("--org is required for a renter"))
                org_id = accounts.create_organization(
                    session, None, name=args.org, approved=True, contact_email=args.email
                ).id
            user = accounts.create_user(
                session,
                None,
                email=args.email,
                password=args.password,
                role=role,
                full_name=args.name or "",
                organization_id=org_id,
            )
            print(_("created {role} {email} (id {id})", role=user.role, email=user.email, id=user.id))
    except FacilityError as error:
        fail(error.message, 1)


def cmd_users_set_password(args: argparse.Namespace) -> None:
    from facility.core import accounts
    from facility.core.errors import FacilityError

    try:
        with session_scope(engine_for(args.settings)) as session:
            user = accounts.get_user_by_email(session, args.email)
            if user is None:
                fail(_("no account with the e-mail {email}", email=args.email), 1)
            accounts.set_password(session, None, user, args.password)
            print(
                _(
                    "set the password of {role} {email}; their other sessions are signed out",
                    role=user.role,
                    email=user.email,
                )
            )
    except FacilityError as error:
        fail(error.message, 1)


def cmd_demo(args: argparse.Namespace) -> None:
    import uvicorn

    from facility.app import create_app
    from facility.content import upgrade_and_seed

    settings = args.settings.model_copy(update={"demo": True})
    install(settings)
    upgrade_and_seed(settings.sqlalchemy_url, settings.database_limits)
    accounts_ = setup.ensure_demo_accounts(settings)
    counts, seconds = setup.load_demo(settings)
    loaded = ", ".join(f"{k} {v}" for k, v in counts.items())
    print("\n" + _("facility demo: {counts} ({seconds} s)", counts=loaded, seconds=f"{seconds:.1f}"))
    print(_("open http://{host}:{port}/ and sign in as:", host=args.host, port=args.port))
    for role, (email, password) in accounts_.items():
        print(f"  {role:8} {email:32} {password}")
    print(flush=True)
    from facility.sensors.demo_runtime import start_plant
    from gateway.demo import start_mqtt_stack

    settings, stop_plant = start_plant(settings)
    settings, stoppers = start_mqtt_stack(settings)
    stoppers.insert(0, stop_plant)
    # The demo's threads read the tree that names its broker.
    install(settings)
    stoppers += setup.background_services(settings)
    try:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    finally:
        for stop in reversed(stoppers):
            stop()


def cmd_gateway(args: argparse.Namespace) -> None:
    from gateway.connection import AuthenticationFailed, retire_client_id
    from gateway.runner import run_gateway

    settings: Settings = args.settings
    if not settings.mqtt_url:
        fail(_("set FACILITY_MQTT_URL (e.g. mqtt://facility-gateway:PW@127.0.0.1:1883)"))
    if args.retire_client_id:
        retire_client_id(settings.mqtt_url, args.retire_client_id)
        print(_("retired the broker session of {client_id}", client_id=args.retire_client_id))
        return
    try:
        run_gateway(settings)
    except AuthenticationFailed as error:
        fail(str(error), 3)


def cmd_scheduler(args: argparse.Namespace) -> None:
    """The one process that runs every domain's scheduled jobs (see facility/scheduler.py)."""
    import signal
    import threading

    # Listen before the (slow) imports, so a stop sent during start-up still ends cleanly.
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())

    from facility.domains import JOBS
    from facility.scheduler import SchedulerRunner, run_tick

    settings: Settings = args.settings
    if args.once:
        ran = run_tick(engine_for(settings), settings, jobs=JOBS)
        if ran is None:
            print(_("another scheduler holds the lock"))
        else:
            print(_("ran: {jobs}", jobs=", ".join(ran) or _("nothing due")))
        return
    runner = SchedulerRunner(settings, JOBS, tick_seconds=args.tick)
    runner.start()
    stopped.wait()
    runner.stop()


def cmd_backup(args: argparse.Namespace) -> None:
    from facility.backup import FAILURES, first_line, make_backup

    try:
        manifest = make_backup(args.settings, Path(args.dir))
    except FAILURES as error:
        fail(first_line(error), 1)
    readings = manifest["readings"]
    print(
        _(
            "backup written to {dir}: {rows} rows in {tables} tables, {photos} photos, readings {readings} ({store})",
            dir=args.dir,
            rows=sum(manifest["tables"].values()),
            tables=len(manifest["tables"]),
            photos=manifest["photos"]["count"],
            readings=readings.get("count", "-"),
            store=readings["store"],
        )
    )
    if readings.get("included") is False:
        print(_("note: readings in InfluxDB 2.x/3.x are not included: back them up with `influx backup`."))


def cmd_restore(args: argparse.Namespace) -> None:
    from facility.backup import FAILURES, first_line
    from facility.restore import restore_backup

    try:
        compared, notes = restore_backup(args.settings, Path(args.dir), force=args.force)
    except FAILURES as error:
        fail(first_line(error), 1)
    counted, in_backup, restored = _("counted"), _("in backup"), _("restored")
    print(f"{counted:<40} {in_backup:>10} {restored:>10}")
    for line in compared:
        if line.expected or line.restored:
            print(f"{line.name:<40} {line.expected:>10} {line.restored:>10}{'' if line.ok else '  <-'}")
    for note in notes:
        print(_("note: {note}", note=note))
    different = [line.name for line in compared if not line.ok]
    if different:
        fail(_("the counts differ for {names}.", names=", ".join(different)), 1)
    print(_("restored from {dir}: every count matches the manifest.", dir=args.dir))


def cmd_doctor(args: argparse.Namespace) -> None:
    from facility.doctor import Status, format_finding
    from facility.doctor_services import run_doctor

    findings = run_doctor(args.settings, timeout=args.timeout)
    for finding in findings:
        print(format_finding(finding))
    if any(finding.status == Status.fail for finding in findings):
        raise SystemExit(1)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help in the chosen language: its own words ("usage:") come from our catalogue."""

    def add_usage(
        self, usage: str | None, actions: Iterable[Action], groups: Iterable[Any], prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser (and its subcommands') with translated section titles and `-h`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "formatter_class": HelpFormatter, "add_help": False})
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", help=_("show this help and exit"))


def language_of(argv: list[str]) -> str:
    """The --lang given on the command line, read before the parser (whose help it translates) is built."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    known, _rest = early.parse_known_args(argv)
    return str(known.lang)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="facility", description=_("facility: rooms, booking, sensors and maintenance of a campus."))
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help=_("language of the messages"))
    commands = parser.add_subparsers(dest="command", required=True, title=_("commands"), metavar=_("COMMAND"))

    serve = commands.add_parser("serve", help=_("run the web app and API"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on"))
    serve.add_argument(
        "--workers", type=int, default=1, help=_("web worker processes on the one port (needs FACILITY_SECRET_KEY)")
    )
    # What each of `--workers N` runs: the port bound with SO_REUSEPORT (facility/serve.py).
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # written to once serving (serve.py)
    serve.set_defaults(func=cmd_serve)

    db_parser = commands.add_parser("db", help=_("database migrations"))
    db = db_parser.add_subparsers(dest="db", required=True, title=_("commands"), metavar=_("COMMAND"))
    db.add_parser("upgrade", help=_("bring the database to the newest schema")).set_defaults(func=cmd_db_upgrade)
    revision = db.add_parser("revision", help=_("(developers) autogenerate a migration"))
    revision.add_argument("-m", "--message", required=True, help=_("what the migration changes"))
    revision.add_argument("--head", default="head", help=_("the revision to build on"))
    revision.add_argument("--branch-label", default=None, help=_("a label for a new branch"))
    revision.add_argument("--depends-on", default=None, help=_("revisions this one depends on"))
    revision.add_argument("--rev-id", default=None, help=_("the new revision's id"))
    revision.set_defaults(func=cmd_db_revision)

    commands.add_parser("demo-data", help=_("load the demo campus (idempotent)")).set_defaults(func=cmd_demo_data)

    users_parser = commands.add_parser("users", help=_("accounts"))
    users = users_parser.add_subparsers(dest="users", required=True, title=_("commands"), metavar=_("COMMAND"))
    add = users.add_parser("add", help=_("create a user"))
    add.add_argument("email", help=_("the user's e-mail address (the sign-in name)"))
    add.add_argument("--role", required=True, choices=[r.value for r in Role], help=_("the user's role"))
    add.add_argument("--password", required=True, help=_("the first password"))
    add.add_argument("--org", help=_("organisation name (renters; created approved)"))
    add.add_argument("--name", help=_("full name"))
    add.set_defaults(func=cmd_users_add)
    set_password = users.add_parser("set-password", help=_("set the password of an existing user (any role)"))
    set_password.add_argument("email", help=_("the user's e-mail address (the sign-in name)"))
    set_password.add_argument("--password", required=True, help=_("the new password"))
    set_password.set_defaults(func=cmd_users_set_password)

    demo = commands.add_parser("demo", help=_("migrate, load the demo campus and run everything"))
    demo.add_argument("--host", default=DEMO_HOST, help=_("address to listen on"))
    demo.add_argument("--port", type=int, default=DEMO_PORT, help=_("port to listen on"))
    demo.set_defaults(func=cmd_demo)

    gateway = commands.add_parser("gateway", help=_("MQTT gateway: broker -> durable spool -> reading store"))
    gateway.add_argument(
        "--retire-client-id",
        metavar="OLD",
        help=_("end the broker session of an unused gateway client id, then exit"),
    )
    gateway.set_defaults(func=cmd_gateway)

    scheduler = commands.add_parser("scheduler", help=_("run scheduled jobs (exactly one acts at a time)"))
    scheduler.add_argument("--once", action="store_true", help=_("run one tick and exit"))
    scheduler.add_argument("--tick", type=float, default=15.0, help=_("seconds between ticks"))
    scheduler.set_defaults(func=cmd_scheduler)

    backup = commands.add_parser("backup", help=_("back up the database, the readings and a manifest into DIR"))
    backup.add_argument("dir", help=_("a new (or empty) directory"))
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help=_("restore a backup into the configured (empty) database"))
    restore.add_argument("dir", help=_("the backup's directory"))
    restore.add_argument("--force", action="store_true", help=_("replace a database or InfluxDB that holds data"))
    restore.set_defaults(func=cmd_restore)

    doctor = commands.add_parser("doctor", help=_("check this deployment and say what is wrong (exit 1 on a failure)"))
    doctor.add_argument("--timeout", type=float, default=3.0, help=_("seconds each service gets to answer"))
    doctor.set_defaults(func=cmd_doctor)

    from facility.imports import commands as import_commands
    from facility.sensors import commands as sensors_commands

    import_commands.register(commands)
    sensors_commands.register(commands)
    return parser


def settings_or_stop(args: argparse.Namespace) -> Settings:
    """The whole settings tree, checked before any command runs; a bad value stops with one line.

    `doctor` reports it as a failed check (exit 1), every other command as an error (exit 2).
    """
    try:
        return load_settings()
    except SettingsError as error:
        if args.func is not cmd_doctor:
            fail(str(error))
        from facility.doctor import Finding, Status, format_finding

        fix = _("Correct the variable in the service's environment file (docs/operations.md, Settings).")
        print(format_finding(Finding(_("settings"), Status.fail, str(error), fix)))
        raise SystemExit(1) from None


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    argv = sys.argv[1:] if argv is None else argv
    current_language.set(language_of(argv))
    args = build_parser().parse_args(argv)
    args.settings = settings_or_stop(args)
    # Code running outside a request or a tick (the demo's threads, the gateway) reads this tree.
    install(args.settings)
    with using(args.settings):
        args.func(args)


if __name__ == "__main__":
    main()
