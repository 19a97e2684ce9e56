# The Veerkracht API. Installs exactly the pinned versions of constraints.txt and runs as
# an unprivileged user. docker-compose.yml runs `veerkracht migrate` before the app starts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    VEERKRACHT_DATABASE_URL=sqlite:////data/veerkracht.db

RUN groupadd --system --gid 10001 veerkracht \
    && useradd --system --uid 10001 --gid veerkracht --home-dir /app --no-create-home veerkracht \
    && mkdir -p /data && chown veerkracht:veerkracht /data \
    && python -m venv /opt/venv

WORKDIR /app

# Dependencies first, in their own layer: they change far less often than the code. The
# project is installed editable so Alembic finds migrations/ and alembic.ini next to app/.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install --constraint constraints.txt --editable . \
    && rm -r app

COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app

USER veerkracht
EXPOSE 8000
VOLUME ["/data"]

HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

CMD ["veerkracht", "serve", "--host", "0.0.0.0", "--port", "8000"]
