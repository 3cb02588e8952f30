# zoomcal: one replica. compose.yaml runs several on one PostgreSQL (docs/deploy.md).
# Settings come from the environment, as everywhere; without ZOOMCAL_DATABASE_URL the
# database is SQLite in the volume /data, so it outlives the container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZOOMCAL_HOST=0.0.0.0 \
    ZOOMCAL_PORT=3000 \
    ZOOMCAL_DATABASE_URL=sqlite+aiosqlite:////data/zoomcal.db

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# /data is made and owned by the non-root user before VOLUME, so a new named volume starts
# with that owner (and mode 0700: the database holds sealed credentials).
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --no-create-home zoomcal \
    && mkdir /data && chown zoomcal:zoomcal /data && chmod 0700 /data

USER zoomcal
WORKDIR /data
VOLUME /data
EXPOSE 3000
# /healthz: the process runs; the load balancer should route on /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ZOOMCAL_PORT', '3000'), timeout=2)"]
# The installed console script: `docker run IMAGE db upgrade`, `… keys generate`, `… serve --no-migrate`.
# serve migrates at start under a PostgreSQL advisory lock unless --no-migrate.
ENTRYPOINT ["zoomcal"]
CMD ["serve"]
