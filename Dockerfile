# zoomcal: one replica. Run several behind a load balancer on one PostgreSQL (docs/deploy.md:
# "Several replicas on PostgreSQL"). Settings come from the environment, as everywhere.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZOOMCAL_HOST=0.0.0.0 \
    ZOOMCAL_PORT=3000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install . && useradd --system --uid 10001 --home-dir /app zoomcal && chown zoomcal /app

USER zoomcal
EXPOSE 3000
# /healthz: the process runs; the load balancer should route on /readyz (the database answers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2)"
# serve migrates at start under a PostgreSQL advisory lock, so replicas may start together.
CMD ["zoomcal", "serve"]
