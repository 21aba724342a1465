# ats-sandbox as a CI service container: `docker run -p 8080:8080 -e SANDBOX_ADMIN_TOKEN=… ats-sandbox`.
# tests/test_docker.py checks this file and runs its command outside Docker, from the same wheel.
FROM python:3.11-slim

# The package installed as pip installs it for a user (not editable); the default fixtures ship inside it.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sandbox ./sandbox
COPY fixtures ./fixtures
RUN pip install --no-cache-dir --disable-pip-version-check '.[postgresql]' && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home sandbox \
    && mkdir /data && chown sandbox:sandbox /data
USER sandbox
WORKDIR /data

# Every flag of `ats-sandbox serve` is also a SANDBOX_* variable. Beyond loopback the control plane needs
# SANDBOX_ADMIN_TOKEN, or SANDBOX_INSECURE_ADMIN=1 to leave it open: the server refuses to start otherwise.
ENV SANDBOX_HOST=0.0.0.0 \
    SANDBOX_PORT=8080 \
    SANDBOX_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
EXPOSE 8080
VOLUME ["/data"]

HEALTHCHECK --interval=10s --timeout=2s --start-period=30s --start-interval=1s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_sandbox/health' % os.environ.get('SANDBOX_PORT', '8080'), timeout=2)"]

# `docker run ats-sandbox serve --insecure-admin`, `docker run ats-sandbox accounts`: the CLI's commands.
ENTRYPOINT ["ats-sandbox"]
CMD ["serve"]
