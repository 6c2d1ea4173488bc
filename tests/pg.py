"""A throwaway PostgreSQL cluster for the test session, started from the installed server binaries.

The Debian ``postgresql`` package installs ``initdb``/``pg_ctl``/``postgres`` under
``/usr/lib/postgresql/<version>/bin``. :func:`start_cluster` inits a cluster in a fresh temp dir, starts it
on a free port bound to 127.0.0.1 with its socket in that dir, and returns a :class:`PgCluster` that hands out
SQLAlchemy URLs and fresh databases. ``initdb`` and ``postgres`` refuse to run as root (CI runs as root), so
as root every server command runs as the ``postgres`` OS user through ``runuser``.

The server's default ``TimeZone`` is deliberately *not* UTC (see :data:`SERVER_TIMEZONE`): code that forgets
``SET TIME ZONE 'UTC'`` on its connections then fails in tests instead of only on a user's server.

Nothing here imports pytest: the fixtures in ``tests/conftest.py`` turn :class:`PgUnavailable` into a skip
(locally) or a failure (when ``CI`` is set).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

BIN_GLOB = "/usr/lib/postgresql/*/bin"
OS_USER = "postgres"
DB_SUPERUSER = "postgres"
# Not UTC, and with DST, so a missing per-connection ``SET TIME ZONE 'UTC'`` shows up as shifted timestamps.
SERVER_TIMEZONE = "America/New_York"
_START_ATTEMPTS = 3


class PgUnavailable(Exception):
    """PostgreSQL cannot be started on this machine; the message says why and how to fix it."""


def in_ci() -> bool:
    """Return True when the ``CI`` environment variable asks for missing services to fail, not skip.

    Returns
    -------
    bool
        True unless ``CI`` is unset, empty, ``0`` or ``false``.
    """
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_bin_dir() -> Path:
    """Return the newest ``/usr/lib/postgresql/<version>/bin`` that has initdb, pg_ctl and postgres.

    Returns
    -------
    Path
        The directory holding the server binaries.

    Raises
    ------
    PgUnavailable
        When no installed version has all three.
    """

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/bin$", path)
        return tuple(int(part) for part in match.group(1).split(".") if part) if match else ()

    for candidate in sorted(glob.glob(BIN_GLOB), key=version, reverse=True):
        bin_dir = Path(candidate)
        if all(os.access(bin_dir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bin_dir
    raise PgUnavailable(
        f"No PostgreSQL server binaries under {BIN_GLOB} (initdb, pg_ctl, postgres). "
        "Install them with `apt-get install postgresql` to run the PostgreSQL tests."
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (the caller retries if it is taken meanwhile).

    Returns
    -------
    int
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_prefix(create_user: bool) -> list[str]:
    """Return the command prefix that runs server binaries as a non-root user (empty when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        if not create_user:
            raise PgUnavailable(
                f"Running as root and there is no '{OS_USER}' OS user to run initdb/postgres as "
                "(they refuse root). Run the tests as a normal user, or install the `postgresql` package "
                "which creates that user."
            ) from None
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
            check=True,
            capture_output=True,
        )
    if shutil.which("runuser") is None:
        raise PgUnavailable("Running as root but `runuser` (util-linux) is missing; cannot drop privileges.")
    return ["runuser", "-u", OS_USER, "--"]


@dataclass
class PgCluster:
    """A running throwaway cluster: where it lives, how to reach it, and how to stop it."""

    bin_dir: Path
    base_dir: Path
    port: int
    prefix: list[str]

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server log (read it when the server misbehaves)."""
        return self.base_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of ``database`` on this cluster.

        Parameters
        ----------
        database
            Database name.

        Returns
        -------
        str
            ``postgresql+psycopg://postgres@127.0.0.1:<port>/<database>``.
        """
        return f"postgresql+psycopg://{DB_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=DB_SUPERUSER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its name.

        Parameters
        ----------
        name
            Database name; a unique ``lr_<hex>`` name when omitted.

        Returns
        -------
        str
            The name of the new database.
        """
        name = name or f"lr_{uuid.uuid4().hex[:12]}"
        with self._connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it (an app's cached engine, say).

        Parameters
        ----------
        name
            Database name.
        """
        with self._connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server log, for error messages.

        Parameters
        ----------
        lines
            How many lines.

        Returns
        -------
        str
            The tail of the log, or a note that there is none.
        """
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server (immediate mode: the data is thrown away) and delete its directory."""
        try:
            subprocess.run(
                [
                    *self.prefix,
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                cwd=self.base_dir,
                capture_output=True,
                timeout=60,
                check=False,
            )
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}{result.stderr}"
        )


def start_cluster(create_user: bool = False) -> PgCluster:
    """Init and start a throwaway cluster on a free port; the caller must call :meth:`PgCluster.stop`.

    Parameters
    ----------
    create_user
        When running as root without a ``postgres`` OS user, create one (only sensible in CI).

    Returns
    -------
    PgCluster
        The running cluster, accepting trusted connections from 127.0.0.1 as ``postgres``.

    Raises
    ------
    PgUnavailable
        When the binaries or an unprivileged user are missing (an environment problem, not a bug).
    RuntimeError
        When the binaries exist but the server does not start; the message has the server log.
    """
    bin_dir = find_bin_dir()
    prefix = _run_as_prefix(create_user)
    # Not pytest's tmp_path: that lives under a 0700 root-owned dir the postgres user cannot enter, and the
    # socket path must stay short (sun_path is ~107 bytes).
    base_dir = Path(tempfile.mkdtemp(prefix="lr-pg-"))
    if prefix:
        shutil.chown(base_dir, user=OS_USER)
    cluster = PgCluster(bin_dir=bin_dir, base_dir=base_dir, port=0, prefix=prefix)
    try:
        _run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(cluster.data_dir),
                "-U",
                DB_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            base_dir,
            "initdb",
        )
        last_error: RuntimeError | None = None
        for _ in range(_START_ATTEMPTS):  # the free port can be taken between choosing it and binding it
            cluster.port = free_port()
            # Durability is pointless for a throwaway cluster; turning it off makes CREATE DATABASE fast.
            options = (
                f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {base_dir} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c TimeZone={SERVER_TIMEZONE}"
            )
            try:
                _run(
                    [
                        *prefix,
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(cluster.data_dir),
                        "-l",
                        str(cluster.log_file),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                    base_dir,
                    "pg_ctl start",
                )
                return cluster
            except RuntimeError as error:
                last_error = RuntimeError(f"{error}\nserver log:\n{cluster.log_tail()}")
        assert last_error is not None
        raise last_error
    except BaseException:
        cluster.stop()
        raise
