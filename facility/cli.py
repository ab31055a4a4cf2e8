"""The `facility` command: serve, migrate, load the demo campus, manage users, run the demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facility.core.config import Settings, SettingsError, load_settings
from facility.core.db import POOL_OVERFLOW, engine_for, session_scope
from facility.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from facility.core.i18n import gettext as _
from facility.core.logging import configure_logging
from facility.core.models import Role
from facility.demo import setup

DEMO_HOST, DEMO_PORT = "127.0.0.1", 8000


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from facility import serve
    from facility.app import NOT_MIGRATED, NotMigrated, create_app, warm_up
    from facility.core.db import pending_migrations

    settings = _settings()
    if args.workers > 1 and not settings.secret_key:
        # Each worker must sign and check sessions with the same key, on this host and any other.
        print("error: several workers need FACILITY_SECRET_KEY set (the same value for every worker)", file=sys.stderr)
        raise SystemExit(2)
    needed = args.workers * (settings.db_pool_size + POOL_OVERFLOW)
    if args.workers > 1 and settings.db_max_connections_per_host and needed > settings.db_max_connections_per_host:
        message = _(
            "{workers} workers may open {needed} connections, over FACILITY_DB_MAX_CONNECTIONS_PER_HOST="
            "{allowed}: lower FACILITY_DB_POOL_SIZE or --workers.",
            workers=args.workers,
            needed=needed,
            allowed=settings.db_max_connections_per_host,
        )
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)
    if args.workers > 1:
        # Each worker builds its own app; this process only supervises them (facility/serve.py),
        # so it checks the schema and builds none.
        engine = engine_for(settings)
        pending = pending_migrations(engine)
        engine.dispose()
        if pending:
            print(f"error: {NOT_MIGRATED}", file=sys.stderr)
            raise SystemExit(2)
        worker = ["--lang", args.lang, "serve", "--host", args.host, "--port", str(args.port), "--reuse-port"]
        raise SystemExit(serve.supervise(worker, args.workers, settings.shutdown_grace_s))
    try:
        app = warm_up(create_app(settings))
    except NotMigrated as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
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


def cmd_db_upgrade(_args: argparse.Namespace) -> None:
    from facility.content import upgrade_and_seed

    settings = _settings()
    seeded = upgrade_and_seed(settings.sqlalchemy_url, settings.database_limits)
    print(f"database at head: {settings.sqlalchemy_url.split('@')[-1]}")
    print("content: " + ", ".join(f"{k} {v}" for k, v in seeded.items()))


def cmd_db_revision(args: argparse.Namespace) -> None:
    from alembic import command

    from facility.core.db import alembic_config

    settings = _settings()
    command.revision(
        alembic_config(settings.sqlalchemy_url),
        message=args.message,
        autogenerate=True,
        head=args.head,
        branch_label=args.branch_label,
        depends_on=args.depends_on,
        rev_id=args.rev_id,
    )


def cmd_demo_data(_args: argparse.Namespace) -> None:
    settings = _settings()
    accounts_ = setup.ensure_demo_accounts(settings)
    counts, seconds = setup.load_demo(settings)
    print("demo loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"generated in {seconds:.1f} s")
    for role, (email, password) in accounts_.items():
        print(f"  {role:8} {email:32} {password}")


def cmd_users_add(args: argparse.Namespace) -> None:
    from facility.core import accounts
    from facility.core.errors import FacilityError

    settings = _settings()
    role = Role(args.role)
    try:
        with session_scope(engine_for(settings)) as session:
            org_id = None
            if role == Role.renter:
                if not args.org:
                    raise SystemExit("error: --org is required for a renter")
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
            print(f"created {user.role} {user.email} (id {user.id})")
    except FacilityError as error:
        print(f"error: {error.message}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_demo(args: argparse.Namespace) -> None:
    import uvicorn

    from facility.app import create_app
    from facility.content import upgrade_and_seed

    settings = _settings().model_copy(update={"demo": True})
    upgrade_and_seed(settings.sqlalchemy_url, settings.database_limits)
    accounts_ = setup.ensure_demo_accounts(settings)
    counts, seconds = setup.load_demo(settings)
    print("\nfacility demo: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({seconds:.1f} s)")
    print(f"open http://{args.host}:{args.port}/ and sign in as:")
    for role, (email, password) in accounts_.items():
        print(f"  {role:8} {email:32} {password}")
    print(flush=True)
    from gateway.demo import start_mqtt_stack

    settings, stoppers = start_mqtt_stack(settings)
    stoppers += setup.background_services(settings)
    try:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    finally:
        for stop in reversed(stoppers):
            stop()


def cmd_gateway(_args: argparse.Namespace) -> None:
    from gateway.connection import AuthenticationFailed
    from gateway.runner import run_gateway

    settings = _settings()
    if not settings.mqtt_url:
        print("error: set FACILITY_MQTT_URL (e.g. mqtt://facility-gateway:PW@127.0.0.1:1883)", file=sys.stderr)
        raise SystemExit(2)
    try:
        run_gateway(settings)
    except AuthenticationFailed as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(3) from None


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

    settings = _settings()
    if args.once:
        ran = run_tick(engine_for(settings), settings, jobs=JOBS)
        print("another scheduler holds the lock" if ran is None else f"ran: {', '.join(ran) or 'nothing due'}")
        return
    runner = SchedulerRunner(settings, JOBS, tick_seconds=args.tick)
    runner.start()
    stopped.wait()
    runner.stop()


def cmd_backup(args: argparse.Namespace) -> None:
    from facility.backup import FAILURES, first_line, make_backup

    try:
        manifest = make_backup(_settings(), Path(args.dir))
    except FAILURES as error:
        print(f"error: {first_line(error)}", file=sys.stderr)
        raise SystemExit(1) from None
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
        compared, notes = restore_backup(_settings(), Path(args.dir), force=args.force)
    except FAILURES as error:
        print(f"error: {first_line(error)}", file=sys.stderr)
        raise SystemExit(1) from None
    counted, in_backup, restored = _("counted"), _("in backup"), _("restored")
    print(f"{counted:<40} {in_backup:>10} {restored:>10}")
    for line in compared:
        if line.expected or line.restored:
            print(f"{line.name:<40} {line.expected:>10} {line.restored:>10}{'' if line.ok else '  <-'}")
    for note in notes:
        print(f"note: {note}")
    different = [line.name for line in compared if not line.ok]
    if different:
        print("error: " + _("the counts differ for {names}.", names=", ".join(different)), file=sys.stderr)
        raise SystemExit(1)
    print(_("restored from {dir}: every count matches the manifest.", dir=args.dir))


def cmd_doctor(args: argparse.Namespace) -> None:
    from facility.doctor import Status, format_finding
    from facility.doctor_services import run_doctor

    findings = run_doctor(_settings(), timeout=args.timeout)
    for finding in findings:
        print(format_finding(finding))
    if any(finding.status == Status.fail for finding in findings):
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facility", description=__doc__)
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help="language of the messages")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=1, help="web worker processes on the one port (needs FACILITY_SECRET_KEY)"
    )
    # What each of `--workers N` runs: the port bound with SO_REUSEPORT (facility/serve.py).
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # written to once serving (serve.py)
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="bring the database to the newest schema").set_defaults(func=cmd_db_upgrade)
    revision = db.add_parser("revision", help="(developers) autogenerate a migration")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--head", default="head")
    revision.add_argument("--branch-label", default=None)
    revision.add_argument("--depends-on", default=None)
    revision.add_argument("--rev-id", default=None)
    revision.set_defaults(func=cmd_db_revision)

    commands.add_parser("demo-data", help="load the demo campus (idempotent)").set_defaults(func=cmd_demo_data)

    users = commands.add_parser("users", help="accounts").add_subparsers(dest="users", required=True)
    add = users.add_parser("add", help="create a user")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--password", required=True)
    add.add_argument("--org", help="organisation name (renters; created approved)")
    add.add_argument("--name", help="full name")
    add.set_defaults(func=cmd_users_add)

    demo = commands.add_parser("demo", help="migrate, load the demo campus and run everything")
    demo.add_argument("--host", default=DEMO_HOST)
    demo.add_argument("--port", type=int, default=DEMO_PORT)
    demo.set_defaults(func=cmd_demo)

    commands.add_parser("gateway", help="MQTT gateway: broker -> durable spool -> reading store").set_defaults(
        func=cmd_gateway
    )

    scheduler = commands.add_parser("scheduler", help="run scheduled jobs (exactly one acts at a time)")
    scheduler.add_argument("--once", action="store_true", help="run one tick and exit")
    scheduler.add_argument("--tick", type=float, default=15.0, help="seconds between ticks")
    scheduler.set_defaults(func=cmd_scheduler)

    backup = commands.add_parser("backup", help="back up the database, the readings and a manifest into DIR")
    backup.add_argument("dir", help="a new (or empty) directory")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser("restore", help="restore a backup into the configured (empty) database")
    restore.add_argument("dir")
    restore.add_argument("--force", action="store_true", help="replace a database or InfluxDB that holds data")
    restore.set_defaults(func=cmd_restore)

    doctor = commands.add_parser("doctor", help="check this deployment and say what is wrong (exit 1 on a failure)")
    doctor.add_argument("--timeout", type=float, default=3.0, help="seconds each service gets to answer")
    doctor.set_defaults(func=cmd_doctor)

    from facility.imports import commands as import_commands
    from facility.sensors import commands as sensors_commands

    import_commands.register(commands)
    sensors_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    args = build_parser().parse_args(argv)
    current_language.set(args.lang)
    args.func(args)


if __name__ == "__main__":
    main()
