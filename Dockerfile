# syntax=docker/dockerfile:1
#
# statusbot: a small image, two stages. The first builds wheels (statusbot's and its
# dependencies'); the second installs them without build tools, pip caches or the wheels
# themselves, and runs as an unprivileged user with its state in the /data volume.
#
#   docker build -t statusbot .
#   docker run -d --name statusbot --env-file .env -v statusbot-data:/data statusbot
#
# Configuration: environment variables (see .env.example) shape the built-in defaults, or mount
# a file read-only and point STATUSBOT_CONFIG at it:
#   -v ./statusbot.toml:/config/statusbot.toml:ro -e STATUSBOT_CONFIG=/config/statusbot.toml
# A file sets [bot] database and http itself (STATUSBOT_DATABASE and STATUSBOT_HTTP below shape
# only the built-in defaults): keep database relative ("statusbot.db", in /data) or write
# "/data/statusbot.db", and set http = "0.0.0.0:9108" (or "127.0.0.1:9108") for the health check.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# .dockerignore lets in only what the package is built from.
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY providers/ providers/
COPY notifiers/ notifiers/
# With the apprise extra, the image reaches Apprise's hundred services without a rebuild; with the
# postgres extra, several of its containers share one PostgreSQL (deploy/docker-compose.ha.yml).
RUN pip wheel --wheel-dir /wheels '.[apprise,postgres]'

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# The wheels are bind-mounted for this one step, so they never become a layer of the image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels 'statusbot[apprise,postgres]' \
 && groupadd --system --gid 10001 statusbot \
 && useradd --system --uid 10001 --gid statusbot --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin statusbot \
 && mkdir -p /data /config \
 && chown statusbot:statusbot /data

# Built-in defaults when no configuration file is used: state in the volume, and the HTTP
# endpoint (/healthz for the health check below, /metrics for Prometheus) on port 9108.
ENV STATUSBOT_DATABASE=/data/statusbot.db \
    STATUSBOT_HTTP=0.0.0.0:9108

WORKDIR /data
VOLUME ["/data"]
EXPOSE 9108
USER 10001:10001

# Exit 0 when /healthz answers 200; anything else (503, refused, timeout) raises: exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=3).status == 200 else 1)"]

# statusbot stops polling on SIGTERM, lets in-flight deliveries finish (up to 15 s) and exits 0:
# give it `docker stop --time 30` (compose: stop_grace_period: 30s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["statusbot"]
CMD ["run"]
