FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY sandbox ./sandbox
COPY fixtures ./fixtures
RUN pip install --no-cache-dir -e .

# The container listens on every address: its control plane is open, as a CI service container on a
# private network needs no lock, unless an admin token is given (docker run -e SANDBOX_ADMIN_TOKEN).
ENV SANDBOX_HOST=0.0.0.0 \
    SANDBOX_PORT=8080 \
    SANDBOX_DATA_DIR=/data \
    SANDBOX_INSECURE_ADMIN=1
EXPOSE 8080
VOLUME ["/data"]

HEALTHCHECK --interval=2s --timeout=2s --start-period=2s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_sandbox/health' % os.environ.get('SANDBOX_PORT', '8080'), timeout=2)"]

CMD ["ats-sandbox", "serve"]
