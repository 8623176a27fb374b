# A throwaway PostgreSQL server for the tests (sourced by .ci/run; bash).
#
#   start_test_postgres   initdb + start on 127.0.0.1:<free port>, as an unprivileged user, in a
#                         temporary folder; exports TANDEM_TEST_PG_URL (password auth, random
#                         password) and registers stop_test_postgres on EXIT.
#   stop_test_postgres    stop the server and remove its folder.
#
# Uses Debian's PostgreSQL binaries (/usr/lib/postgresql/<version>/bin), installing the
# `postgresql` package first when they are missing (needs root and apt-get). Durability is
# switched off (fsync, full-page writes): the cluster lives for one test run only.

_pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

_pg_as() {  # run a command as the cluster's owner
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$TANDEM_PG_USER" -- "$@"
  else
    "$@"
  fi
}

start_test_postgres() {
  local bin
  bin="$(_pg_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "ci: installing Debian's postgresql package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(_pg_bin)"
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "ci: no PostgreSQL binaries (initdb) found or installable" >&2
    return 1
  fi
  TANDEM_PG_BIN="$bin"
  if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
    TANDEM_PG_USER=postgres
    if ! id -u "$TANDEM_PG_USER" >/dev/null 2>&1; then
      TANDEM_PG_USER=tandem-pg
      id -u "$TANDEM_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$TANDEM_PG_USER"
    fi
  else
    TANDEM_PG_USER="$(id -un)"
  fi
  TANDEM_PG_DIR="$(mktemp -d /tmp/tandem-pg.XXXXXX)"
  trap stop_test_postgres EXIT
  local port password locale_opt
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  printf '%s\n' "$password" > "$TANDEM_PG_DIR/pwfile"
  chmod 600 "$TANDEM_PG_DIR/pwfile"
  chown -R "$TANDEM_PG_USER" "$TANDEM_PG_DIR"
  chmod 700 "$TANDEM_PG_DIR"
  # Tandem needs code-point text order (store.db checks it): C.UTF-8 where the system has it, else C.
  if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then locale_opt="--locale=C.UTF-8"; else locale_opt="--no-locale"; fi
  _pg_as "$bin/initdb" -D "$TANDEM_PG_DIR/data" -U tandem --pwfile="$TANDEM_PG_DIR/pwfile" \
    --auth=scram-sha-256 -E UTF8 "$locale_opt" >"$TANDEM_PG_DIR/initdb.log" 2>&1 \
    || { cat "$TANDEM_PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$TANDEM_PG_DIR/pwfile"
  _pg_as "$bin/pg_ctl" -D "$TANDEM_PG_DIR/data" -l "$TANDEM_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $TANDEM_PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$TANDEM_PG_DIR/server.log" >&2; return 1; }
  export TANDEM_TEST_PG_URL="postgresql+psycopg://tandem:${password}@127.0.0.1:${port}/postgres"
  echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (user $TANDEM_PG_USER, folder $TANDEM_PG_DIR)"
}

stop_test_postgres() {
  if [ -n "${TANDEM_PG_DIR:-}" ] && [ -d "$TANDEM_PG_DIR" ]; then
    if [ -f "$TANDEM_PG_DIR/data/postmaster.pid" ]; then
      _pg_as "$TANDEM_PG_BIN/pg_ctl" -D "$TANDEM_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TANDEM_PG_DIR"
  fi
  TANDEM_PG_DIR=""
}
