#!/usr/bin/env bash
# Starts the web server, a Celery worker and the Celery scheduler together; Ctrl-C stops all.
# With no DATABASE_URL / REDIS_URL this is the embedded default: SQLite and a filesystem broker.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'trap - EXIT INT TERM; kill 0 2>/dev/null; wait' EXIT INT TERM

echo "Candor is starting on http://127.0.0.1:8000/  (admin: /admin/)"
echo "Demo users: planner, reviewer, approver, lead, partner_a, partner_b, admin — password candor-demo"

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=1 --without-mingle --without-gossip &
.venv/bin/celery -A config beat --loglevel=INFO &
.venv/bin/python manage.py runserver 127.0.0.1:8000 &
wait -n
