#!/usr/bin/env bash
# Starts the web server, a Celery worker and the Celery scheduler together (Procfile.dev);
# Ctrl-C stops all. A process that exits is named on the console and restarted; one that keeps
# exiting stops everything with one line saying which and where its log is (scripts/supervise.py).
# With no DATABASE_URL / REDIS_URL this is the embedded default: SQLite and a filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${CANDOR_PORT:-8000}"
logs="${CANDOR_VAR_DIR:-var}/log"

echo "Candor is starting on http://127.0.0.1:${port}/  (admin: /admin/, health: /health/)"
echo "Demo users: planner, reviewer, approver, lead, partner_a, partner_b, admin — password candor-demo"

exec .venv/bin/python scripts/supervise.py --log-dir "$logs" Procfile.dev
