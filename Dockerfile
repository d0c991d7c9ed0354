# Hearth in a slim image, run as a non-root user.
#   docker build -t hearth .                      # text and presence
#   docker build -t hearth --build-arg WEBRTC=1 . # with server-mixed audio (aiortc)
# Settings come from the environment: README.md lists them; docs/deploy.md shows a setup.

FROM node:20-slim AS web
WORKDIR /src/web_client
COPY web_client/package.json web_client/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ARG WEBRTC=0
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY rooms rooms
COPY moderation moderation
COPY server server
COPY web_client web_client
COPY --from=web /src/web_client/node_modules web_client/node_modules
# Editable, so the server finds web_client/ beside its package, as in a checkout; at the
# versions the test suite passed with (constraints.txt), with uvloop (the fast extra).
RUN if [ "$WEBRTC" = "1" ]; then extras="fast,webrtc"; else extras="fast"; fi \
    && pip install -c constraints.txt -e ".[$extras]" \
    && useradd --system --uid 10001 --no-create-home hearth
USER hearth
EXPOSE 8080
# SIGTERM drains (server:draining, then exit): give it HEARTH_DRAIN_TIMEOUT_MS and more.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/livez', timeout=2)"]
CMD ["hearth", "serve", "--host", "0.0.0.0", "--port", "8080"]
